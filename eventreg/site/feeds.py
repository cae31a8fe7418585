"""Calendar feeds: the conference schedule, one session, and a person's agenda.

All of them work as downloads ("Add to calendar") and as ``webcal://`` subscriptions.
"""

from dataclasses import replace

import sqlalchemy as sa
from flask import Blueprint, abort
from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Talk
from eventreg.conferences.services import get_published_or_404
from eventreg.core.extensions import db
from eventreg.core.links import public_url, webcal_url
from eventreg.invites import events as calendar_events
from eventreg.invites import ical, sequences
from eventreg.invites.feeds import (
    feed_etag,
    feed_response,
    public_etag,
    refresh_interval,
    serialized_sessions,
)
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

    def body() -> bytes:
        # RFC 5545 wants at least one component: before the programme is out, the conference.
        facts = calendar_events.schedule_facts(conference)
        if facts:
            chunks = serialized_sessions(conference, facts)
        else:
            chunks = [ical.feed_event(calendar_events.conference_event(conference))]
        return ical.feed(
            chunks,
            name=conference.title,
            description=_("The programme of %(title)s", title=conference.title),
            uid=calendar_events.uid_for(f"{conference.uuid}-schedule"),
            refresh=refresh_interval(),
        )

    return feed_response(
        public_etag("schedule", conference),
        conference.updated_at,
        body,
        filename=f"{conference.slug}.ics",
        private=False,
    )


@bp.get("/c/<slug>/sessions/<id:talk_id>.ics")
def session_feed(slug: str, talk_id: int):
    # The conference and whether the session has a time, in one query.
    found = db.session.execute(
        sa.select(Conference, Talk.uuid, Talk.title)
        .join(Talk, Talk.conference_id == Conference.id)
        .where(
            Conference.slug == slug,
            Conference.published.is_(True),
            Talk.id == talk_id,
            Talk.start_at.is_not(None),
        )
    ).one_or_none()
    if found is None:
        abort(404)
    conference, talk_uuid, talk_title = found

    def body() -> bytes:
        facts = calendar_events.talk_facts(conference, talk_id)
        return ical.feed(
            serialized_sessions(conference, facts),
            name=talk_title,
            description=conference.title,
            uid=calendar_events.uid_for(f"{talk_uuid}-feed"),
            refresh=refresh_interval(),
        )

    return feed_response(
        public_etag("session", conference, talk_id),
        conference.updated_at,
        body,
        filename=f"{conference.slug}-session-{talk_id}.ics",
        private=False,
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
    # The registration and its conference (both revisions) in one query.
    found = db.session.execute(
        sa.select(Registration, Conference)
        .join(Conference, Conference.id == Registration.conference_id)
        .where(Registration.id == registration_id)
    ).one_or_none()
    if found is None:
        abort(410)
    registration, conference = found
    etag = feed_etag(
        "agenda",
        registration.id,
        # A row id may be used again after a deletion: the creation moment tells them apart.
        registration.created_at,
        registration.agenda_revision,
        registration.locale,
        conference.id,
        conference.uuid,
        conference.feed_revision,
    )

    def body() -> bytes:
        with force_locale(registration.locale or None):
            return _agenda_body(registration, conference)

    return feed_response(
        etag,
        max(conference.updated_at, registration.updated_at),
        body,
        filename="agenda.ics",
        private=True,
    )


def _agenda_body(registration: Registration, conference: Conference) -> bytes:
    recipient = sequences.registration_recipient(registration.id)
    if registration.status in ("cancelled", "rejected") or registration.erased_at:
        events = _withdrawn_agenda(registration, recipient)
    elif registration.status == "pending":
        events = []
    else:
        events = sequences.as_sent(recipient, registration_services.agenda_events(registration))
    if not events:
        # On the waiting list, awaiting approval (or holding nothing yet): the conference,
        # tentatively, as RFC 5545 wants at least one component.
        event = calendar_events.conference_event(conference)
        if registration.status == "pending":
            summary = _("Awaiting approval: %(title)s", title=event.summary)
        else:
            summary = _("Waiting list: %(title)s", title=event.summary)
        events = [replace(event, tentative=True, summary=summary)]
    return ical.feed(
        [ical.feed_event(event) for event in events],
        name=_("%(title)s: my agenda", title=conference.title),
        description="",
        uid=calendar_events.uid_for(f"agenda-{registration.id}"),
        refresh=refresh_interval(),
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
