"""The in-process sender starts with the served app: mail left in the outbox by the previous
run goes out without waiting for new mail, and retries go out on the poll interval."""

import runpy
import time
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from eventreg import create_app
from eventreg.core.db import write_transaction
from eventreg.core.extensions import db
from eventreg.mail import outbox
from eventreg.mail.background import background_delivery
from eventreg.mail.dispatch import start_delivery
from eventreg.mail.models import OutboxMessage
from tests.conftest import ROOT


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.app_config, "MAIL_POLL_SECONDS": 0.2}


@pytest.fixture
def senders():
    """Every sender a test starts, stopped again before its app's tables are emptied."""
    started = []
    yield started
    for app in started:
        assert background_delivery(app).stop(timeout=30), "the sender thread did not stop"
        with app.app_context():
            db.engine.dispose()


def record_mail(subject: str) -> str:
    """A message recorded as any action records it; nothing is sending yet."""
    message = EmailMessage()
    message["To"] = "attendee@example.org"
    message["Subject"] = subject
    message.set_content("Left in the outbox when the server stopped.")
    with write_transaction():
        row = outbox.record(message, kind="test")
    return row.message_id


def statuses() -> list[tuple[str, int]]:
    db.session.rollback()  # a fresh snapshot (SQLite keeps reading an open one)
    query = sa.select(OutboxMessage.status, OutboxMessage.attempts).order_by(OutboxMessage.id)
    return [tuple(row) for row in db.session.execute(query)]


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        time.sleep(0.05)


def test_serving_the_app_delivers_mail_left_pending_without_any_new_commit(
    app, smtp_server, senders, monkeypatch, database_url
):
    message_id = record_mail("Waiting since the last run")
    # wsgi.py as gunicorn and `make run` load it, configured through the environment.
    for name, value in {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_POLL_SECONDS": "60",
    }.items():
        monkeypatch.setenv(f"EVENTREG_{name}", value)

    served = runpy.run_path(str(ROOT / "wsgi.py"))["app"]
    senders.append(served)

    (message,) = smtp_server.wait_for(1)
    assert message["Message-ID"] == message_id
    wait_until(lambda: statuses() == [("sent", 1)])


def test_a_retrying_message_is_delivered_on_the_poll_interval(app, smtp_server, senders):
    smtp_server.refuse("451 4.3.0 Try again later")
    record_mail("Refused once")
    app.config.update(MAIL_DELIVER_IN_BACKGROUND=True, MAIL_RETRY_BASE_SECONDS=2)

    assert start_delivery(app)
    senders.append(app)
    wait_until(lambda: statuses() == [("pending", 1)])
    smtp_server.refuse(None)

    # No commit and no wake-up from here on: only the poll finds the retry once it is due.
    smtp_server.wait_for(1)
    wait_until(lambda: statuses() == [("sent", 2)])


def test_mail_recorded_while_serving_is_sent_at_once_not_at_the_next_poll(
    app, smtp_server, senders
):
    app.config.update(MAIL_DELIVER_IN_BACKGROUND=True, MAIL_POLL_SECONDS=600)
    assert start_delivery(app)
    senders.append(app)

    record_mail("Just recorded")

    smtp_server.wait_for(1, timeout=10)


@pytest.mark.parametrize(
    "settings",
    [
        {"MAIL_DELIVER_IN_BACKGROUND": False},
        {"MAIL_DELIVER_IN_BACKGROUND": True, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"},
    ],
    ids=["turned off", "Celery workers deliver"],
)
def test_no_sender_starts_when_another_process_delivers(app, settings):
    app.config.update(settings)

    assert not start_delivery(app)
    assert not background_delivery(app).running


def test_building_an_app_starts_no_sender(database_url):
    built = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret"})

    assert built.config["MAIL_DELIVER_IN_BACKGROUND"]
    assert not background_delivery(built).running
