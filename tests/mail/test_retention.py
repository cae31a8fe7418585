"""Delivered mail keeps its content for MAIL_RETENTION_DAYS, then only an anonymous row
remains: no address, subject or message, and no .eml copy."""

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.delivery import _send_batch, claim, deliver_due
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import purge_delivered
from eventreg.mail.transports import ClaimedMessage, FileTransport, eml_name
from eventreg.registration import notifications
from tests.factories import make_conference
from tests.mail.builders import make_registration


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FILE_DIR": str(tmp_path / "outbox")}


@pytest.fixture
def outbox_dir(app):
    return app.config["MAIL_FILE_DIR"]


def delivered_mail(count: int) -> list[OutboxMessage]:
    """``count`` confirmations, delivered as .eml files."""
    conference = make_conference()
    for _ in range(count):
        notifications.registration_received(make_registration(conference), "secret")
    db.session.commit()
    assert deliver_due().sent == count
    return rows()


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def delivered_ago(message: OutboxMessage, age: timedelta) -> None:
    message.sent_at = utcnow() - age
    message.next_attempt_at = message.created_at = message.sent_at - timedelta(seconds=1)
    db.session.commit()


def eml_of(directory: str, message: OutboxMessage | ClaimedMessage) -> Path:
    return Path(directory) / eml_name(message.id, message.created_at)


def test_mail_delivered_longer_ago_than_the_retention_is_emptied_with_its_file(app, outbox_dir):
    old, recent = delivered_mail(2)
    # Moved back in time, so its file is written again under the name it then has.
    delivered_ago(old, timedelta(days=31))
    FileTransport(Path(outbox_dir)).send(
        ClaimedMessage(old.id, old.recipient, old.raw, old.attempts, old.created_at)
    )
    assert eml_of(outbox_dir, old).exists() and eml_of(outbox_dir, recent).exists()

    assert purge_delivered() == 1

    old, recent = rows()
    assert (old.status, old.recipient, old.subject, old.raw) == ("sent", "", "", b"")
    assert not eml_of(outbox_dir, old).exists()
    assert recent.recipient and recent.raw and eml_of(outbox_dir, recent).exists()
    assert purge_delivered() == 0  # nothing left to purge


def test_the_retention_period_is_a_setting_and_none_keeps_mail(app, outbox_dir):
    [message] = delivered_mail(1)
    delivered_ago(message, timedelta(days=8))

    app.config["MAIL_RETENTION_DAYS"] = None
    assert purge_delivered() == 0
    app.config["MAIL_RETENTION_DAYS"] = 10
    assert purge_delivered() == 0
    app.config["MAIL_RETENTION_DAYS"] = 7
    assert purge_delivered() == 1


def test_undelivered_mail_is_never_purged(app):
    conference = make_conference()
    notifications.registration_received(make_registration(conference), "secret")
    db.session.commit()
    [message] = rows()
    message.created_at = message.next_attempt_at = utcnow() - timedelta(days=90)
    message.status = "failed"
    db.session.commit()

    assert purge_delivered() == 0
    [kept] = rows()
    assert kept.recipient and kept.subject and kept.content  # composed when it goes out


def test_the_delivery_pass_purges_old_mail(app):
    [message] = delivered_mail(1)
    delivered_ago(message, timedelta(days=40))
    app.extensions.pop("eventreg.mail.last_purge", None)  # as in a freshly started worker

    deliver_due()

    assert rows()[0].raw == b""


def test_the_purge_command(app, runner):
    [message] = delivered_mail(1)
    delivered_ago(message, timedelta(days=40))

    result = runner.invoke(args=["purge-mail"])

    assert result.exit_code == 0, result.output
    assert "Purged 1 messages delivered more than 30 days ago." in result.output
    assert rows()[0].raw == b""


def test_a_file_written_for_a_message_erased_in_flight_is_deleted(app, outbox_dir):
    conference = make_conference()
    notifications.registration_received(make_registration(conference), "secret")
    db.session.commit()
    now = utcnow()
    token, [claimed] = claim(5, now, timedelta(minutes=5))
    # The attendee's data is erased while the worker holds the message.
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()

    _send_batch(FileTransport(Path(outbox_dir)), token, [claimed], now, timedelta(minutes=5))

    assert not eml_of(outbox_dir, claimed).exists()
