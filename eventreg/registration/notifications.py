"""What attendees are told about their registration and their agenda, and when.

Every function records its messages in the outbox inside the caller's transaction and never
commits; delivery happens after commit (see ``eventreg.mail``). Callers pass the plain
management secret only where the message carries the management link.

The messages of the registration rush (registration received, registered again, the link
resent) are recorded as what to say (``outbox.record_deferred``): the caller holds the
conference's lock, and rendering them there would hold it many times longer than the seat
decision needs. The invite's SEQUENCE is recorded with them (and its calendar copy, in the
same transaction); the management secret travels sealed. The composers at the end of this
module make them when the sender delivers them. Every other message is rendered at once.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.links import public_url, webcal_url
from eventreg.core.translations import text_in
from eventreg.invites.events import conference_event
from eventreg.invites.messages import (
    Person,
    conference_facts,
    send,
    send_session,
    send_stamped,
    stamp_conference_invite,
)
from eventreg.mail.builder import N_
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import CannotCompose, composer, record_deferred
from eventreg.registration.checkin import checkin_code, checkin_png
from eventreg.registration.models import Registration, SessionSignup
from eventreg.registration.tokens import feed_token_for


def attendee(registration: Registration) -> Person:
    return Person(
        name=registration.full_name,
        email=registration.email,
        locale=registration.locale or "en",
        registration_id=registration.id,
    )


def agenda_links(registration: Registration) -> dict[str, str]:
    feed = public_url("invites.agenda_feed", token=feed_token_for(registration.id))
    return {"feed_url": feed, "webcal_url": webcal_url(feed)}


def checkin_pass(registration: Registration) -> dict[str, object]:
    """What a mail needs to show the check-in code: the code as text, and its QR code as
    PNG bytes, which the template attaches by Content-ID (``email/_checkin.html``)."""
    return {
        "checkin_code": checkin_code(registration.id),
        "checkin_png": checkin_png(registration.id),
    }


RECEIVED = "registration_confirmed"
WAITING = "registration_waiting"
AGAIN = "registration_again"
LINK = "management_link"
PENDING = "registration_pending"
REJECTED = "registration_rejected"


def _record(
    registration: Registration, kind: str, subject: str, content: dict[str, Any], secret: str
) -> None:
    if not registration.email:
        return
    record_deferred(
        kind=kind,
        recipient=registration.email,
        subject=subject,
        content=content,
        secret=secret,
        conference_id=registration.conference_id,
        registration_id=registration.id,
    )


def registration_received(
    registration: Registration,
    manage_token: str,
    position: int | None = None,
    *,
    new: bool = False,
) -> None:
    """A new registration: a seat (with the invite) or ``position`` on the waiting list.
    ``new``: the row was inserted in this transaction (no calendar copy can exist)."""
    conference = registration.conference
    stamp = utcnow()
    content: dict[str, Any] = {"position": position, "stamp": stamp.isoformat()}
    with force_locale(registration.locale or "en"):
        if registration.status == "confirmed":
            kind = RECEIVED
            subject = _("Your seat at %(title)s is confirmed", title=text_in(conference, "title"))
            content["sequence"] = stamp_conference_invite(
                attendee(registration), conference, "REQUEST", kind, stamp, first_copy=new
            )
        else:
            kind = WAITING
            subject = _(
                "You are on the waiting list for %(title)s", title=text_in(conference, "title")
            )
    _record(registration, kind, subject, content, manage_token)


def registration_pending(registration: Registration, manage_token: str) -> None:
    """A registration the organizers review first: what happens next, and the management
    link (to change or withdraw it). No invite: the calendar gets the conference with the
    seat, once approved."""
    with force_locale(registration.locale or "en"):
        subject = _(
            "Your registration for %(title)s is waiting for approval",
            title=text_in(registration.conference, "title"),
        )
    _record(registration, PENDING, subject, {}, manage_token)


def registration_rejected(registration: Registration, manage_token: str) -> None:
    """The organizers could not accept the registration: a kind word, no invite. The
    message carries the (spare) management link, for the person's data."""
    with force_locale(registration.locale or "en"):
        subject = _(
            "Your registration for %(title)s", title=text_in(registration.conference, "title")
        )
    _record(registration, REJECTED, subject, {}, manage_token)


def pending_withdrawn(registration: Registration) -> None:
    """The person withdrew a registration still waiting for approval: it held no seat and
    was in no calendar, so the message says so and carries no CANCEL."""
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        send(
            person,
            conference,
            kind="registration_withdrawn",
            template="registration_withdrawn",
            subject=_("Registration withdrawn: %(title)s", title=text_in(conference, "title")),
        )


def management_link_resent(registration: Registration, manage_token: str) -> None:
    with force_locale(registration.locale or "en"):
        subject = _(
            "Your registration link for %(title)s", title=text_in(registration.conference, "title")
        )
    _record(registration, LINK, subject, {"status": registration.status}, manage_token)


def registered_again(registration: Registration, manage_token: str, position: int | None) -> None:
    """Someone sent the form again with the address of this existing registration: tell the
    holder truly what happened. Nothing changed, the link they hold still works, and the
    message carries the spare link (see ``services.resend_link``) in case theirs is lost."""
    with force_locale(registration.locale or "en"):
        subject = _(
            "Your registration for %(title)s is unchanged",
            title=text_in(registration.conference, "title"),
        )
    content = {"status": registration.status, "position": position}
    _record(registration, AGAIN, subject, content, manage_token)


def cancel_by_reply(registration: Registration, manage_token: str) -> None:
    """The attendee's calendar declined the conference invite: a stray press must not
    cancel, so ask them to confirm on the cancellation page (whose GET only asks)."""
    conference = registration.conference
    person = attendee(registration)
    links = {"slug": conference.slug, "token": manage_token}
    with force_locale(person.locale):
        send(
            person,
            conference,
            kind="cancel_by_reply",
            template="cancel_by_reply",
            subject=_(
                "Cancel your registration for %(title)s?", title=text_in(conference, "title")
            ),
            cancel_url=public_url("registration.cancel", **links),
            manage_url=public_url("registration.manage", **links),
        )


def registration_promoted(registration: Registration) -> None:
    """Moved from the waiting list to a seat (with the invite)."""
    conference = registration.conference
    person = attendee(registration)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=utcnow())
        send(
            person,
            conference,
            kind="registration_promoted",
            template="registration_promoted",
            subject=_("A seat is yours: %(title)s", title=text_in(conference, "title")),
            invite=("REQUEST", event),
            event=conference_facts(conference, event),
            **agenda_links(registration),
            **checkin_pass(registration),
        )


def seated_sessions(registration: Registration) -> list[Talk]:
    """The scheduled sessions in which the registration holds a seat, in time order: those
    its calendar has as invites. Cancelled ones are left out: the organizers' CANCEL went
    out for them already, and a second message would only repeat it."""
    return list(
        db.session.scalars(
            sa.select(Talk)
            .join(SessionSignup, SessionSignup.talk_id == Talk.id)
            .where(
                SessionSignup.registration_id == registration.id,
                SessionSignup.status == "confirmed",
                Talk.start_at.is_not(None),
                Talk.status != "cancelled",
            )
            .order_by(Talk.start_at, Talk.id)
        )
    )


def registration_cancelled(registration: Registration) -> None:
    """The attendee cancelled: calendars drop the conference and every session in the agenda.

    One CANCEL per event, each in its own message (one UID per iTIP message). Call it
    before the agenda's sign-ups are removed: it reads them to know which sessions to drop.
    """
    conference = registration.conference
    person = attendee(registration)
    stamp = utcnow()
    talks = seated_sessions(registration)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=stamp)
        send(
            person,
            conference,
            kind="registration_cancelled",
            template="registration_cancelled",
            subject=_("Registration cancelled: %(title)s", title=text_in(conference, "title")),
            invite=("CANCEL", event),
            event=conference_facts(conference, event),
            sessions=[text_in(talk, "title") for talk in talks],
        )
    for talk in talks:
        send_session(
            person,
            talk,
            kind="registration_cancelled_session",
            template="agenda_session_dropped",
            subject=N_("Removed from your calendar: %(title)s"),
            method="CANCEL",
            stamp=stamp,
        )


def session_joined(registration: Registration, talk: Talk, status: str) -> None:
    """A session added to the agenda: a seat (with the session's invite) or a waiting place."""
    if status == "confirmed":
        send_session(
            attendee(registration),
            talk,
            kind="session_confirmed",
            template="session_confirmed",
            subject=N_("Your seat is confirmed: %(title)s"),
            method="REQUEST",
        )
    else:
        send_session(
            attendee(registration),
            talk,
            kind="session_waiting",
            template="session_waiting",
            subject=N_("On the waiting list: %(title)s"),
            method=None,
        )


def session_promoted(registration: Registration, talk: Talk) -> None:
    send_session(
        attendee(registration),
        talk,
        kind="session_promoted",
        template="session_promoted",
        subject=N_("A seat is yours: %(title)s"),
        method="REQUEST",
    )


def session_left(registration: Registration, talk: Talk) -> None:
    """The attendee left a session: calendars drop exactly that event."""
    send_session(
        attendee(registration),
        talk,
        kind="session_left",
        template="session_left",
        subject=N_("Removed from your agenda: %(title)s"),
        method="CANCEL",
    )


# --- composed at delivery ----------------------------------------------------------------


def _addressee(row: OutboxMessage, secret: str | None) -> tuple[Registration, Person, str]:
    """The registration a deferred row is about, the person at the recorded address, and
    the management URL the row's secret opens."""
    registration = (
        db.session.get(Registration, row.registration_id) if row.registration_id else None
    )
    if registration is None:
        raise CannotCompose("the registration it is about no longer exists")
    if not registration.email:
        raise CannotCompose("the registration's data has been erased")
    if not secret:
        raise CannotCompose("it has no management secret")
    conference = registration.conference
    manage_url = public_url("registration.manage", slug=conference.slug, token=secret)
    return registration, replace(attendee(registration), email=row.recipient), manage_url


def _content(row: OutboxMessage) -> dict[str, Any]:
    return dict(row.content or {})


def registered_by_name(registration: Registration) -> str | None:
    """Who registered this colleague along with themselves, named as they are when the
    mail is composed (nobody once their data is erased)."""
    lead = registration.registered_by if registration.registered_by_id else None
    return (lead.full_name or None) if lead is not None else None


@composer(RECEIVED, WAITING)
def _compose_received(row: OutboxMessage, secret: str | None) -> None:
    registration, person, manage_url = _addressee(row, secret)
    conference = registration.conference
    content = _content(row)
    with force_locale(person.locale):
        event = conference_event(conference, stamp=datetime.fromisoformat(content["stamp"]))
        if row.kind == RECEIVED:
            send_stamped(
                person,
                conference,
                kind=RECEIVED,
                template="registration_confirmed",
                subject=row.subject,
                invite=("REQUEST", replace(event, sequence=int(content["sequence"]))),
                event=conference_facts(conference, event),
                manage_url=manage_url,
                registered_by=registered_by_name(registration),
                **agenda_links(registration),
                **checkin_pass(registration),
            )
        else:
            # No invite while waiting: the calendar gets the conference with the seat.
            send(
                person,
                conference,
                kind=WAITING,
                template="registration_waiting",
                subject=row.subject,
                event=conference_facts(conference, event),
                manage_url=manage_url,
                position=content.get("position"),
                registered_by=registered_by_name(registration),
            )


@composer(LINK)
def _compose_link(row: OutboxMessage, secret: str | None) -> None:
    registration, person, manage_url = _addressee(row, secret)
    with force_locale(person.locale):
        send(
            person,
            registration.conference,
            kind=LINK,
            template="management_link",
            subject=row.subject,
            manage_url=manage_url,
            status=_content(row).get("status"),
        )


@composer(AGAIN)
def _compose_again(row: OutboxMessage, secret: str | None) -> None:
    registration, person, manage_url = _addressee(row, secret)
    content = _content(row)
    with force_locale(person.locale):
        send(
            person,
            registration.conference,
            kind=AGAIN,
            template="registration_again",
            subject=row.subject,
            status=content.get("status"),
            position=content.get("position"),
            manage_url=manage_url,
        )


@composer(PENDING, REJECTED)
def _compose_decision(row: OutboxMessage, secret: str | None) -> None:
    registration, person, manage_url = _addressee(row, secret)
    with force_locale(person.locale):
        send(
            person,
            registration.conference,
            kind=row.kind,
            template=row.kind,
            subject=row.subject,
            manage_url=manage_url,
            registered_by=registered_by_name(registration),
        )
