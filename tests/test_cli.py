"""`flask --app eventreg demo`: the demo conference, once, and large synthetic conferences."""

import os
import subprocess
import sys
from collections import Counter

import sqlalchemy as sa

from eventreg.conferences.models import Conference, Speaker, Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.demo import DEMO_SLUG
from eventreg.registration.models import Registration
from tests.conftest import ROOT


def count(model, **filters) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**filters))


def test_demo_loads_the_shenzhen_italy_conference_once(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"Loaded the demo conference at /c/{DEMO_SLUG}/"

    conference = db.session.scalar(sa.select(Conference).filter_by(slug=DEMO_SLUG))
    assert conference.published and conference.timezone == "Asia/Shanghai"
    assert conference.start_date > utcnow().date()
    assert conference.registration_state(utcnow()) == "open"
    assert [track.name for track in conference.tracks] == [
        "Biomedicine",
        "Health Tech",
        "Medical Research",
    ]
    talks = db.session.scalars(sa.select(Talk).filter_by(conference_id=conference.id)).all()
    assert 15 <= len(talks) <= 25
    assert set(Counter(talk.kind for talk in talks)) == {
        "talk",
        "keynote",
        "panel",
        "workshop",
        "break",
    }
    assert all(talk.capacity for talk in talks if talk.kind == "workshop")
    assert len({talk.start_at.astimezone(conference.tz).date() for talk in talks}) == 2
    keynote = min((t for t in talks if t.kind == "keynote"), key=lambda t: t.start_at)
    assert [(s.name, s.title) for s in keynote.speakers] == [("Sun Xiaoyu", "Chief Representative")]

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "already there; nothing to do" in again.output
    assert count(Conference) == 1
    assert count(Talk) == len(talks)


def test_demo_generates_a_large_synthetic_conference(app, runner):
    result = runner.invoke(args=["demo", "--sessions", "2000", "--attendees", "100"])

    assert result.exit_code == 0, result.output
    assert "2000 sessions, 100 attendees" in result.output
    conference = db.session.scalar(
        sa.select(Conference).where(Conference.slug.startswith("synthetic-2000-"))
    )
    assert conference.published
    assert count(Talk, conference_id=conference.id) == 2000
    assert count(Registration, conference_id=conference.id, status="confirmed") == 100
    assert count(Speaker, conference_id=conference.id) == 1000
    # Every session has a room and no two sessions share a room at the same time.
    slots = db.session.execute(
        sa.select(Talk.room_id, Talk.start_at).filter_by(conference_id=conference.id)
    ).all()
    assert all(room_id is not None for room_id, _ in slots)
    assert len(set(slots)) == 2000

    second = runner.invoke(args=["demo", "--sessions", "10", "--slug", "small-one"])
    assert second.exit_code == 0, second.output
    assert count(Talk, conference_id=conference.id) == 2000
    assert count(Conference) == 2


def test_demo_refuses_a_nonsensical_size(app, runner):
    result = runner.invoke(args=["demo", "--sessions", "0"])

    assert result.exit_code == 2
    assert "--sessions" in result.output
    assert count(Conference) == 0


def test_the_flask_command_line_loads_the_demo(app, database_url, instance_path):
    """The real `flask --app eventreg demo`, as the README and `make run` use it."""
    environment = dict(
        os.environ,
        EVENTREG_SQLALCHEMY_DATABASE_URI=database_url,
        EVENTREG_SECRET_KEY="cli-test",
    )
    command = [sys.executable, "-m", "flask", "--app", "eventreg", "demo"]

    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert f"/c/{DEMO_SLUG}/" in result.stdout
    assert count(Conference, slug=DEMO_SLUG) == 1
