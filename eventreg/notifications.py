"""Who is told what, and when: one function per event that sends e-mail.

Every function records its messages in the outbox inside the caller's transaction and never
commits; delivery happens after commit (see ``eventreg.mail``). Callers pass the plain
management secret only where the message carries the management link.

Each message carries at most one calendar event (one UID): a REQUEST when someone holds a
seat (conference or session), a CANCEL when they no longer do. The e-mail body says the
essentials in the person's language, with times at the venue and in UTC.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventreg.conferences.models import Conference
from eventreg.db import utcnow
from eventreg.extensions import db
from eventreg.invites import ical
from eventreg.invites.events import (
    conference_event,
    location_text,
    talk_event,
    utc_when_text,
    when_text,
)
from eventreg.mail.compose import Recipient, compose
from eventreg.mail.links import public_url, webcal_url
from eventreg.mail.outbox import record
from eventreg.registration.models import Registration, SessionSignup
from eventreg.registration.tokens import feed_token_for
from eventreg.schedule.models import Speaker, Talk


def N_(message: str) -> str:
    """Mark a message for translation (pybabel extracts ``N_`` by default); it is
    translated later, in the recipient's language, with its arguments."""
    return message


@dataclass(frozen=True)
class Person:
    """Someone mail goes to: an attendee (with a registration) or a speaker."""

    name: str
    email: str | None
    locale: str
    registration_id: int | None = None


def attendee(registration: Registration) -> Person:
    return Person(
        name=registration.full_name,
        email=registration.email,
        locale=registration.locale or "en",
        registration_id=registration.id,
    )


def speaker_person(speaker: Speaker) -> Person:
    # Speakers have no language setting of their own yet: the conference writes in English.
    return Person(name=speaker.name, email=speaker.email, locale="en")


def _conference_facts(conference: Conference, event: ical.CalendarEvent) -> dict:
    return {
        "title": conference.title,
        "when_local": when_text(event.start, event.end, conference.tz),
        "when_utc": utc_when_text(event.start, event.end),
        "where": event.location,
        "url": event.url,
        "speakers": [],
    }


def _session_facts(talk: Talk, event: ical.CalendarEvent) -> dict:
    conference = talk.conference
    return {
        "title": talk.title,
        "when_local": when_text(event.start, event.end, conference.tz),
        "when_utc": utc_when_text(event.start, event.end),
        "where": location_text(conference, talk.room.name if talk.room else ""),
        "url": event.url,
        "speakers": [speaker.name for speaker in talk.speakers],
    }


def _send(
    person: Person,
    conference: Conference,
    *,
    kind: str,
    template: str,
    subject: str,
    invite: tuple[str, ical.CalendarEvent] | None = None,
    **context,
) -> bool:
    """Render ``email/<template>.txt/.html`` and record the message; False when the person
    has no address (erased data, a speaker without e-mail)."""
    if not person.email:
        return False
    calendar = method = None
    if invite is not None:
        method, event = invite
        calendar = ical.invite(method, event, ical.Attendee(person.name, person.email))
    context.update(person=person, conference=conference, method=method)
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = compose(
        Recipient(person.name, person.email),
        subject,
        text,
        html,
        calendar=calendar,
        method=method,
        reply_to=Recipient(conference.organizer_name, conference.organizer_email),
    )
    record(
        message,
        kind=kind,
        conference_id=conference.id,
        registration_id=person.registration_id,
    )
    return True


def _agenda_links(registration: Registration) -> dict:
    feed = public_url("invites.agenda_feed", token=feed_token_for(registration.id))
    return {"feed_url": feed, "webcal_url": webcal_url(feed)}


def registration_received(registration: Registration, manage_token: str) -> None:
    """A new registration: a seat (with the invite) or a place on the waiting list."""
    # The waiting list's order is the registration rules' business; imported here because
    # those rules call this module.
    from eventreg.registration.services import waiting_position

    conference = registration.conference
    person = attendee(registration)
    manage_url = public_url("registration.manage", slug=conference.slug, token=manage_token)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=utcnow())
        if registration.status == "confirmed":
            _send(
                person,
                conference,
                kind="registration_confirmed",
                template="registration_confirmed",
                subject=_("Your seat at %(title)s is confirmed", title=conference.title),
                invite=("REQUEST", event),
                event=_conference_facts(conference, event),
                manage_url=manage_url,
                **_agenda_links(registration),
            )
        else:
            # No invite while waiting: the calendar gets the conference with the seat.
            _send(
                person,
                conference,
                kind="registration_waiting",
                template="registration_waiting",
                subject=_("You are on the waiting list for %(title)s", title=conference.title),
                event=_conference_facts(conference, event),
                manage_url=manage_url,
                position=waiting_position(registration),
            )


def management_link_resent(registration: Registration, manage_token: str) -> None:
    conference = registration.conference
    person = attendee(registration)
    manage_url = public_url("registration.manage", slug=conference.slug, token=manage_token)
    with force_locale(person.locale):
        _send(
            person,
            conference,
            kind="management_link",
            template="management_link",
            subject=_("Your registration link for %(title)s", title=conference.title),
            manage_url=manage_url,
            status=registration.status,
        )


def registration_promoted(registration: Registration) -> None:
    """Moved from the waiting list to a seat (with the invite)."""
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=utcnow())
        _send(
            person,
            conference,
            kind="registration_promoted",
            template="registration_promoted",
            subject=_("A seat is yours: %(title)s", title=conference.title),
            invite=("REQUEST", event),
            event=_conference_facts(conference, event),
            **_agenda_links(registration),
        )


def registration_cancelled(registration: Registration) -> None:
    """The attendee cancelled: calendars drop the conference and every session in the agenda.

    One CANCEL per event, each in its own message (one UID per iTIP message). Call it
    before the agenda's sign-ups are removed: it reads them to know which sessions to drop.
    """
    conference = registration.conference
    person = attendee(registration)
    stamp = utcnow()
    talks = db.session.scalars(
        sa.select(Talk)
        .join(SessionSignup, SessionSignup.talk_id == Talk.id)
        .where(
            SessionSignup.registration_id == registration.id,
            SessionSignup.status == "confirmed",
            Talk.start_at.is_not(None),
        )
        .order_by(Talk.start_at, Talk.id)
    ).all()
    with force_locale(person.locale):
        event = conference_event(conference, stamp=stamp)
        _send(
            person,
            conference,
            kind="registration_cancelled",
            template="registration_cancelled",
            subject=_("Registration cancelled: %(title)s", title=conference.title),
            invite=("CANCEL", event),
            event=_conference_facts(conference, event),
            sessions=[talk.title for talk in talks],
        )
    for talk in talks:
        _send_session(
            person,
            talk,
            kind="registration_cancelled_session",
            template="agenda_session_dropped",
            subject=N_("Removed from your calendar: %(title)s"),
            method="CANCEL",
            stamp=stamp,
        )


def _send_session(
    person: Person,
    talk: Talk,
    *,
    kind: str,
    template: str,
    subject: str,
    method: str | None,
    stamp: datetime | None = None,
    **context,
) -> bool:
    """A message about one session; with ``method``, its invite or cancellation. A session
    without a time yet cannot go into a calendar, so its messages carry no invite."""
    conference = talk.conference
    with force_locale(person.locale):
        if talk.start_at is None:
            facts = {
                "title": talk.title,
                "when_local": _("Not scheduled yet"),
                "when_utc": "",
                "where": location_text(conference, talk.room.name if talk.room else ""),
                "url": public_url("schedule.talk", slug=conference.slug, talk_id=talk.id),
                "speakers": [speaker.name for speaker in talk.speakers],
            }
            invite = None
        else:
            event = talk_event(talk, stamp=stamp or utcnow())
            facts = _session_facts(talk, event)
            invite = (method, event) if method else None
        return _send(
            person,
            conference,
            kind=kind,
            template=template,
            subject=_(subject, title=talk.title),
            invite=invite,
            event=facts,
            **context,
        )


def session_joined(registration: Registration, talk: Talk, status: str) -> None:
    """A session added to the agenda: a seat (with the session's invite) or a waiting place."""
    if status == "confirmed":
        _send_session(
            attendee(registration),
            talk,
            kind="session_confirmed",
            template="session_confirmed",
            subject=N_("Your seat is confirmed: %(title)s"),
            method="REQUEST",
        )
    else:
        _send_session(
            attendee(registration),
            talk,
            kind="session_waiting",
            template="session_waiting",
            subject=N_("On the waiting list: %(title)s"),
            method=None,
        )


def session_promoted(registration: Registration, talk: Talk) -> None:
    _send_session(
        attendee(registration),
        talk,
        kind="session_promoted",
        template="session_promoted",
        subject=N_("A seat is yours: %(title)s"),
        method="REQUEST",
    )


def session_left(registration: Registration, talk: Talk) -> None:
    """The attendee left a session: calendars drop exactly that event."""
    _send_session(
        attendee(registration),
        talk,
        kind="session_left",
        template="session_left",
        subject=N_("Removed from your agenda: %(title)s"),
        method="CANCEL",
    )


CHANGE_LABELS = {
    "time": _l("the time"),
    "room": _l("the room"),
    "details": _l("the details"),
    "speakers": _l("the speakers"),
}

# Sent by the schedule services (eventreg.schedule.services) to attendees holding a seat
# and to speakers; ``person`` comes from attendee() or speaker_person().


def session_updated(person: Person, talk: Talk, changes: list[str], stamp: datetime) -> bool:
    """The session changed (time, room, details): an update with the same UID and a higher
    SEQUENCE replaces the event in calendars."""
    with force_locale(person.locale):
        changed = ", ".join(str(CHANGE_LABELS[change]) for change in changes)
    return _send_session(
        person,
        talk,
        kind="session_updated",
        template="session_updated",
        subject=N_("Changed: %(title)s"),
        method="REQUEST",
        stamp=stamp,
        changed=changed,
    )


def session_cancelled(person: Person, talk: Talk, stamp: datetime) -> bool:
    """The organizers cancelled the session: calendars drop it."""
    return _send_session(
        person,
        talk,
        kind="session_cancelled",
        template="session_cancelled",
        subject=N_("Cancelled: %(title)s"),
        method="CANCEL",
        stamp=stamp,
    )


def speaker_invited(speaker: Speaker, talk: Talk, stamp: datetime) -> bool:
    """The invite for a session the speaker speaks in."""
    return _send_session(
        speaker_person(speaker),
        talk,
        kind="speaker_invite",
        template="speaker_invite",
        subject=N_("You are speaking: %(title)s"),
        method="REQUEST",
        stamp=stamp,
    )


def speaker_removed(speaker: Speaker, talk: Talk, stamp: datetime) -> bool:
    """No longer speaking in the session: it leaves the speaker's calendar."""
    return _send_session(
        speaker_person(speaker),
        talk,
        kind="speaker_removed",
        template="speaker_removed",
        subject=N_("No longer on your programme: %(title)s"),
        method="CANCEL",
        stamp=stamp,
    )


def conference_updated(registration: Registration, stamp: datetime) -> bool:
    """The conference's own event moved (its first or last session changed)."""
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=stamp)
        return _send(
            person,
            conference,
            kind="conference_updated",
            template="conference_updated",
            subject=_("New times: %(title)s", title=conference.title),
            invite=("REQUEST", event),
            event=_conference_facts(conference, event),
            **_agenda_links(registration),
        )


def organizer_message(registration: Registration, subject: str, body: str):
    """A message the organizers wrote in the workspace (plain text, shown as typed).

    Returns the outbox row, so the workspace can follow its delivery; None when the
    registration has no address any more (its data was erased).
    """
    if not registration.email:
        return None
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        context = {"person": person, "conference": conference, "body": body, "method": None}
        text = render_template("organizers/email/organizer_message.txt", **context)
        html = render_template("organizers/email/organizer_message.html", **context)
        message = compose(
            Recipient(person.name, person.email),
            f"{conference.title}: {subject}",
            text,
            html,
            reply_to=Recipient(conference.organizer_name, conference.organizer_email),
        )
    return record(
        message,
        kind="organizer_message",
        conference_id=conference.id,
        registration_id=registration.id,
    )
