"""One attendee's whole calendar conversation, read back by icalendar, vobject and ical.js:
SEQUENCE grows on every message of a UID, From names the ORGANIZER, and the agenda feed
keeps what it had (cancelled) once the registration ends."""

from collections import defaultdict
from datetime import date, timedelta

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from eventreg.core.extensions import db
from eventreg.registration import notifications, services
from eventreg.registration.models import Registration
from eventreg.registration.tokens import feed_token_for
from tests.factories import cancel_talk, make_conference, make_talk, reschedule_talk
from tests.invites.parsers import icaljs_names, parse_agreed
from tests.mail.builders import make_registration
from tests.mail.mailbox import calendar_part, deliver


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    return make_conference(
        title="Salute, tecnologia; futuro",
        timezone="Europe/Rome",
        start_date=date.today() + timedelta(days=30),
        organizer_name="Comitato «Salute»",
        organizer_email="comitato@example.org",
    )


def invite_of(registration: Registration, conference) -> None:
    notifications.registration_received(registration, "manage-secret")
    db.session.commit()


@pytest.fixture
def readings(smtp_server):
    """Delivers the outbox; returns (method, event, message) of every message with an
    invite delivered since the last call (the server keeps all it received)."""
    read = 0

    def new_invites() -> list[tuple[str, object, object]]:
        nonlocal read
        delivered = deliver(smtp_server)
        new, read = delivered[read:], len(delivered)
        return [invite_in(message) for message in new]

    return new_invites


def invite_in(message) -> tuple[str, object, object]:
    method, data = calendar_part(message)
    parsed_method, events = parse_agreed(data)
    assert parsed_method == method
    (event,) = events.values()
    return method, event, message


def agenda(client, registration) -> dict:
    response = client.get(f"/feeds/agenda/{feed_token_for(registration.id)}.ics")
    assert response.status_code == 200
    return parse_agreed(response.data)[1]


def test_sequence_grows_on_every_message_of_a_uid(readings, client, conference):
    talk = make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    registration = make_registration(conference, full_name="Chen Wei")
    sent = []

    invite_of(registration, conference)
    sent += readings()
    services.join_session(None, registration, talk)
    sent += readings()
    reschedule_talk(talk, talk.start_at + timedelta(hours=1), talk.end_at + timedelta(hours=1))
    sent += readings()
    services.leave_session(None, registration, talk)
    sent += readings()
    services.join_session(None, registration, talk)
    sent += readings()
    feed_before = agenda(client, registration)
    services.cancel_registration(None, registration)
    sent += readings()

    by_uid = defaultdict(list)
    for method, event, _message in sent:
        by_uid[event.uid].append((method, event.sequence))
    talk_uid, conference_uid = f"{talk.uuid}@eventreg", f"{conference.uuid}@eventreg"
    assert [method for method, _ in by_uid[talk_uid]] == [
        "REQUEST",  # joined
        "REQUEST",  # moved
        "CANCEL",  # left
        "REQUEST",  # joined again
        "CANCEL",  # registration cancelled
    ]
    # Invited; moved with its first session; cancelled.
    assert [method for method, _ in by_uid[conference_uid]] == ["REQUEST", "REQUEST", "CANCEL"]
    for uid, messages in by_uid.items():
        sequences = [sequence for _, sequence in messages]
        assert sequences == sorted(set(sequences)), f"{uid}: {sequences}"

    # The cancelled agenda keeps both events, cancelled, above anything it showed.
    feed_after = agenda(client, registration)
    assert set(feed_after) == {talk_uid, conference_uid} == set(feed_before)
    for uid, event in feed_after.items():
        assert event.status == "CANCELLED"
        assert event.sequence > feed_before[uid].sequence
        assert event.sequence >= by_uid[uid][-1][1]

    # From the address the invites name as ORGANIZER (the attendee's own reply address),
    # the same on every message; Sender is the agent, Reply-To the organizers.
    senders = set()
    for _method, _event, message in sent:
        sender = message["From"].addresses[0].addr_spec
        senders.add(sender)
        assert message["Sender"].addresses[0].addr_spec == "noreply@eventreg.invalid"
        assert message["Reply-To"].addresses[0].addr_spec == "comitato@example.org"
        organizer = icalendar.Calendar.from_ical(calendar_part(message)[1]).walk("VEVENT")[0]
        assert str(organizer["ORGANIZER"]) == f"mailto:{sender}"
    assert len(senders) == 1
    assert senders.pop().startswith(f"rsvp+{registration.id}-")


def test_a_conference_cancel_after_an_invite_at_sequence_3_is_higher(readings, conference):
    conference.revision = 3
    db.session.commit()
    registration = make_registration(conference)
    invite_of(registration, conference)
    services.cancel_registration(None, registration)

    (invite, _i, _m), (cancel, event, _message) = readings()

    assert (invite, cancel) == ("REQUEST", "CANCEL")
    assert event.sequence == 4


def test_cancelling_does_not_cancel_again_what_the_organizers_cancelled(readings, conference):
    kept = make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    dropped = make_talk(conference, day=conference.start_date, start="11:00", end="12:00")
    registration = make_registration(conference)
    services.join_session(None, registration, kept)
    services.join_session(None, registration, dropped)
    cancel_talk(dropped)
    readings()

    services.cancel_registration(None, registration)
    cancels = [event.uid for method, event, _m in readings() if method == "CANCEL"]

    assert f"{kept.uuid}@eventreg" in cancels
    assert f"{dropped.uuid}@eventreg" not in cancels


def test_an_erased_registration_keeps_only_the_conference_cancelled(readings, client, conference):
    talk = make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    registration = make_registration(conference, full_name="Ada Lovelace")
    invite_of(registration, conference)
    services.join_session(None, registration, talk)
    shown = agenda(client, registration)

    services.erase_personal_data(None, registration)
    response = client.get(f"/feeds/agenda/{feed_token_for(registration.id)}.ics")
    _, events = parse_agreed(response.data)

    assert list(events) == [f"{conference.uuid}@eventreg"]
    (event,) = events.values()
    assert event.status == "CANCELLED"
    assert event.sequence > shown[event.uid].sequence
    assert b"Ada" not in response.data


def test_a_registration_cancelled_while_waiting_has_a_valid_agenda(client, conference):
    registration = make_registration(conference, status="waiting")
    services.cancel_registration(None, registration)

    events = agenda(client, registration)

    assert list(events) == [f"{conference.uuid}@eventreg"]
    assert events[f"{conference.uuid}@eventreg"].status == "CANCELLED"


def test_a_deleted_registration_is_gone(client, conference):
    assert client.get(f"/feeds/agenda/{feed_token_for(4242)}.ics").status_code == 410


def test_the_calendar_name_reads_back_whole(client, conference):
    make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    data = client.get(f"/c/{conference.slug}/schedule.ics").data
    parse_agreed(data)

    by_icalendar = icalendar.Calendar.from_ical(data)
    by_vobject = vobject.readOne(data.decode())
    by_icaljs = icaljs_names(data)
    title = "Salute, tecnologia; futuro"
    description = f"The programme of {title}"
    assert by_icalendar.calendar_name == title
    assert str(by_icalendar["X-WR-CALNAME"]) == title
    assert str(by_icalendar["X-WR-CALDESC"]) == description
    for key, value in (("name", title), ("x-wr-calname", title), ("x-wr-caldesc", description)):
        assert by_vobject.contents[key][0].value == value
        assert by_icaljs[key] == value


def count_writes(app):
    """Statements that change the database, counted at the connection (no code of ours
    replaced)."""
    seen = []

    def before(_conn, _cursor, statement, *_args):
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    return seen, before


def test_polling_feeds_in_any_language_never_writes(app, client, conference):
    talk = make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    registration = make_registration(conference, locale="it")
    services.join_session(None, registration, talk)
    urls = [
        f"/c/{conference.slug}/schedule.ics",
        f"/c/{conference.slug}/sessions/{talk.id}.ics",
        f"/feeds/agenda/{feed_token_for(registration.id)}.ics",
    ]
    seen, before = count_writes(app)
    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        for language in ("en", "zh", "it", "en"):
            for url in urls:
                assert client.get(url, headers={"Accept-Language": language}).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)

    assert seen == []


def test_public_feeds_vary_by_language_and_the_agenda_speaks_the_registrations(client, conference):
    talk = make_talk(conference, day=conference.start_date, start="09:00", end="10:00")
    registration = make_registration(conference, locale="it")
    services.join_session(None, registration, talk)

    public = client.get(f"/c/{conference.slug}/schedule.ics", headers={"Accept-Language": "it"})
    in_chinese = client.get(
        f"/feeds/agenda/{feed_token_for(registration.id)}.ics", headers={"Accept-Language": "zh"}
    )

    assert "Accept-Language" in public.headers["Vary"]
    calendar = icalendar.Calendar.from_ical(in_chinese.data)
    assert str(calendar["X-WR-CALNAME"]) == "Salute, tecnologia; futuro: la mia agenda"
    (session,) = [e for e in calendar.walk("VEVENT") if e["UID"] == f"{talk.uuid}@eventreg"]
    assert "Ora locale della sede" in str(session["DESCRIPTION"])
