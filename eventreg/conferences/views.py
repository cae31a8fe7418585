"""Public conference pages: the list of conferences and each conference's home page."""

import sqlalchemy as sa
from flask import Blueprint, abort, make_response, render_template
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference
from eventreg.db import utcnow
from eventreg.extensions import db
from eventreg.schedule.models import Speaker, Talk

bp = Blueprint("conferences", __name__)


def get_published_or_404(slug: str) -> Conference:
    conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug, published=True))
    if conference is None:
        abort(404)
    return conference


@bp.get("/")
def index():
    today = utcnow().date()
    conferences = db.session.scalars(
        sa.select(Conference).filter_by(published=True).order_by(Conference.start_date)
    ).all()
    upcoming = [c for c in conferences if c.end_date >= today]
    past = [c for c in reversed(conferences) if c.end_date < today]
    return render_template("conferences/index.html", upcoming=upcoming, past=past)


@bp.get("/c/<slug>/")
def conference(slug: str):
    conference = db.session.scalar(
        sa.select(Conference)
        .filter_by(slug=slug, published=True)
        .options(selectinload(Conference.tracks), selectinload(Conference.rooms))
    )
    if conference is None:
        abort(404)
    speakers = db.session.scalars(
        sa.select(Speaker)
        .filter_by(conference_id=conference.id)
        .where(Speaker.talks.any(Talk.status == "scheduled"))
        .order_by(Speaker.name)
    ).all()
    return render_template(
        "conferences/conference.html",
        conference=conference,
        speakers=speakers,
        registration_state=conference.registration_state(utcnow()),
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
