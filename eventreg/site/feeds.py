"""Calendar feeds: the conference schedule, one session, and a person's agenda.

All of them work as downloads ("Add to calendar") and as ``webcal://`` subscriptions.
"""

from dataclasses import replace

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Talk
from eventreg.conferences.services import get_published_or_404
from eventreg.core.extensions import db
from eventreg.core.links import public_url, webcal_url
from eventreg.invites import events as calendar_events
from eventreg.invites import sequences
from eventreg.invites.feeds import feed_response, newest_change
from eventreg.invites.ical import CalendarEvent
from eventreg.registration import services as registration_services
from eventreg.registration.models import Registration
from eventreg.registration.tokens import feed_token_for, registration_id_from_feed_token

bp = Blueprint("invites", __name__)


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
    # RFC 5545 wants at least one component: before the programme is out, the conference.
    events = calendar_events.schedule_events(conference) or [
        calendar_events.conference_event(conference)
    ]
    return feed_response(
        events,
        name=conference.title,
        description=_("The programme of %(title)s", title=conference.title),
        uid=calendar_events.uid_for(f"{conference.uuid}-schedule"),
        filename=f"{conference.slug}.ics",
        private=False,
        changed=(newest_change(conference.id),),
    )


@bp.get("/c/<slug>/sessions/<id:talk_id>.ics")
def session_feed(slug: str, talk_id: int):
    conference = get_published_or_404(slug)
    talk = db.session.scalar(sa.select(Talk).filter_by(id=talk_id, conference_id=conference.id))
    if talk is None or talk.start_at is None:
        abort(404)
    return feed_response(
        calendar_events.talk_feed_events(conference, talk.id),
        name=talk.title,
        description=conference.title,
        uid=calendar_events.uid_for(f"{talk.uuid}-feed"),
        filename=f"{conference.slug}-session-{talk.id}.ics",
        private=False,
        changed=(newest_change(conference.id),),
    )


@bp.get("/feeds/agenda/<token>.ics")
def agenda_feed(token: str):
    """A person's agenda at a secret address, in the language they registered in.

    Once the registration is cancelled the feed keeps the events it had, marked cancelled,
    so calendars that keep subscribed events they no longer see still show them cancelled;
    an erased one keeps only the (public) conference event. A registration that no longer
    exists at all is gone (410).
    """
    registration_id = registration_id_from_feed_token(token)
    if registration_id is None:
        abort(404)
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(410)
    conference = registration.conference
    recipient = sequences.registration_recipient(registration.id)
    with force_locale(registration.locale or None):
        if registration.status == "cancelled" or registration.erased_at:
            events = _withdrawn_agenda(registration, recipient)
        else:
            events = sequences.as_sent(recipient, registration_services.agenda_events(registration))
        if not events:
            # On the waiting list (or holding nothing yet): the conference, tentatively, as
            # RFC 5545 wants at least one component.
            event = calendar_events.conference_event(conference)
            summary = _("Waiting list: %(title)s", title=event.summary)
            events = [replace(event, tentative=True, summary=summary)]
        name = _("%(title)s: my agenda", title=conference.title)
        uid = calendar_events.uid_for(f"agenda-{registration_id}")
        return feed_response(
            events,
            name=name,
            description="",
            uid=uid,
            filename="agenda.ics",
            private=True,
            changed=(newest_change(conference.id),),
        )


def _withdrawn_agenda(registration: Registration, recipient: str) -> list[CalendarEvent]:
    conference = registration.conference
    conference_uid = calendar_events.uid_for(conference.uuid)
    # Which sessions someone attended is theirs: once erased, only the conference stays.
    uids = [conference_uid] if registration.erased_at else sequences.held_uids(recipient)
    since = registration.erased_at or registration.cancelled_at or registration.updated_at
    current = calendar_events.events_with_uids(conference, uids)
    events = sequences.withdrawn(recipient, current, since)
    if not events:
        # RFC 5545 wants at least one component: a registration that never held a seat
        # (cancelled from the waiting list) shows the conference, cancelled.
        event = calendar_events.conference_event(conference)
        events = [replace(event, cancelled=True, sequence=event.sequence + 1)]
    return events
