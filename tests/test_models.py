"""The data model: UTC storage, wall-clock round trips across DST, and database constraints."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import Talk
from eventreg.core.extensions import db
from eventreg.core.timeutil import local_instant
from tests.factories import make_conference, make_room, make_talk

ROME = ZoneInfo("Europe/Rome")


def reload(talk: Talk) -> Talk:
    talk_id = talk.id
    db.session.expunge_all()
    return db.session.get(Talk, talk_id)


@pytest.mark.parametrize(
    ("day", "wall_clock", "utc_hour"),
    [
        (date(2027, 3, 27), time(9, 30), 8),  # Saturday before spring forward: CET, UTC+1
        (date(2027, 3, 28), time(9, 30), 7),  # the last Sunday of March: CEST, UTC+2
        (date(2027, 10, 30), time(9, 30), 7),  # Saturday before fall back: still CEST
        (date(2027, 10, 31), time(9, 30), 8),  # the last Sunday of October: CET again
    ],
)
def test_rome_wall_clock_survives_the_database_across_dst(app, day, wall_clock, utc_hour):
    conference = make_conference(timezone="Europe/Rome", start_date=day, end_date=day)
    start = local_instant(day, wall_clock, ROME)
    talk = make_talk(conference, start_at=start, end_at=start.replace(hour=start.hour + 1))

    stored = reload(talk)

    assert stored.start_at.tzinfo is not None
    assert stored.start_at.utcoffset().total_seconds() == 0
    assert stored.start_at.hour == utc_hour
    assert stored.start_at.astimezone(ROME).time() == wall_clock
    assert stored.start_at.astimezone(ROME).date() == day


def test_a_session_spanning_the_spring_change_keeps_both_wall_clock_ends(app):
    day = date(2027, 3, 28)
    conference = make_conference(timezone="Europe/Rome", start_date=day, end_date=day)
    start = local_instant(day, time(1, 30), ROME)  # CET
    end = local_instant(day, time(3, 30), ROME)  # CEST: one real hour later
    talk = reload(make_talk(conference, start_at=start, end_at=end))

    assert talk.start_at.astimezone(ROME).time() == time(1, 30)
    assert talk.end_at.astimezone(ROME).time() == time(3, 30)
    assert (talk.end_at - talk.start_at).total_seconds() == 3600


def test_shanghai_times_are_stored_as_utc(app):
    conference = make_conference(timezone="Asia/Shanghai")
    talk = reload(make_talk(conference, start="09:30", end="10:00"))
    assert talk.start_at.astimezone(UTC).hour == 1
    assert talk.start_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") == "09:30"


def test_naive_datetimes_are_refused(app):
    conference = make_conference()
    db.session.add(
        Talk(
            conference=conference,
            title="Naive",
            start_at=datetime(2027, 1, 1, 9),
            end_at=datetime(2027, 1, 1, 10),
        )
    )
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_session_ending_before_it_starts(app):
    conference = make_conference()
    start = datetime(2027, 1, 1, 9, tzinfo=UTC)
    db.session.add(Talk(conference=conference, title="Backwards", start_at=start, end_at=start))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_an_unknown_kind(app):
    conference = make_conference()
    db.session.add(Talk(conference=conference, title="Odd", kind="party"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_slugs_are_unique(app):
    make_conference(slug="same-slug")
    with pytest.raises(IntegrityError):
        make_conference(slug="same-slug")
    db.session.rollback()


def test_foreign_keys_are_enforced(app):
    conference = make_conference()
    db.session.add(Talk(conference=conference, title="Nowhere", room_id=999_999))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_room_keeps_its_sessions_unassigned(app):
    conference = make_conference()
    room = make_room(conference)
    talk = make_talk(conference, room=room)
    db.session.delete(room)
    db.session.commit()
    assert reload(talk).room_id is None


def test_track_colours_must_be_hex(app):
    from eventreg.conferences.models import Track

    with pytest.raises(ValueError, match="colour"):
        Track(name="Bad", color="red;}body{display:none")
