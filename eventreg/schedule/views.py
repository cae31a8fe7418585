"""Public programme pages: the schedule (grid and list), a session, a speaker."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference
from eventreg.conferences.views import get_published_or_404
from eventreg.extensions import db
from eventreg.schedule.grid import build_days
from eventreg.schedule.models import Speaker, Talk
from eventreg.timeutil import format_clock, format_clock_with_zone

bp = Blueprint("schedule", __name__, url_prefix="/c/<slug>")


def session_card(talk: Talk, conference: Conference) -> dict:
    """What the schedule shows of one session, as plain data."""
    tz = conference.tz
    return {
        "id": talk.id,
        "title": talk.title,
        "kind": talk.kind,
        "cancelled": talk.cancelled,
        "url": url_for("schedule.talk", slug=conference.slug, talk_id=talk.id),
        "start": talk.start_at,
        "end": talk.end_at,
        "day": talk.start_at.astimezone(tz).date(),
        "start_label": format_clock(talk.start_at, tz),
        "end_label": format_clock(talk.end_at, tz),
        "start_label_zone": format_clock_with_zone(talk.start_at, tz),
        "room_id": talk.room_id,
        "room": talk.room.name if talk.room else "",
        "room_position": talk.room.position if talk.room else -1,
        "track": talk.track.name if talk.track else "",
        "track_id": talk.track_id,
        "speakers": [speaker.name for speaker in talk.speakers],
    }


def schedule_context(conference: Conference) -> dict:
    """Everything the schedule template needs, built with a fixed number of queries."""
    talks = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id)
        .where(Talk.start_at.is_not(None))
        .options(
            selectinload(Talk.speakers), selectinload(Talk.room), selectinload(Talk.track)
        )
        .order_by(Talk.start_at, Talk.id)
    ).all()
    cards = [session_card(talk, conference) for talk in talks]
    rooms = conference.rooms
    return {
        "conference": conference,
        "rooms": [{"id": room.id, "name": room.name} for room in rooms],
        "days": build_days(cards, [room.id for room in rooms]),
        "zone_name": conference.timezone,
    }


@bp.get("/schedule")
def schedule(slug: str):
    conference = get_published_or_404(slug)
    view = "list" if request.args.get("view") == "list" else "grid"
    return render_template("schedule/schedule.html", view=view, **schedule_context(conference))


@bp.get("/sessions/<int:talk_id>")
def talk(slug: str, talk_id: int):
    conference = get_published_or_404(slug)
    talk = db.session.scalar(
        sa.select(Talk)
        .filter_by(id=talk_id, conference_id=conference.id)
        .options(selectinload(Talk.speakers))
    )
    if talk is None:
        abort(404)
    return render_template("schedule/talk.html", conference=conference, talk=talk)


@bp.get("/speakers/<int:speaker_id>")
def speaker(slug: str, speaker_id: int):
    conference = get_published_or_404(slug)
    speaker = db.session.scalar(
        sa.select(Speaker)
        .filter_by(id=speaker_id, conference_id=conference.id)
        .options(selectinload(Speaker.talks))
    )
    if speaker is None:
        abort(404)
    talks = [t for t in speaker.talks if t.start_at is not None]
    return render_template(
        "schedule/speaker.html", conference=conference, speaker=speaker, talks=talks
    )
