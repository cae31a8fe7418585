"""The demo data obeys the rules the forms enforce: it is written through the same services."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Conference, Talk
from eventreg.core.audit import AuditEntry
from eventreg.core.errors import Conflict
from eventreg.core.extensions import db
from eventreg.demo import DEMO_SLUG, load_demo, load_synthetic
from eventreg.mail.models import OutboxMessage
from eventreg.schedule import conflicts
from eventreg.schedule.changes import SessionFields, plan_update, values_of
from eventreg.schedule.services import create_sessions, update_session
from tests.factories import at, make_conference, make_room, make_speaker


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def every_field(talk: Talk) -> SessionFields:
    """The session's own values, each given, as a form that re-saves it unchanged sends."""
    values = values_of(talk)
    return SessionFields(
        title=values.title,
        abstract=values.abstract,
        kind=values.kind,
        track_id=values.track_id,
        room_id=values.room_id,
        speaker_ids=values.speaker_ids,
        start_at=values.start_at,
        end_at=values.end_at,
        capacity=values.capacity,
    )


def test_every_demo_session_saves_again_unchanged_and_clashes_with_nothing(app):
    conference = load_demo()
    talks = db.session.scalars(
        sa.select(Talk).filter_by(conference_id=conference.id).order_by(Talk.id)
    ).all()
    assert len(talks) >= 15

    slots = [
        conflicts.Slot(
            t.id, t.title, t.start_at, t.end_at, t.room_id, frozenset(s.id for s in t.speakers)
        )
        for t in talks
    ]
    assert conflicts.all_clashes(slots) == {}
    for talk in talks:
        proposal = every_field(talk)
        plan = plan_update(talk, proposal)
        assert (plan.errors, plan.clashes, plan.changes) == ({}, {}, ()), talk.title
        saved = update_session(None, talk, proposal)  # raises on any refusal
        assert saved.notified == 0
    assert count(OutboxMessage) == 0


def test_moving_each_demo_session_back_and_forth_is_allowed(app):
    """What tripped over the old demo's speaker in two places at 11:15: a later edit that
    moves a session checks it against every other one."""
    conference = load_demo()
    for talk_id in db.session.scalars(sa.select(Talk.id).filter_by(conference_id=conference.id)):
        talk = db.session.get(Talk, talk_id)
        start, end = talk.start_at, talk.end_at
        earlier = SessionFields(start_at=start - timedelta(minutes=1), end_at=end)
        plan = plan_update(talk, earlier)
        assert "speaker_ids" not in plan.errors, (talk.title, plan.errors)


def test_the_demo_is_created_by_the_system_in_one_go_without_mail(app):
    conference = load_demo()
    created = db.session.scalars(
        sa.select(AuditEntry).filter_by(conference_id=conference.id, action="session.created")
    ).all()
    assert len(created) == count(Talk)
    assert {entry.actor for entry in created} == {"system"}
    assert count(OutboxMessage) == 0
    assert load_demo() is None
    assert db.session.scalar(sa.select(sa.func.count()).where(Conference.slug == DEMO_SLUG)) == 1


def test_a_batch_with_a_clash_adds_no_session(app):
    conference = make_conference(slug="batch")
    room = make_room(conference, name="Hall")
    speaker = make_speaker(conference, name="Li Na")
    day = conference.start_date
    first = SessionFields(
        title="First",
        room_id=room.id,
        start_at=at(conference, day, "10:00"),
        end_at=at(conference, day, "11:00"),
    )
    same_room = SessionFields(
        title="Second",
        room_id=room.id,
        speaker_ids=[speaker.id],
        start_at=at(conference, day, "10:30"),
        end_at=at(conference, day, "11:30"),
    )

    with pytest.raises(Conflict, match="Hall is already taken at that time by “First”"):
        create_sessions(None, conference, [first, same_room])

    db.session.rollback()
    assert count(Talk) == 0
    assert count(AuditEntry) == 0


def test_a_synthetic_conference_is_written_through_the_same_rules(app):
    conference = load_synthetic(300, 10, slug="synthetic")
    talks = db.session.scalars(sa.select(Talk).filter_by(conference_id=conference.id)).all()
    assert len(talks) == 300
    slots = [
        conflicts.Slot(
            t.id, t.title, t.start_at, t.end_at, t.room_id, frozenset(s.id for s in t.speakers)
        )
        for t in talks
    ]
    assert conflicts.all_clashes(slots) == {}
    assert count(OutboxMessage) == 0
