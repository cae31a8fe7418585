"""Delivery that loses nothing: SMTP outages, retries, crashed and concurrent workers."""

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.background import background_delivery
from eventreg.mail.delivery import claim, deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import resend
from eventreg.registration import notifications
from tests.conftest import ROOT
from tests.factories import make_conference
from tests.mail.builders import make_registration


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.app_config, "MAIL_RETRY_BASE_SECONDS": 30}


def register_people(count: int) -> list[str]:
    """Registrations whose confirmations are recorded, as the registration flow does."""
    conference = make_conference()
    for _ in range(count):
        registration = make_registration(conference)
        notifications.registration_received(registration, "secret")
    db.session.commit()
    return [row.message_id for row in rows()]


def rows() -> list[OutboxMessage]:
    # A fresh transaction: on SQLite an open one would keep reading its old snapshot.
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_smtp_down_loses_nothing_and_every_message_arrives_once_when_it_returns(app, smtp_server):
    smtp_server.stop()
    message_ids = register_people(5)

    report = deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 5, 0)
    assert {(row.status, row.attempts) for row in rows()} == {("pending", 1)}
    assert all(row.next_attempt_at > utcnow() for row in rows())
    assert all("ConnectionRefusedError" in row.last_error for row in rows())

    smtp_server.start()
    assert deliver_due().handled == 0  # not due yet: backoff
    report = deliver_due(now=utcnow() + timedelta(minutes=5))

    assert report.sent == 5
    assert sorted(smtp_server.message_ids()) == sorted(message_ids)
    assert {(row.status, row.attempts) for row in rows()} == {("sent", 2)}
    assert deliver_due(now=utcnow() + timedelta(hours=5)).handled == 0
    assert len(smtp_server.received) == 5


def test_retries_back_off_exponentially_then_fail_and_can_be_resent(app, smtp_server):
    app.config.update(MAIL_MAX_ATTEMPTS=4, MAIL_RETRY_MAX_SECONDS=100)
    smtp_server.refuse("451 4.3.0 Try again later")
    (message_id,) = register_people(1)
    now = utcnow()
    delays = []
    for _ in range(3):
        deliver_due(now=now)
        (row,) = rows()
        delays.append(round((row.next_attempt_at - now).total_seconds()))
        now = row.next_attempt_at

    assert delays == [30, 60, 100]  # doubling, capped at MAIL_RETRY_MAX_SECONDS
    deliver_due(now=now)
    (row,) = rows()
    assert (row.status, row.attempts) == ("failed", 4)
    assert "451" in row.last_error
    assert deliver_due(now=now + timedelta(days=1)).handled == 0

    smtp_server.refuse(None)
    assert resend(row.id) is True
    assert deliver_due().sent == 1
    assert smtp_server.message_ids() == [message_id]
    assert resend(row.id) is False  # sent, not failed


def test_a_permanent_refusal_fails_at_once(app, smtp_server):
    smtp_server.refuse("550 5.1.1 No such user")
    register_people(1)

    report = deliver_due()

    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    (row,) = rows()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("550")


def test_every_attempt_carries_the_message_id_fixed_when_it_was_recorded(app, smtp_server):
    (message_id,) = register_people(1)
    smtp_server.refuse("421 4.7.0 Busy")
    deliver_due()
    smtp_server.refuse(None)
    # Composed for its first attempt and stored: every later attempt sends these bytes.
    (row,) = rows()
    recorded = row.raw
    assert recorded and row.message_id == message_id and row.attempts == 1

    deliver_due(now=utcnow() + timedelta(hours=1))

    (received,) = smtp_server.received
    assert received.raw == recorded
    assert received.message["Message-ID"] == message_id


def test_a_worker_killed_mid_batch_leaves_its_messages_to_the_next_after_the_lease(
    app, smtp_server, database_url
):
    message_ids = register_people(3)
    smtp_server.stall()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.mail.worker_process",
            database_url,
            str(smtp_server.port),
            # A lease far longer than the test: the second pass below is given its end.
            "600",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # It has claimed the batch and is talking to SMTP. A new Python process takes
        # seconds to import the app, many more on a busy CI machine.
        smtp_server.wait_for_stalled(timeout=120, process=worker)
    finally:
        worker.kill()  # SIGKILL; nothing if it has already ended and been reaped
        worker.communicate(timeout=30)
    smtp_server.release()
    claimed = rows()
    assert all(row.status == "pending" and row.claimed_by for row in claimed)

    # While the dead worker's lease runs, nobody else sends its messages...
    assert deliver_due().handled == 0
    # ...and once it has run out, they go, each exactly once.
    lease_end = max(row.claimed_until for row in claimed)
    report = deliver_due(now=lease_end + timedelta(seconds=1))

    assert report.sent == 3
    assert sorted(smtp_server.message_ids()) == sorted(message_ids)


def test_concurrent_worker_threads_never_send_a_message_twice(app, smtp_server):
    app.config["MAIL_BATCH_SIZE"] = 7
    message_ids = register_people(60)
    start = threading.Barrier(4)
    errors = []

    def work():
        try:
            with app.app_context():
                start.wait()
                deliver_due()
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    counts = Counter(smtp_server.message_ids())
    assert set(counts) == set(message_ids)
    assert set(counts.values()) == {1}
    assert {row.status for row in rows()} == {"sent"}


def test_concurrent_worker_processes_never_send_a_message_twice(app, smtp_server, database_url):
    message_ids = register_people(40)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.mail.worker_process",
                database_url,
                str(smtp_server.port),
                "60",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0, 0], outputs
    counts = Counter(smtp_server.message_ids())
    assert set(counts) == set(message_ids)
    assert set(counts.values()) == {1}


def test_a_claimed_batch_is_invisible_to_other_claims_until_its_lease_ends(app, smtp_server):
    register_people(4)
    now = utcnow()
    _, first = claim(3, now, timedelta(minutes=5))
    _, second = claim(3, now, timedelta(minutes=5))
    _, after_lease = claim(10, now + timedelta(minutes=6), timedelta(minutes=5))

    assert len(first) == 3
    assert len(second) == 1
    assert {m.id for m in first}.isdisjoint({m.id for m in second})
    assert len(after_lease) == 4


def test_a_commit_that_records_mail_wakes_the_background_sender(app, smtp_server):
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True
    try:
        (message_id,) = register_people(1)

        messages = smtp_server.wait_for(1, timeout=20)

        assert [m["Message-ID"] for m in messages] == [message_id]
        deadline = time.monotonic() + 10
        while rows()[0].status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert rows()[0].status == "sent"
    finally:
        # Left running, it would deliver later tests' mail to this test's (stopped) server.
        assert background_delivery(app).stop()


@pytest.mark.parametrize("app_config", [{"MAIL_SERVER": None}])
def test_without_a_mail_server_each_message_becomes_one_eml_file(app, tmp_path):
    app.config["MAIL_FILE_DIR"] = str(tmp_path)
    message_ids = register_people(2)

    assert deliver_due().sent == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert all(
        path.name.endswith(f"-{row.id:08d}.eml") for path, row in zip(files, rows(), strict=True)
    )
    assert [f.read_bytes() for f in files] == [row.raw for row in rows()]
    assert all(mid.encode() in f.read_bytes() for mid, f in zip(message_ids, files, strict=True))

    # Delivered again (a crash before the outbox update): the same file, not a second one.
    db.session.execute(sa.update(OutboxMessage).values(status="pending"))
    db.session.commit()
    assert deliver_due().sent == 2
    assert sorted(tmp_path.glob("*.eml")) == files
    assert not list(tmp_path.glob(".*"))
