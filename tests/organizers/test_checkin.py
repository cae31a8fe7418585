"""Check-in: a signed code per confirmed registration, shown as a QR code, and a desk that
counts each attendee once."""

import threading

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from eventreg.registration import notifications
from eventreg.registration.checkin import (
    check_in,
    checkin_code,
    checkin_png,
    checkin_qr,
    registration_id_from_code,
)
from eventreg.registration.models import Registration
from eventreg.registration.tokens import feed_token_for
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.mail.mailbox import deliver, html_body, part_of, text_body, to
from tests.organizers.conftest import give_role, log_in, make_user


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", published=True)


@pytest.fixture
def desk(client, conference):
    """A check-in staff member's browser at the desk."""
    staff = make_user("door@example.org")
    give_role(staff, conference, "checkin")
    log_in(client, staff)
    return client


def post_code(client, **data):
    page = client.get("/manage/c/rome/checkin")
    assert page.status_code == 200
    return client.post(
        "/manage/c/rome/checkin", data={"csrf_token": csrf_token_from(page.text), **data}
    )


def audit_count() -> int:
    db.session.rollback()  # read what other sessions committed
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .filter_by(action="registration.checked_in")
    )


def test_the_code_names_the_registration_and_nothing_else(app):
    code = checkin_code(42)

    assert registration_id_from_code(code) == 42
    assert "@" not in code and "42" not in code.split(".")[-1]
    assert registration_id_from_code(code[:-2] + ("A" if code[-1] != "A" else "B") * 2) is None
    assert registration_id_from_code(feed_token_for(42)) is None  # another purpose's token
    assert registration_id_from_code("") is None


def test_checking_in_twice_is_reported_and_counted_once(desk, conference):
    person = make_registration(conference, full_name="Li Na", affiliation="Sun Yat-sen")

    first = post_code(desk, code=checkin_code(person.id))
    arrived_at = db.session.get(Registration, person.id).checked_in_at
    second = post_code(desk, code=checkin_code(person.id))

    assert first.status_code == 200
    assert "Li Na" in first.text and "Checked in now" in first.text
    assert arrived_at is not None
    assert second.status_code == 200
    assert "Already checked in at" in second.text and "counted once" in second.text
    db.session.rollback()
    assert db.session.get(Registration, person.id).checked_in_at == arrived_at
    assert audit_count() == 1


def test_two_desks_scanning_at_once_count_the_attendee_once(app, conference):
    # Plain ids only: the threads must not touch this thread's session and its objects.
    conference_id, person_id = conference.id, make_registration(conference).id
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def scan():
        try:
            with app.app_context():
                barrier.wait()
                result = check_in(None, db.session.get(Conference, conference_id), person_id)
                outcomes.append(result.first_time)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == [False, False, False, True]
    assert audit_count() == 1


def test_a_registration_without_a_seat_is_not_checked_in(desk, conference):
    waiting = make_registration(conference, full_name="Wang Wei", status="waiting")

    response = post_code(desk, code=checkin_code(waiting.id))

    assert "Wang Wei" in response.text and "holds no seat" in response.text
    assert "Waiting list" in response.text
    assert db.session.get(Registration, waiting.id).checked_in_at is None


def test_a_code_of_another_conference_reveals_nothing_here(desk, conference):
    stranger = make_registration(make_conference(slug="other"), full_name="Giulia Rossi")

    response = post_code(desk, code=checkin_code(stranger.id))

    assert response.status_code == 404
    assert "Giulia Rossi" not in response.text
    assert db.session.get(Registration, stranger.id).checked_in_at is None


def test_a_made_up_code_is_refused(desk):
    response = post_code(desk, code="1.not-a-signature")

    assert response.status_code == 400
    assert "not a valid check-in code" in response.text


def test_staff_find_someone_by_name_and_check_them_in(desk, conference):
    person = make_registration(conference, full_name="Chen Jing")
    make_registration(conference, full_name="Marco Bianchi")

    found = desk.get("/manage/c/rome/checkin?q=chen")

    assert "Chen Jing" in found.text and "Marco Bianchi" not in found.text
    response = desk.post(
        "/manage/c/rome/checkin",
        data={"csrf_token": csrf_token_from(found.text), "registration_id": str(person.id)},
    )
    assert "Checked in now" in response.text
    assert "already checked in" in desk.get("/manage/c/rome/checkin?q=chen").text


def test_check_in_staff_of_another_conference_are_not_let_in(client, conference):
    person = make_registration(conference)
    other = make_conference(slug="other")
    staff = make_user("elsewhere@example.org")
    give_role(staff, other, "checkin")
    log_in(client, staff)

    assert client.get("/manage/c/rome/checkin").status_code == 404
    token = csrf_token_from(client.get("/manage/c/other/checkin").text)
    response = client.post(
        "/manage/c/rome/checkin", data={"csrf_token": token, "code": checkin_code(person.id)}
    )
    assert response.status_code == 404
    assert db.session.get(Registration, person.id).checked_in_at is None


def test_the_management_page_shows_the_qr_code_of_a_confirmed_registration(client, conference):
    token = new_token()
    person = make_registration(conference, token_hash=hash_token(token))
    waiting_token = new_token()
    make_registration(conference, status="waiting", token_hash=hash_token(waiting_token))

    page = client.get(f"/c/rome/manage/{token}")
    waiting_page = client.get(f"/c/rome/manage/{waiting_token}")

    assert page.status_code == 200
    assert f'src="{checkin_qr(person.id)}"' in page.text
    assert checkin_qr(person.id).startswith("data:image/png;base64,")
    assert "Your check-in code" not in waiting_page.text


def test_the_confirmation_email_carries_the_qr_code(conference, smtp_server):
    person = make_registration(conference, email="li.na@example.org")
    notifications.registration_received(person, new_token())
    db.session.commit()

    message = to(deliver(smtp_server), "li.na@example.org")[0]

    # Attached by Content-ID, not as the page's data: URI (tests/mail/test_mail_look.py).
    qr = part_of(message, "image/png")
    assert qr.get_payload(decode=True) == checkin_png(person.id)
    assert f'src="cid:{qr["Content-ID"].strip().strip("<>")}"' in html_body(message)
    assert "check-in QR code" in text_body(message)
    assert f"Check-in code: {checkin_code(person.id)}" in text_body(message)
