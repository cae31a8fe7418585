"""Replies from attendees' calendars, end to end: the invite asks for them at the attendee's
own address, a REPLY shaped like Outlook's, Gmail's, Apple's or Thunderbird's goes through
the real SMTP receiver of ``flask receive-mail``, and the agenda, the mail and the audit log
show what it did (or that it was ignored)."""

import json
import smtplib
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from eventreg.cli import smtp_reply_receiver
from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.models import InboundMessage, OutboxMessage
from eventreg.registration import notifications, services
from eventreg.registration.models import Registration, SessionSignup
from eventreg.schedule.services import invite_speakers
from tests.conftest import make_test_app
from tests.factories import cancel_talk, make_conference, make_speaker, make_talk
from tests.invites.parsers import ROOT, parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part, deliver, part_of, text_body
from tests.mail.smtp import free_port
from tests.registration.helpers import database_state, fresh_reads, submit
from tests.registration.reply_messages import CLIENTS, Answer

ICALJS_PEOPLE = Path(__file__).with_name("icaljs_people.mjs")


@pytest.fixture
def app_config(smtp_server):
    return {**smtp_server.app_config, "INBOUND_SMTP_PORT": free_port()}


@pytest.fixture
def receiver(app):
    """The SMTP receiver ``flask receive-mail`` runs, on a free port."""
    server = smtp_reply_receiver(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def conference(app):
    return make_conference(
        title="Shenzhen-Italy Healthcare Special",
        organizer_name="Shenzhen-European Office",
        organizer_email="events@example.org",
    )


@pytest.fixture
def talk(conference):
    return make_talk(conference, title="Biotech bridges", capacity=1)


class Inbox:
    """What the attendees' mailboxes received (the ``smtp_server``), delivered on demand."""

    def __init__(self, smtp_server):
        self.smtp_server = smtp_server
        self.read = 0

    def new(self):
        delivered = deliver(self.smtp_server)
        new, self.read = delivered[self.read :], len(delivered)
        return new


@pytest.fixture
def inbox(smtp_server):
    return Inbox(smtp_server)


def invite_to(messages, registration):
    """The last invite among ``messages`` sent to the registration: (message, VEVENT)."""
    invites = [
        message
        for message in messages
        if message["To"].addresses[0].addr_spec == registration.email
        and part_of(message, "text/calendar") is not None
        and calendar_part(message)[0] == "REQUEST"
    ]
    assert invites, "no invite reached the attendee"
    message = invites[-1]
    (event,) = icalendar.Calendar.from_ical(calendar_part(message)[1]).walk("VEVENT")
    return message, event


def answer_to(event, registration, partstat, **fields) -> Answer:
    """What the attendee's calendar app answers to the invite ``event``."""
    return Answer(
        organizer=str(event["ORGANIZER"]).removeprefix("mailto:"),
        uid=str(event["UID"]),
        attendee=registration.email,
        partstat=partstat,
        sequence=int(event["SEQUENCE"]),
        summary=str(event["SUMMARY"]),
        **fields,
    )


def send(receiver, raw: bytes, to: str) -> None:
    with smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client:
        client.sendmail("someone@client.example.org", [to], raw)


def reply(receiver, client: str, answer: Answer, **options) -> None:
    send(receiver, CLIENTS[client](answer, **options), answer.organizer)


def signup_of(registration, talk) -> SessionSignup | None:
    fresh_reads()
    return db.session.scalar(
        sa.select(SessionSignup).filter_by(registration_id=registration.id, talk_id=talk.id)
    )


def outcomes() -> list[str]:
    fresh_reads()
    return list(db.session.scalars(sa.select(InboundMessage.outcome)))


def reply_entries() -> list[AuditEntry]:
    fresh_reads()
    return list(
        db.session.scalars(sa.select(AuditEntry).filter_by(action="registration.calendar_reply"))
    )


def joined_with_invite(inbox, conference, talk, **fields):
    """An attendee holding a seat in ``talk``, and the invite their calendar received."""
    registration = make_registration(conference, **fields)
    services.join_session(None, registration, talk)
    return registration, invite_to(inbox.new(), registration)[1]


# --- the invite -------------------------------------------------------------------------


def test_invites_ask_for_a_reply_at_the_attendees_own_address(inbox, conference, talk):
    registration = make_registration(conference, full_name="Giulia Rossi")
    notifications.registration_received(registration, "manage-secret")
    db.session.commit()
    services.join_session(None, registration, talk)

    messages = inbox.new()
    assert len(messages) == 2
    addresses = set()
    for message in messages:
        sender = message["From"].addresses[0]
        local, domain = sender.addr_spec.split("@")
        assert domain == "eventreg.invalid"  # rsvp@ the domain of MAIL_DEFAULT_SENDER
        assert local.startswith(f"rsvp+{registration.id}-")
        assert local == local.lower() and len(local) <= 64
        assert sender.display_name == "Shenzhen-European Office"
        # A human answer still reaches the organizers; the agent sending is the Sender.
        assert message["Reply-To"].addresses[0].addr_spec == "events@example.org"
        assert message["Sender"].addresses[0].addr_spec == "noreply@eventreg.invalid"
        addresses.add(sender.addr_spec)

        data = calendar_part(message)[1]
        parse_agreed(data)  # icalendar, vobject and ical.js read the same events
        (event,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert str(event["ORGANIZER"]) == f"mailto:{sender.addr_spec}"
        assert event["ATTENDEE"].params["RSVP"] == "TRUE"
        (vevent,) = vobject.readOne(data.decode()).contents["vevent"]
        assert vevent.organizer.value == f"mailto:{sender.addr_spec}"
        assert vevent.attendee.params["RSVP"] == ["TRUE"]
        (read,) = ical_js_people(data)
        assert read["organizer"] == f"mailto:{sender.addr_spec}"
        assert read["organizer_name"] == "Shenzhen-European Office"
        assert read["attendees"] == [
            {"address": f"mailto:{registration.email}", "rsvp": "TRUE", "partstat": "ACCEPTED"}
        ]
    # One address per attendee, the same on every message.
    assert len(addresses) == 1


def ical_js_people(data: bytes) -> list[dict]:
    result = subprocess.run(
        ["node", str(ICALJS_PEOPLE)], input=data, capture_output=True, cwd=ROOT, check=True
    )
    return json.loads(result.stdout)


def test_each_attendee_has_an_address_of_their_own(inbox, conference):
    talk = make_talk(conference)
    _first, first_invite = joined_with_invite(inbox, conference, talk)
    _second, second_invite = joined_with_invite(inbox, conference, talk)

    assert first_invite["ORGANIZER"] != second_invite["ORGANIZER"]


def test_speaker_invites_keep_the_conference_address_and_ask_no_reply(inbox, conference):
    speaker = make_speaker(conference, name="Sun Xiaoyu", email="sun@example.org")
    make_talk(conference, speakers=[speaker])
    invite_speakers(conference)

    (message,) = inbox.new()
    assert message["From"].addresses[0].addr_spec == "events@example.org"
    (event,) = icalendar.Calendar.from_ical(calendar_part(message)[1]).walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:events@example.org"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"


def test_with_replies_turned_off_invites_come_from_the_organizer(app, inbox, conference, talk):
    app.config["REPLY_ADDRESS"] = ""
    registration = make_registration(conference)
    services.join_session(None, registration, talk)

    message, event = invite_to(inbox.new(), registration)

    assert message["From"].addresses[0].addr_spec == "events@example.org"
    assert str(event["ORGANIZER"]) == "mailto:events@example.org"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"


# --- answers about a session -------------------------------------------------------------

COMMENTS = [None, "Sorry, 我那天有别的安排; see you next time"]


@pytest.mark.parametrize("comment", COMMENTS, ids=["no-comment", "comment"])
@pytest.mark.parametrize("client", CLIENTS)
def test_declining_a_session_frees_the_seat_for_the_next_in_line(
    receiver, inbox, conference, talk, client, comment
):
    registration, invite = joined_with_invite(inbox, conference, talk, full_name="Chen Wei")
    next_in_line = make_registration(conference)
    services.join_session(None, next_in_line, talk)  # the only seat is taken: waiting
    inbox.new()

    reply(receiver, client, answer_to(invite, registration, "DECLINED", comment=comment))

    assert outcomes() == ["left"]
    assert signup_of(registration, talk) is None
    assert signup_of(next_in_line, talk).status == "confirmed"
    # The usual CANCEL confirms the answer; the next in line gets the seat and its invite.
    messages = inbox.new()
    assert sorted((m["To"].addresses[0].addr_spec, calendar_part(m)[0]) for m in messages) == (
        sorted([(registration.email, "CANCEL"), (next_in_line.email, "REQUEST")])
    )
    (entry,) = reply_entries()
    assert entry.actor == "attendee"
    assert entry.object_id == registration.id
    assert entry.after == {"partstat": "DECLINED", "done": "left", "talk_id": talk.id}
    logged = json.dumps([entry.summary, entry.before, entry.after], ensure_ascii=False)
    assert registration.email not in logged
    assert "rsvp+" not in logged
    assert "别的安排" not in logged and "Sorry" not in logged
    assert outcomes() == ["left"]


@pytest.mark.parametrize("comment", COMMENTS, ids=["no-comment", "comment"])
@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE"])
@pytest.mark.parametrize("client", CLIENTS)
def test_accepting_a_session_joins_it_unless_it_is_held(
    receiver, inbox, conference, talk, client, partstat, comment
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    answer = answer_to(invite, registration, partstat, comment=comment)

    reply(receiver, client, answer)  # held already: nothing to do
    assert signup_of(registration, talk).status == "confirmed"
    assert inbox.new() == []
    assert reply_entries() == []

    services.leave_session(None, registration, talk)
    inbox.new()
    reply(receiver, client, answer)  # the old invite, accepted after leaving on the website

    assert signup_of(registration, talk).status == "confirmed"
    (message,) = inbox.new()
    assert calendar_part(message)[0] == "REQUEST"
    (entry,) = reply_entries()
    assert entry.after == {"partstat": partstat, "done": "joined", "talk_id": talk.id}
    assert outcomes() == ["unchanged", "joined"]


def test_accepting_a_full_session_puts_the_attendee_on_its_waiting_list(
    receiver, inbox, conference, talk
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    services.leave_session(None, registration, talk)
    joined_with_invite(inbox, conference, talk)  # someone else takes the seat

    reply(receiver, "gmail", answer_to(invite, registration, "ACCEPTED"))

    assert signup_of(registration, talk).status == "waiting"
    (message,) = inbox.new()
    assert "waiting list" in text_body(message)
    assert outcomes() == ["joined_waiting"]


def test_the_same_reply_delivered_twice_is_acted_on_once(receiver, inbox, conference, talk):
    registration, invite = joined_with_invite(inbox, conference, talk)
    raw = CLIENTS["outlook"](answer_to(invite, registration, "DECLINED"))

    send(receiver, raw, str(invite["ORGANIZER"]).removeprefix("mailto:"))
    send(receiver, raw, str(invite["ORGANIZER"]).removeprefix("mailto:"))

    assert len(inbox.new()) == 1  # one CANCEL
    assert len(reply_entries()) == 1
    assert outcomes() == ["left"]


def test_a_second_decline_of_a_session_already_left_changes_nothing(
    receiver, inbox, conference, talk
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    answer = answer_to(invite, registration, "DECLINED")
    reply(receiver, "apple", answer)
    inbox.new()
    before = database_state()

    reply(receiver, "thunderbird", answer)  # another message, the same answer

    assert inbox.new() == []
    after = database_state()
    assert len(after.pop("inbound_message")) == len(before.pop("inbound_message")) + 1
    assert after == before
    assert outcomes() == ["left", "unchanged"]


# --- answers about the conference --------------------------------------------------------


def conference_invite(inbox, conference, **fields):
    registration = make_registration(conference, **fields)
    notifications.registration_received(registration, "manage-secret")
    db.session.commit()
    return registration, invite_to(inbox.new(), registration)[1]


def test_declining_the_conference_asks_to_confirm_and_only_the_confirmation_cancels(
    receiver, inbox, client, conference
):
    registration, invite = conference_invite(inbox, conference, locale="it")

    reply(receiver, "gmail", answer_to(invite, registration, "DECLINED"))

    fresh_reads()
    assert db.session.get(Registration, registration.id).status == "confirmed"
    (message,) = inbox.new()
    assert part_types(message) == ["text/plain", "text/html"]  # no calendar: nothing changed
    text = text_body(message)
    assert f"Gentile {registration.full_name}," in text  # in the registration's language
    cancel_link = next(word for word in text.split() if word.endswith("/cancel"))
    assert cancel_link.startswith(f"http://eventreg.test/c/{conference.slug}/manage/")
    path = cancel_link.removeprefix("http://eventreg.test")
    (entry,) = reply_entries()
    assert entry.after == {"partstat": "DECLINED", "done": "asked_to_confirm"}
    assert entry.actor == "attendee"

    page = client.get(path)  # following the link only asks
    assert page.status_code == 200
    fresh_reads()
    assert db.session.get(Registration, registration.id).status == "confirmed"

    submit(client, path, action="/cancel")  # the one click
    fresh_reads()
    assert db.session.get(Registration, registration.id).status == "cancelled"


def part_types(message) -> list[str]:
    return [part.get_content_type() for part in message.walk() if not part.is_multipart()]


def test_a_second_conference_decline_within_a_day_sends_no_second_mail(receiver, inbox, conference):
    registration, invite = conference_invite(inbox, conference)
    answer = answer_to(invite, registration, "DECLINED")

    reply(receiver, "outlook", answer)
    reply(receiver, "outlook", replace(answer, comment="Really, I cannot come"))

    assert len(inbox.new()) == 1
    assert outcomes() == ["asked_to_confirm", "unchanged"]
    assert len(reply_entries()) == 1

    # A day later, a new decline asks again.
    db.session.execute(
        sa.update(OutboxMessage).values(created_at=utcnow() - timedelta(days=1, minutes=1))
    )
    db.session.commit()
    reply(receiver, "apple", answer)
    assert len(inbox.new()) == 1


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE"])
def test_accepting_the_conference_changes_nothing(receiver, inbox, conference, partstat):
    registration, invite = conference_invite(inbox, conference)
    before = database_state()

    reply(receiver, "thunderbird", answer_to(invite, registration, partstat))

    after = database_state()
    assert len(after.pop("inbound_message")) == 1
    assert before.pop("inbound_message") == []
    assert after == before
    assert inbox.new() == []


# --- what is ignored ---------------------------------------------------------------------


def forged_token(answer, registration, other):
    local, domain = answer.organizer.split("@")
    head, _, mac = local.partition("-")
    return replace(answer, organizer=f"{head}-{mac[::-1]}@{domain}"), "not_addressed"


def another_attendees_token(answer, registration, other):
    # The token of someone else's reply address: their registration, not this attendee.
    return replace(answer, organizer=other["address"]), "other_attendee"


def wrong_attendee(answer, registration, other):
    return replace(answer, attendee="mallory@example.org"), "other_attendee"


def other_conference(answer, registration, other):
    return replace(answer, uid=other["uid"]), "unknown_event"


def unknown_uid(answer, registration, other):
    return replace(answer, uid="no-such-event@eventreg"), "unknown_event"


@pytest.mark.parametrize(
    "tamper",
    [forged_token, another_attendees_token, wrong_attendee, other_conference, unknown_uid],
)
def test_replies_that_do_not_match_are_ignored(receiver, inbox, conference, talk, tamper):
    registration, invite = joined_with_invite(inbox, conference, talk)
    elsewhere = make_conference()
    stranger, stranger_invite = joined_with_invite(inbox, elsewhere, make_talk(elsewhere))
    other = {
        "address": str(stranger_invite["ORGANIZER"]).removeprefix("mailto:"),
        "uid": str(stranger_invite["UID"]),
    }
    answer, reason = tamper(answer_to(invite, registration, "DECLINED"), registration, other)
    before = database_state()

    reply(receiver, "gmail", answer)

    after = database_state()
    assert after.pop("inbound_message") != before.pop("inbound_message")
    assert after == before  # nothing changed but the record of the message
    assert outcomes() == [f"ignored:{reason}"]
    assert inbox.new() == []


def test_replies_about_a_cancelled_registration_or_session_are_ignored(
    receiver, inbox, conference, talk
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    other_talk = make_talk(conference, start="14:00", end="15:00")
    holder, other_invite = joined_with_invite(inbox, conference, other_talk)
    cancel_talk(other_talk)
    services.cancel_registration(None, registration)
    inbox.new()

    reply(receiver, "outlook", answer_to(invite, registration, "ACCEPTED"))
    reply(receiver, "outlook", answer_to(other_invite, holder, "DECLINED"))

    assert outcomes() == ["ignored:registration_cancelled", "ignored:session_cancelled"]
    assert signup_of(holder, other_talk) is not None
    assert inbox.new() == []


def test_mail_to_any_other_address_is_refused_at_rcpt(receiver):
    with (
        smtplib.SMTP(receiver.host, receiver.port, timeout=30) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.sendmail("a@example.org", ["events@eventreg.invalid"], b"Subject: hi\r\n\r\nhi")
    ((code, _text),) = refused.value.recipients.values()
    assert code == 550
    assert outcomes() == []


@pytest.mark.parametrize(
    "body, reason",
    [
        ("Content-Type: text/plain\r\n\r\nSee you there!\r\n", "no_calendar"),
        (
            "Content-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nbroken",
            "not_a_reply",
        ),
        (
            "Content-Type: text/calendar; method=REQUEST\r\n\r\n"
            "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
            "not_a_reply",
        ),
    ],
    ids=["no-calendar", "unreadable", "not-a-reply"],
)
def test_a_message_without_a_usable_reply_is_accepted_and_ignored(
    receiver, inbox, conference, talk, body, reason
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    address = str(invite["ORGANIZER"]).removeprefix("mailto:")
    raw = f"From: {registration.email}\r\nTo: {address}\r\nSubject: Re\r\n{body}".encode()

    send(receiver, raw, address)

    assert outcomes() == [f"ignored:{reason}"]
    assert signup_of(registration, talk) is not None


def test_a_database_failure_answers_451_so_that_the_sender_retries(
    inbox, conference, talk, instance_path, tmp_path, app
):
    registration, invite = joined_with_invite(inbox, conference, talk)
    broken = make_test_app(
        f"sqlite:///{tmp_path}/missing/folder/db.sqlite",
        instance_path,
        INBOUND_SMTP_PORT=free_port(),
    )
    receiver = smtp_reply_receiver(broken)
    receiver.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            reply(receiver, "outlook", answer_to(invite, registration, "DECLINED"))
    finally:
        receiver.stop()

    assert refused.value.smtp_code == 451
    assert signup_of(registration, talk) is not None
