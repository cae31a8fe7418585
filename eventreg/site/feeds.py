"""Calendar feeds: the conference schedule, one session, and a person's agenda.

All of them work as downloads ("Add to calendar") and as ``webcal://`` subscriptions.
"""

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_babel import gettext as _

from eventreg.conferences.models import Talk
from eventreg.conferences.services import get_published_or_404
from eventreg.core.extensions import db
from eventreg.core.links import public_url, webcal_url
from eventreg.invites import events as calendar_events
from eventreg.invites.feeds import feed_response
from eventreg.registration import services as registration_services
from eventreg.registration.models import Registration
from eventreg.registration.tokens import feed_token_for, registration_id_from_feed_token

bp = Blueprint("invites", __name__)

# Ids in addresses use the app's ``id`` converter (eventreg.web): a number no table can hold
# is a 404, never a database error. Kept as a name for the routes that spell it ``<{ID}:...>``.
ID = "id"


@bp.app_template_global("webcal_url")
def webcal_url_global(url: str) -> str:
    """``webcal_url(url_for("invites.schedule_feed", slug=..., _external=True))``: the same
    feed as a subscription link that opens the calendar app."""
    return webcal_url(url)


@bp.app_template_global("agenda_feed_url")
def agenda_feed_url(registration: Registration) -> str:
    """The absolute address of a registration's personal agenda feed (for its owner only)."""
    return public_url("invites.agenda_feed", token=feed_token_for(registration.id))


@bp.get("/c/<slug>/schedule.ics")
def schedule_feed(slug: str):
    conference = get_published_or_404(slug)
    events = calendar_events.schedule_events(conference)
    return feed_response(
        f"schedule:{conference.id}",
        events,
        name=conference.title,
        description=_("The programme of %(title)s", title=conference.title),
        uid=calendar_events.uid_for(f"{conference.uuid}-schedule"),
        filename=f"{conference.slug}.ics",
        private=False,
    )


@bp.get("/c/<slug>/sessions/<id:talk_id>.ics")
def session_feed(slug: str, talk_id: int):
    conference = get_published_or_404(slug)
    talk = db.session.scalar(sa.select(Talk).filter_by(id=talk_id, conference_id=conference.id))
    if talk is None or talk.start_at is None:
        abort(404)
    return feed_response(
        f"session:{talk.id}",
        calendar_events.talk_feed_events(conference, talk.id),
        name=talk.title,
        description=conference.title,
        uid=calendar_events.uid_for(f"{talk.uuid}-feed"),
        filename=f"{conference.slug}-session-{talk.id}.ics",
        private=False,
    )


@bp.get("/feeds/agenda/<token>.ics")
def agenda_feed(token: str):
    """A person's agenda at a secret address. Once the registration is cancelled or erased
    the calendar is empty rather than gone, so subscribed calendars drop the events."""
    registration_id = registration_id_from_feed_token(token)
    if registration_id is None:
        abort(404)
    registration = db.session.get(Registration, registration_id)
    events = registration_services.agenda_events(registration)
    title = registration.conference.title if registration is not None else _("Agenda")
    return feed_response(
        f"agenda:{registration_id}",
        events,
        name=_("%(title)s: my agenda", title=title),
        description="",
        uid=calendar_events.uid_for(f"agenda-{registration_id}"),
        filename="agenda.ics",
        private=True,
    )
