"""Never overbook: simultaneous registrations from several threads and several processes.

Each attendee behaves like a browser (open the form, read its CSRF token), then everyone
sends at the same moment (a barrier). The suite runs on SQLite and on PostgreSQL (set
EVENTREG_TEST_DATABASE_URL), so these tests prove the locking on both.
"""

import multiprocessing
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.registration import services
from eventreg.registration.models import Registration, RegistrationCategory, SessionSignup
from tests.conftest import csrf_token_from, make_test_app
from tests.factories import make_conference, make_talk
from tests.registration.helpers import latest_link_for, register

pytestmark = pytest.mark.concurrency

BARRIER_TIMEOUT = 60


def register_at_the_barrier(client, slug: str, name: str, address: str, barrier) -> int:
    """Open the form like a browser, wait for everyone, then send it."""
    page = client.get(f"/c/{slug}/register")
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "full_name": name,
        "email": address,
        "consent": "y",
    }
    barrier.wait(BARRIER_TIMEOUT)
    return client.post(f"/c/{slug}/register", data=data).status_code


def run_threads(target, arguments: list[tuple]) -> list:
    results: list = [None] * len(arguments)
    errors: list[BaseException] = []

    def run(index, args):
        try:
            results[index] = target(*args)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, args)) for i, args in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BARRIER_TIMEOUT * 2)
    assert not errors, errors
    return results


def end_snapshot() -> None:
    """End the test's read transaction: on SQLite it would keep showing the database as
    it was before the other threads and processes wrote."""
    db.session.commit()


def registrations(conference_id: int) -> list[Registration]:
    end_snapshot()
    return list(db.session.scalars(sa.select(Registration).filter_by(conference_id=conference_id)))


def assert_exactly(conference_id: int, confirmed: int, waiting: int, people: int) -> None:
    rows = registrations(conference_id)
    assert Counter(row.status for row in rows) == Counter(confirmed=confirmed, waiting=waiting)
    # Nobody is both: one row per person, each with one status.
    assert len({row.email_key for row in rows}) == len(rows) == people
    kinds = Counter(
        db.session.scalars(
            sa.select(OutboxMessage.kind).where(OutboxMessage.conference_id == conference_id)
        )
    )
    assert kinds == Counter(registration_confirmed=confirmed, registration_waiting=waiting)
    # The waiting list is one queue: positions 1..n, no gaps, no ties.
    positions = sorted(services.waiting_position(row) for row in rows if row.status == "waiting")
    assert positions == list(range(1, waiting + 1))


def test_simultaneous_registrations_from_threads_never_overbook(app):
    conference = make_conference(capacity=5)
    people = 16
    barrier = threading.Barrier(people)
    arguments = [
        (app.test_client(), conference.slug, f"Person {n}", f"person{n}@example.org", barrier)
        for n in range(people)
    ]

    statuses = run_threads(register_at_the_barrier, arguments)

    assert statuses == [303] * people
    assert_exactly(conference.id, confirmed=5, waiting=11, people=people)


def test_the_same_address_sent_simultaneously_takes_one_seat(app):
    conference = make_conference(capacity=5)
    tries = 8
    barrier = threading.Barrier(tries)
    arguments = [
        (app.test_client(), conference.slug, "Ada", f"{case}@example.org", barrier)
        for case in ["ada", "ADA", "Ada", "aDa", "adA", "ada", "ADa", "AdA"]
    ]

    statuses = run_threads(register_at_the_barrier, arguments)

    assert statuses == [303] * tries
    [registration] = registrations(conference.id)
    assert registration.status == "confirmed"
    kinds = Counter(db.session.scalars(sa.select(OutboxMessage.kind)))
    assert kinds == Counter(registration_confirmed=1, registration_again=tries - 1)


def _process_worker(database_url, instance_path, slug, names, barrier, results) -> None:
    """One server process: its own app and database connections, several threads."""
    app = make_test_app(database_url, Path(instance_path))
    arguments = [
        (app.test_client(), slug, name, f"{name.replace(' ', '.')}@example.org", barrier)
        for name in names
    ]
    try:
        results.put(run_threads(register_at_the_barrier, arguments))
    except BaseException as error:
        results.put(repr(error))


def test_simultaneous_registrations_from_several_processes_never_overbook(
    app, database_url, instance_path
):
    conference = make_conference(capacity=6)
    processes, threads_each = 4, 5
    context = multiprocessing.get_context("spawn")  # no fork of a process holding connections
    barrier = context.Barrier(processes * threads_each)
    results = context.Queue()
    workers = [
        context.Process(
            target=_process_worker,
            args=(
                database_url,
                str(instance_path),
                conference.slug,
                [f"p{p} t{t}" for t in range(threads_each)],
                barrier,
                results,
            ),
        )
        for p in range(processes)
    ]
    db.session.remove()  # hold no connection or transaction while the others write

    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=BARRIER_TIMEOUT * 3) for _ in workers]
    for worker in workers:
        worker.join(BARRIER_TIMEOUT)

    assert [worker.exitcode for worker in workers] == [0] * processes
    assert outcomes == [[303] * threads_each] * processes
    assert_exactly(conference.id, confirmed=6, waiting=14, people=processes * threads_each)


def test_simultaneous_session_sign_ups_never_overbook_a_workshop(app):
    conference = make_conference()
    workshop = make_talk(conference, kind="workshop", capacity=3)
    people = 10
    links = []
    for n in range(people):
        address = f"person{n}@example.org"
        assert register(app.test_client(), conference, email=address).status_code == 303
        links.append(latest_link_for(address))
    barrier = threading.Barrier(people)
    join_path = f"/sessions/{workshop.id}/join"  # read here: threads have no app context

    def join_at_the_barrier(client, link):
        token = csrf_token_from(client.get(link + "/details").get_data(as_text=True))
        barrier.wait(BARRIER_TIMEOUT)
        response = client.post(link + join_path, data={"csrf_token": token})
        return response.status_code

    statuses = run_threads(join_at_the_barrier, [(app.test_client(), link) for link in links])

    assert statuses == [303] * people
    end_snapshot()
    signups = db.session.scalars(sa.select(SessionSignup).filter_by(talk_id=workshop.id)).all()
    assert Counter(signup.status for signup in signups) == Counter(confirmed=3, waiting=7)
    assert len({signup.registration_id for signup in signups}) == people


def test_simultaneous_cancellations_promote_each_waiting_attendee_once(app):
    conference = make_conference(capacity=4)
    links = []
    for n in range(10):
        address = f"person{n}@example.org"
        assert register(app.test_client(), conference, email=address).status_code == 303
        links.append(latest_link_for(address))
    leaving = links[:4]  # every seat holder cancels at once
    barrier = threading.Barrier(len(leaving))

    def cancel_at_the_barrier(client, link):
        token = csrf_token_from(client.get(link + "/cancel").get_data(as_text=True))
        barrier.wait(BARRIER_TIMEOUT)
        return client.post(link + "/cancel", data={"csrf_token": token}).status_code

    statuses = run_threads(cancel_at_the_barrier, [(app.test_client(), link) for link in leaving])

    assert statuses == [303] * len(leaving)
    rows = registrations(conference.id)
    assert Counter(row.status for row in rows) == Counter(cancelled=4, confirmed=4, waiting=2)
    promoted = {row.email for row in rows if row.status == "confirmed"}
    assert promoted == {f"person{n}@example.org" for n in range(4, 8)}
    promotions = db.session.scalars(
        sa.select(OutboxMessage.registration_id).filter_by(kind="registration_promoted")
    ).all()
    assert sorted(promotions) == sorted(row.id for row in rows if row.status == "confirmed")


def wait_until_a_request_waits_for_a_lock(dialect: str, timeout: float = 30) -> None:
    """On PostgreSQL, until another session waits for a lock we hold, so the test does not
    pass by mere timing. SQLite shows no such thing (its writer waits for our write lock in
    the busy handler), so give it a moment there."""
    if dialect != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    with db.engine.connect() as watcher:
        query = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
        while watcher.execute(query).scalar() == 0:
            assert time.monotonic() < deadline, "the registration never reached the database"
            time.sleep(0.05)


def test_a_same_address_row_written_without_the_lock_still_gets_no_second_seat(app):
    """An import or another tool inserts a registration without taking the conference lock
    while someone registers with the same address. The request waits for that writer (on
    PostgreSQL the insert's foreign-key lock on the conference row conflicts with FOR UPDATE;
    on SQLite there is one writer at a time), then finds the row: no second seat, the
    holder is told that someone tried, and their link is left alone."""
    conference = make_conference(capacity=5)
    slug, conference_id = conference.slug, conference.id
    client = app.test_client()
    page = client.get(f"/c/{slug}/register").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token_from(page),
        "full_name": "Ada",
        "email": "ADA@example.org",
        "consent": "y",
    }
    statuses = []
    request = threading.Thread(
        target=lambda: statuses.append(client.post(f"/c/{slug}/register", data=form).status_code)
    )
    db.session.remove()

    with db.engine.connect() as other_writer:
        transaction = other_writer.begin()
        other_writer.execute(
            sa.insert(Registration).values(
                conference_id=conference_id,
                email="ada@example.org",
                full_name="Ada (imported)",
                status="confirmed",
                token_hash="0" * 64,
            )
        )
        request.start()
        wait_until_a_request_waits_for_a_lock(other_writer.dialect.name)
        transaction.commit()
    request.join(BARRIER_TIMEOUT)

    assert statuses == [303]
    [registration] = registrations(conference_id)
    assert registration.full_name == "Ada (imported)"
    assert registration.token_hash == "0" * 64
    kinds = [message.kind for message in db.session.scalars(sa.select(OutboxMessage))]
    assert kinds == ["registration_again"]


def test_simultaneous_registrations_in_a_category_fill_exactly_its_seats(app):
    conference = make_conference(capacity=10)
    category = RegistrationCategory(conference=conference, name="Press", capacity=3)
    db.session.add(category)
    db.session.commit()
    conference_id, category_id = conference.id, category.id
    people = 8
    barrier = threading.Barrier(people)
    db.session.remove()

    def register_in_the_category(n: int) -> str:
        with app.app_context():
            try:
                data = services.RegistrationData(
                    full_name=f"Person {n}", email=f"person{n}@example.org", category_id=category_id
                )
                conference = db.session.get(Conference, conference_id)
                db.session.commit()  # hold no read transaction at the barrier
                barrier.wait(BARRIER_TIMEOUT)
                return services.register(audit.ATTENDEE, conference, data)[2].value
            finally:
                db.session.remove()

    outcomes = run_threads(register_in_the_category, [(n,) for n in range(people)])

    assert Counter(outcomes) == Counter(confirmed=3, waiting=5)
    rows = registrations(conference_id)
    assert Counter(row.status for row in rows) == Counter(confirmed=3, waiting=5)
    assert services.category_seat_counts(conference_id) == {category_id: 3}
