"""Invites sent by e-mail, read back by icalendar, vobject and ical.js, which must agree.

Every test goes through the real path: notification → outbox → SMTP (aiosmtpd) → the
e-mail package → three calendar parsers.
"""

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from freezegun import freeze_time

from eventreg.core.extensions import db
from eventreg.registration import notifications
from tests.factories import (
    at,
    cancel_talk,
    make_conference,
    make_room,
    make_speaker,
    make_talk,
    reschedule_talk,
)
from tests.invites.parsers import parse_agreed
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import calendar_part, deliver


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def session_invite(smtp_server, conference, **talk_fields):
    talk = make_talk(conference, **talk_fields)
    registration = make_registration(conference)
    add_signup(registration, talk)
    notifications.session_joined(registration, talk, "confirmed")
    db.session.commit()
    (message,) = deliver(smtp_server)
    method, data = calendar_part(message)
    return talk, method, data


@pytest.mark.parametrize(
    ("zone", "day", "start", "end", "utc_start", "utc_end"),
    [
        # Shenzhen: UTC+8 all year.
        (
            "Asia/Shanghai",
            date(2027, 11, 1),
            "09:30",
            "10:15",
            utc(2027, 11, 1, 1, 30),
            utc(2027, 11, 1, 2, 15),
        ),
        # Rome in winter (CET, UTC+1): the case RDATE-only VTIMEZONEs get wrong in ical.js.
        (
            "Europe/Rome",
            date(2027, 1, 15),
            "09:30",
            "10:15",
            utc(2027, 1, 15, 8, 30),
            utc(2027, 1, 15, 9, 15),
        ),
        # Rome in summer (CEST, UTC+2).
        (
            "Europe/Rome",
            date(2027, 7, 1),
            "09:30",
            "10:15",
            utc(2027, 7, 1, 7, 30),
            utc(2027, 7, 1, 8, 15),
        ),
        # Across the spring change: 01:30 CET to 03:30 CEST is one real hour.
        (
            "Europe/Rome",
            date(2027, 3, 28),
            "01:30",
            "03:30",
            utc(2027, 3, 28, 0, 30),
            utc(2027, 3, 28, 1, 30),
        ),
        # Across the autumn change: 01:30 CEST to 03:30 CET is three real hours.
        (
            "Europe/Rome",
            date(2027, 10, 31),
            "01:30",
            "03:30",
            utc(2027, 10, 30, 23, 30),
            utc(2027, 10, 31, 2, 30),
        ),
    ],
    ids=["shanghai", "rome-winter", "rome-summer", "rome-spring-change", "rome-autumn-change"],
)
def test_every_parser_reads_the_session_at_the_same_utc_instants(
    app, smtp_server, zone, day, start, end, utc_start, utc_end
):
    conference = make_conference(timezone=zone, start_date=day, end_date=day)

    talk, method, data = session_invite(smtp_server, conference, day=day, start=start, end=end)

    parsed_method, events = parse_agreed(data)
    assert method == parsed_method == "REQUEST"
    (event,) = events.values()
    assert (event.start, event.end) == (utc_start, utc_end)
    assert event.uid == f"{talk.uuid}@eventreg"


def test_an_update_then_a_cancel_keep_the_uid_and_raise_the_sequence(app, smtp_server):
    conference = make_conference(timezone="Europe/Rome", start_date=date(2027, 3, 27))
    talk = make_talk(conference, day=date(2027, 3, 27), start="09:00", end="10:00")
    registration = make_registration(conference)
    add_signup(registration, talk)
    with freeze_time("2026-01-10 08:00:00"):
        notifications.session_joined(registration, talk, "confirmed")
        db.session.commit()
    with freeze_time("2026-01-11 08:00:00"):
        # Moved to the next day, across the spring change.
        reschedule_talk(
            talk,
            at(conference, date(2027, 3, 28), "09:00"),
            at(conference, date(2027, 3, 28), "10:00"),
        )
    with freeze_time("2026-01-12 08:00:00"):
        cancel_talk(talk)

    messages = deliver(smtp_server)
    # The conference's own event also moved (its only session did): skip that update.
    invites = [
        calendar_part(m)
        for m in messages
        if m["Subject"].startswith(("Your", "Changed", "Cancelled"))
    ]
    readings = [(method, parse_agreed(data)) for method, data in invites]
    assert [method for method, _ in readings] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [next(iter(events.values())) for _, (_, events) in readings]
    assert {event.uid for event in events} == {f"{talk.uuid}@eventreg"}
    assert [event.sequence for event in events] == [0, 1, 2]
    assert [event.status for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert events[0].start == utc(2027, 3, 27, 8, 0)  # CET
    assert events[1].start == utc(2027, 3, 28, 7, 0)  # CEST
    stamps = [
        icalendar.Calendar.from_ical(data).walk("VEVENT")[0].decoded("DTSTAMP")
        for _, data in invites
    ]
    assert stamps == [utc(2026, 1, 10, 8), utc(2026, 1, 11, 8), utc(2026, 1, 12, 8)]


def test_the_invite_carries_every_property_calendars_need_and_nothing_private(app, smtp_server):
    conference = make_conference(
        title="Transnational Innovation in Biotech",
        venue="Shenzhen Conference Centre",
        address="Futian District, Shenzhen",
        organizer_name="Shenzhen-European Office",
        organizer_email="events@example.org",
    )
    room = make_room(conference, name="Pearl River Room")
    speaker = make_speaker(conference, name="Sun Xiaoyu", title="Chief Representative")
    talk = make_talk(
        conference,
        title="Shenzhen and Europe: a biotech bridge",
        abstract="Why closer ties matter now.",
        room=room,
        speakers=[speaker],
    )
    registration = make_registration(conference, full_name="Giulia Rossi", affiliation="Pavia")
    add_signup(registration, talk)
    notifications.registration_received(registration, "the-private-secret")
    notifications.session_joined(registration, talk, "confirmed")
    db.session.commit()
    conference_message, session_message = deliver(smtp_server)

    _, data = calendar_part(session_message)
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert "eventreg" in str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Shenzhen and Europe: a biotech bridge"
    assert str(event["LOCATION"]) == (
        "Pearl River Room, Shenzhen Conference Centre, Futian District, Shenzhen"
    )
    description = str(event["DESCRIPTION"])
    assert "Why closer ties matter now." in description
    assert "Sun Xiaoyu (Chief Representative, Test Institute)" in description
    session_url = f"http://eventreg.test/c/{conference.slug}/sessions/{talk.id}"
    assert session_url in description
    assert str(event["URL"]) == session_url
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    organizer = event["ORGANIZER"]
    # The attendee's own reply address (tests/registration/test_calendar_replies.py).
    assert str(organizer).startswith(f"mailto:rsvp+{registration.id}-")
    assert organizer.params["CN"] == "Shenzhen-European Office"
    attendee = event["ATTENDEE"]  # exactly one: a list here would mean several
    assert not isinstance(attendee, list)
    assert str(attendee) == f"mailto:{registration.email}"
    assert attendee.params["CN"] == "Giulia Rossi"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "TRUE"  # answers come back (invites.replies)
    assert event.decoded("DTSTAMP").tzinfo is not None

    for message in (conference_message, session_message):
        _, data = calendar_part(message)
        # Calendars get shared: the management link and other personal data stay out.
        assert b"the-private-secret" not in data
        assert b"/manage/" not in data
        assert b"Pavia" not in data


def test_the_conference_invite_spans_the_programme_from_first_to_last_session(app, smtp_server):
    conference = make_conference(timezone="Asia/Shanghai", start_date=date(2027, 11, 1))
    make_talk(conference, day=date(2027, 11, 1), start="08:30", end="09:15")
    make_talk(conference, day=date(2027, 11, 2), start="14:15", end="15:00")
    # A cancelled session does not stretch the conference.
    make_talk(conference, day=date(2027, 11, 2), start="18:00", end="19:00", status="cancelled")
    registration = make_registration(conference)
    notifications.registration_received(registration, "secret")
    db.session.commit()
    (message,) = deliver(smtp_server)

    method, data = calendar_part(message)
    parsed_method, events = parse_agreed(data)
    assert method == parsed_method == "REQUEST"
    event = events[f"{conference.uuid}@eventreg"]
    assert event.start == utc(2027, 11, 1, 0, 30)
    assert event.end == utc(2027, 11, 2, 7, 0)


def test_without_a_programme_the_conference_invite_covers_its_days_at_the_venue(app, smtp_server):
    conference = make_conference(
        timezone="Europe/Rome", start_date=date(2027, 6, 3), end_date=date(2027, 6, 4)
    )
    registration = make_registration(conference)
    notifications.registration_received(registration, "secret")
    db.session.commit()
    (message,) = deliver(smtp_server)

    _, events = parse_agreed(calendar_part(message)[1])
    (event,) = events.values()
    assert event.start == utc(2027, 6, 3, 7, 0)  # 09:00 CEST
    assert event.end == utc(2027, 6, 4, 16, 0)  # 18:00 CEST
    assert event.end - event.start == timedelta(hours=33)
