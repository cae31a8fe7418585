"""Small builders for test data; each takes overrides for the fields a test cares about."""

from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.timeutil import local_instant
from eventreg.schedule.changes import SessionFields
from eventreg.schedule.services import cancel_session, update_session

_numbers = count(1)


def make_conference(**fields) -> Conference:
    n = next(_numbers)
    start = fields.pop("start_date", utcnow().date() + timedelta(days=30))
    values = {
        "slug": f"conference-{n}",
        "title": f"Conference {n}",
        "description": "A conference for tests.",
        "venue": "Test Venue",
        "address": "1 Test Street",
        "timezone": "Asia/Shanghai",
        "start_date": start,
        "end_date": start + timedelta(days=1),
        "organizer_name": "Test Organizers",
        "organizer_email": "organizers@example.org",
        "privacy_notice": "We keep your data for this conference only.",
        "published": True,
        "registration_opens_at": utcnow() - timedelta(days=1),
    }
    values.update(fields)
    conference = Conference(**values)
    db.session.add(conference)
    db.session.commit()
    return conference


def make_room(conference: Conference, **fields) -> Room:
    room = Room(conference=conference, name=fields.pop("name", f"Room {next(_numbers)}"), **fields)
    db.session.add(room)
    db.session.commit()
    return room


def make_track(conference: Conference, **fields) -> Track:
    track = Track(
        conference=conference, name=fields.pop("name", f"Track {next(_numbers)}"), **fields
    )
    db.session.add(track)
    db.session.commit()
    return track


def make_speaker(conference: Conference, **fields) -> Speaker:
    values = {"name": f"Speaker {next(_numbers)}", "affiliation": "Test Institute"}
    values.update(fields)
    speaker = Speaker(conference=conference, **values)
    db.session.add(speaker)
    db.session.commit()
    return speaker


def at(conference: Conference, day: date, hh_mm: str) -> datetime:
    """The instant of a wall-clock time on a day in the conference's zone."""
    hours, minutes = map(int, hh_mm.split(":"))
    return local_instant(day, time(hours, minutes), ZoneInfo(conference.timezone))


def make_talk(conference: Conference, **fields) -> Talk:
    day = fields.pop("day", conference.start_date)
    start = fields.pop("start", "10:00")
    end = fields.pop("end", "10:45")
    values = {
        "title": f"Session {next(_numbers)}",
        "abstract": "An abstract.",
        "kind": "talk",
        "start_at": at(conference, day, start),
        "end_at": at(conference, day, end),
    }
    values.update(fields)
    talk = Talk(conference=conference, **values)
    db.session.add(talk)
    db.session.commit()
    return talk


# Session changes in one call, through the schedule's own service (as the system).


def reschedule_talk(talk: Talk, start_at: datetime, end_at: datetime) -> int:
    proposal = SessionFields(start_at=start_at, end_at=end_at)
    return update_session(None, talk, proposal).notified


def move_talk(talk: Talk, room: Room | None) -> int:
    proposal = SessionFields(room_id=room.id if room is not None else None)
    return update_session(None, talk, proposal).notified


def cancel_talk(talk: Talk) -> int:
    return cancel_session(None, talk).notified
