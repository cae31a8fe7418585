"""Changing or cancelling a session reaches the calendars of those who hold it."""

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Talk
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.services import update_session
from tests.factories import (
    at,
    cancel_talk,
    make_conference,
    make_room,
    make_speaker,
    make_talk,
    make_track,
    move_talk,
    reschedule_talk,
)
from tests.invites.parsers import parse_agreed
from tests.mail.builders import add_signup, make_registration
from tests.mail.mailbox import calendar_part, deliver, text_body, to


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def session(app):
    """A workshop with a speaker, two seat holders, a waiting attendee and a cancelled one."""
    conference = make_conference(
        timezone="Europe/Rome", start_date=date(2027, 3, 27), end_date=date(2027, 3, 28)
    )
    make_talk(conference, title="Opening", day=date(2027, 3, 27), start="09:00", end="09:30")
    make_talk(conference, title="Closing", day=date(2027, 3, 28), start="17:00", end="18:00")
    speaker = make_speaker(conference, name="Li Na", email="li.na@example.org")
    talk = make_talk(
        conference,
        title="CAR-T workshop",
        day=date(2027, 3, 27),
        start="11:00",
        end="12:00",
        room=make_room(conference, name="Lab"),
        speakers=[speaker],
        capacity=2,
    )
    seated = [make_registration(conference, email=f"seat{i}@example.org") for i in (1, 2)]
    for registration in seated:
        add_signup(registration, talk)
    add_signup(make_registration(conference, email="queue@example.org"), talk, "waiting")
    add_signup(make_registration(conference, email="gone@example.org", status="cancelled"), talk)
    make_registration(conference, email="no-seat@example.org")
    return conference, talk, speaker


def outbox_kinds() -> list[tuple[str, str]]:
    db.session.rollback()
    query = sa.select(OutboxMessage.recipient, OutboxMessage.kind).order_by(OutboxMessage.id)
    return [tuple(row) for row in db.session.execute(query)]


def reload(talk: Talk) -> Talk:
    db.session.rollback()
    return db.session.get(Talk, talk.id)


def test_rescheduling_sends_an_update_to_seat_holders_and_speakers(smtp_server, session):
    conference, talk, _speaker = session
    uid = f"{talk.uuid}@eventreg"

    notified = reschedule_talk(
        talk, at(conference, date(2027, 3, 27), "15:00"), at(conference, date(2027, 3, 27), "16:30")
    )

    assert notified == 3
    assert sorted(outbox_kinds()) == [
        ("li.na@example.org", "session_updated"),
        ("seat1@example.org", "session_updated"),
        ("seat2@example.org", "session_updated"),
    ]
    messages = deliver(smtp_server)
    for message in messages:
        method, data = calendar_part(message)
        _, events = parse_agreed(data)
        assert method == "REQUEST"
        assert events[uid].sequence == 1
        assert events[uid].start == datetime.fromisoformat("2027-03-27T14:00:00+00:00")
        assert "changed the time of this session" in text_body(message)
    assert reload(talk).revision == 1


def test_moving_to_another_room_updates_the_location(smtp_server, session):
    conference, talk, _speaker = session

    move_talk(talk, make_room(conference, name="Pearl River Room"))

    message = to(deliver(smtp_server), "seat1@example.org")[0]
    assert b"LOCATION:Pearl River Room" in calendar_part(message)[1]
    assert "changed the room of this session" in text_body(message)
    assert message["Subject"] == "Changed: CAR-T workshop"


def test_replacing_a_speaker_cancels_for_the_old_one_and_invites_the_new(smtp_server, session):
    conference, talk, old = session
    new = make_speaker(conference, name="Zhang Hao", email="zhang@example.org")

    notified = update_session(
        None, talk, SessionFields(speaker_ids=[new.id], title="CAR-T manufacturing workshop")
    ).notified

    assert notified == 4
    messages = deliver(smtp_server)
    (to_old,) = to(messages, "li.na@example.org")
    (to_new,) = to(messages, "zhang@example.org")
    assert calendar_part(to_old)[0] == "CANCEL"
    assert calendar_part(to_new)[0] == "REQUEST"
    assert (
        to(messages, "seat1@example.org")[0]["Subject"] == "Changed: CAR-T manufacturing workshop"
    )
    update = text_body(to(messages, "seat2@example.org")[0])
    assert "changed the details, the speakers of this session" in update


def test_changes_no_calendar_shows_notify_nobody(smtp_server, session):
    conference, talk, speaker = session

    notified = update_session(
        None,
        talk,
        SessionFields(
            kind="workshop",
            track_id=make_track(conference).id,
            title="CAR-T workshop",
            speaker_ids=[speaker.id],
            abstract="A new abstract: calendars show it, but nobody needs a mail for it.",
        ),
    ).notified

    assert notified == 0
    assert outbox_kinds() == []
    assert reload(talk).revision == 0
    assert reload(talk).kind == "workshop"


def test_cancelling_sends_a_cancel_to_everyone_holding_the_session(smtp_server, session):
    _conference, talk, _speaker = session

    assert cancel_talk(talk) == 3
    assert cancel_talk(reload(talk)) == 0  # once is enough

    messages = deliver(smtp_server)
    assert len(messages) == 3
    for message in messages:
        method, data = calendar_part(message)
        _, events = parse_agreed(data)
        (event,) = events.values()
        assert (method, event.status, event.sequence) == ("CANCEL", "CANCELLED", 1)
    assert reload(talk).status == "cancelled"


def test_a_speaker_who_also_registered_gets_one_message(smtp_server, session):
    conference, talk, speaker = session
    add_signup(make_registration(conference, email=speaker.email), talk)

    notified = move_talk(talk, None)

    assert notified == 3
    assert [kind for recipient, kind in outbox_kinds() if recipient == speaker.email] == [
        "session_updated"
    ]


def test_moving_the_first_session_moves_the_conference_event_for_every_attendee(
    smtp_server, session
):
    conference, _talk, _speaker = session
    opening = db.session.scalar(sa.select(Talk).filter_by(title="Opening"))

    reschedule_talk(opening, opening.start_at - timedelta(hours=1), opening.end_at)

    confirmed_updates = sorted(r for r, kind in outbox_kinds() if kind == "conference_updated")
    assert confirmed_updates == [
        "no-seat@example.org",
        "queue@example.org",
        "seat1@example.org",
        "seat2@example.org",
    ]
    message = to(deliver(smtp_server), "seat1@example.org")[0]
    _, events = parse_agreed(calendar_part(message)[1])
    event = events[f"{conference.uuid}@eventreg"]
    assert event.sequence == 1
    assert event.start == datetime.fromisoformat("2027-03-27T07:00:00+00:00")  # 08:00 CET


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"start_at": datetime(2027, 3, 27, 9, 0), "end_at": datetime(2027, 3, 27, 10, 0)},
            "Times must include their time zone.",
        ),
        ({"start_at": "end-first"}, "A session must end after it starts."),
        ({"start_at": "only-start"}, "A new time needs both a start and an end."),
        ({"title": "  "}, "A session needs a title."),
        ({"start_at": None, "end_at": None}, "cannot be taken off the schedule"),
        ({"room_id": "elsewhere"}, "This conference has no room"),
        ({"capacity": True}, "Give a number of seats"),
    ],
)
def test_impossible_changes_are_refused_and_nothing_is_written(session, changes, message):
    conference, talk, _speaker = session
    if changes.get("start_at") == "end-first":
        changes = {"start_at": talk.end_at, "end_at": talk.start_at}
    elif changes.get("start_at") == "only-start":
        changes = {"start_at": talk.start_at}
    elif changes.get("room_id") == "elsewhere":
        changes = {"room_id": make_room(make_conference()).id}

    with pytest.raises(Invalid, match=message) as refused:
        update_session(None, talk, SessionFields(**changes))

    assert not isinstance(refused.value, Conflict)

    assert outbox_kinds() == []
    assert reload(talk).revision == 0


def test_a_cancelled_session_cannot_be_changed(session):
    _conference, talk, _speaker = session
    cancel_talk(talk)

    with pytest.raises(Conflict, match="cancelled session"):
        move_talk(reload(talk), None)


def test_concurrent_changes_each_raise_the_sequence(app, session):
    conference, talk, _speaker = session
    rooms = [make_room(conference, name=f"Room {i}") for i in range(4)]
    start = threading.Barrier(len(rooms))
    errors = []

    def move(room_id):
        try:
            with app.app_context():
                start.wait()
                target = db.session.get(Talk, talk.id)
                move_talk(target, db.session.get(type(rooms[0]), room_id))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=move, args=(room.id,)) for room in rooms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert reload(talk).revision == 4
