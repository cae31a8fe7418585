"""The receivers of ``flask receive-mail``: the IMAP poller against a stand-in IMAP server, and
the SMTP receiver's own limits. (The replies' meaning is tested in
tests/registration/test_calendar_replies.py.)"""

import smtplib

import icalendar
import pytest
import sqlalchemy as sa

from eventreg.cli import smtp_reply_receiver
from eventreg.core.extensions import db
from eventreg.mail.inbound import recipients_of
from eventreg.mail.models import InboundMessage
from eventreg.registration import services
from eventreg.registration.models import SessionSignup
from tests.conftest import make_test_app
from tests.factories import make_conference, make_talk
from tests.mail.builders import make_registration
from tests.mail.imap_server import ImapMailboxServer
from tests.mail.mailbox import calendar_part, deliver
from tests.mail.smtp import free_port
from tests.registration.reply_messages import Answer, outlook


@pytest.fixture
def imap_server():
    server = ImapMailboxServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp_server, imap_server):
    return {
        **smtp_server.app_config,
        **imap_server.app_config,
        "INBOUND_SMTP_PORT": free_port(),
        "INBOUND_MAX_BYTES": 100_000,
    }


def decline_of_a_session(smtp_server):
    """An attendee holding a seat, and their calendar's decline as the mailbox stores it."""
    conference = make_conference()
    talk = make_talk(conference)
    registration = make_registration(conference)
    services.join_session(None, registration, talk)
    (message,) = deliver(smtp_server)
    (event,) = icalendar.Calendar.from_ical(calendar_part(message)[1]).walk("VEVENT")
    address = str(event["ORGANIZER"]).removeprefix("mailto:")
    answer = Answer(address, str(event["UID"]), registration.email, "DECLINED")
    # The provider adds where it delivered the message; To may name anyone.
    raw = f"Delivered-To: {address}\r\n".encode() + outlook(answer).replace(
        f"To: <{address}>".encode(), b"To: <organizers@example.org>"
    )
    return registration, talk, raw


def signups() -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(SessionSignup))


def test_the_poller_hands_each_unseen_message_to_the_handler_once(runner, smtp_server, imap_server):
    _registration, _talk, raw = decline_of_a_session(smtp_server)
    imap_server.add(raw)
    imap_server.add(b"From: a@example.org\r\nSubject: hello\r\n\r\nnot a reply\r\n")

    result = runner.invoke(args=["receive-mail", "--imap", "--once"])

    assert result.exit_code == 0, result.output
    assert "2 handled, 0 failed." in result.output
    assert signups() == 0  # the decline was acted on
    assert [message.flags for message in imap_server.messages] == [{"\\Seen"}, {"\\Seen"}]
    outcomes = sorted(db.session.scalars(sa.select(InboundMessage.outcome)))
    assert outcomes == ["ignored:no_calendar", "left"]

    again = runner.invoke(args=["receive-mail", "--imap", "--once"])
    assert "0 handled, 0 failed." in again.output


def test_with_imap_delete_handled_messages_are_expunged(app, runner, smtp_server, imap_server):
    app.config["INBOUND_IMAP_DELETE"] = True
    _registration, _talk, raw = decline_of_a_session(smtp_server)
    imap_server.add(raw)

    result = runner.invoke(args=["receive-mail", "--imap", "--once"])

    assert "1 handled" in result.output
    assert imap_server.messages == []


def test_a_message_the_handler_could_not_commit_stays_unseen(
    app, app_config, smtp_server, imap_server, instance_path, tmp_path
):
    _registration, _talk, raw = decline_of_a_session(smtp_server)
    imap_server.add(raw)
    # The same settings, but a database that cannot be opened.
    broken = make_test_app(
        f"sqlite:///{tmp_path}/missing/folder/db.sqlite", instance_path, **app_config
    )

    with broken.app_context():
        result = broken.test_cli_runner().invoke(args=["receive-mail", "--imap", "--once"])

    assert "0 handled, 1 failed." in result.output
    assert imap_server.messages[0].flags == set()  # tried again on the next pass
    assert signups() == 1


def test_the_recipient_is_read_from_the_delivery_headers():
    raw = (
        b"Delivered-To: rsvp+1-abc@eventreg.invalid\r\n"
        b"X-Original-To: rsvp+2-def@eventreg.invalid\r\n"
        b"To: Organizers <organizers@example.org>\r\n\r\nbody\r\n"
    )
    assert recipients_of(raw) == [
        "rsvp+1-abc@eventreg.invalid",
        "rsvp+2-def@eventreg.invalid",
        "organizers@example.org",
    ]


def test_receive_mail_refuses_to_run_with_replies_turned_off(app, runner):
    app.config["REPLY_ADDRESS"] = ""
    result = runner.invoke(args=["receive-mail", "--imap", "--once"])
    assert result.exit_code != 0
    assert "REPLY_ADDRESS is empty" in result.output


def test_the_smtp_receiver_refuses_messages_over_the_size_limit(app, smtp_server):
    registration, _talk, raw = decline_of_a_session(smtp_server)
    receiver = smtp_reply_receiver(app)
    receiver.start()
    try:
        address = recipients_of(raw)[0]
        with (
            smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client,
            pytest.raises(smtplib.SMTPException) as refused,
        ):
            client.sendmail("a@example.org", [address], raw + b"x" * 100_001)
        with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
            client.sendmail("a@example.org", [address], raw)  # the same, within the limit
    finally:
        receiver.stop()

    assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", None) == 552
    assert signups() == 0
