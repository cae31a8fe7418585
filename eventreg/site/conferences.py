"""Public conference pages: the list of conferences and each conference's home page."""

import sqlalchemy as sa
from flask import Blueprint, make_response, render_template
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Speaker, Talk, talk_speaker
from eventreg.conferences.revisions import conditional_page
from eventreg.conferences.services import get_published_or_404
from eventreg.core.db import utcnow
from eventreg.core.extensions import db

bp = Blueprint("conferences", __name__)


@bp.get("/")
def index():
    """Published conferences: upcoming and running ones first, soonest first; then the past."""
    now = utcnow()
    conferences = db.session.scalars(
        sa.select(Conference).filter_by(published=True).order_by(Conference.start_date)
    ).all()
    # "Past" is judged in each conference's own zone: a Shanghai event ends before a Rome one.
    past = [c for c in conferences if c.registration_state(now) == "past"]
    upcoming = [c for c in conferences if c not in past]
    return render_template("conferences/index.html", upcoming=upcoming, past=past[::-1], now=now)


def conference_context(conference: Conference) -> dict:
    """What the conference page shows: the conference, its speakers, keynotes and the state
    of registration; a fixed number of queries whatever the size of the programme."""
    # Speakers with at least one session that takes place. The subquery starts from the
    # conference's sessions (indexed), not from each speaker: a correlated EXISTS per speaker
    # scans the whole link table once per row. Plain rows: the page needs five columns.
    speaking = (
        sa.select(talk_speaker.c.speaker_id)
        .join(Talk, Talk.id == talk_speaker.c.talk_id)
        .where(
            Talk.conference_id == conference.id,
            Talk.status == "scheduled",
            Talk.start_at.is_not(None),  # sessions without a time are not public yet
        )
    )
    speakers = db.session.execute(
        sa.select(
            Speaker.id, Speaker.name, Speaker.title, Speaker.affiliation, Speaker.translations
        )
        .where(Speaker.id.in_(speaking))
        .order_by(Speaker.name, Speaker.id)
    ).all()
    keynotes = db.session.scalars(
        sa.select(Talk)
        .filter_by(conference_id=conference.id, kind="keynote")
        .where(Talk.start_at.is_not(None))
        .options(selectinload(Talk.speakers))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    session_count = db.session.scalar(
        sa.select(sa.func.count(Talk.id)).where(
            Talk.conference_id == conference.id,
            Talk.start_at.is_not(None),
            Talk.kind != "break",
            Talk.status == "scheduled",
        )
    )
    return {
        "conference": conference,
        "speakers": speakers,
        "keynotes": keynotes,
        "session_count": session_count,
        "registration_state": conference.registration_state(utcnow()),
    }


@bp.get("/c/<slug>/")
def conference(slug: str):
    # Validated from the conference row alone: the tracks and the rest load only when the
    # page is sent.
    conference = get_published_or_404(slug)
    return conditional_page(
        conference,
        lambda: render_template("conferences/conference.html", **conference_context(conference)),
    )


@bp.get("/c/<slug>/tracks.css")
def track_colors(slug: str):
    """Track colours as a stylesheet: the content security policy allows no inline styles."""
    conference = get_published_or_404(slug)
    rules = [f".track-{track.id} {{ --track: {track.color}; }}" for track in conference.tracks]
    response = make_response("\n".join(rules) + "\n")
    response.mimetype = "text/css"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response
