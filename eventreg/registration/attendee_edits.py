"""What organizers change about one attendee: their details and address, or a registration
they add by hand.

Editing is one transaction under the conference's lock (as every registration change): the
new values, the invite updates they need and the audit entry, with every changed field as
before → after. A calendar shows the attendee's name and address in each invite it holds
(``ATTENDEE``), so when either changes each invite they hold is sent again, to the new
address: a REQUEST with the same UID and the next SEQUENCE (``invites.sequences``).

The category is the organizer's choice too: any of the conference's, or none. Its capacity
limits admissions (the seat rules of ``services``), not an organizer's explicit move, so a
confirmed attendee moved to a full category keeps their seat.

Adding by hand goes through the registration service itself (``services.register``): the
same seat rules, the same confirmation mail, the organizer named in the audit log.
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.translations import text_in
from eventreg.invites import sequences
from eventreg.invites.events import conference_event, uid_for
from eventreg.invites.messages import conference_facts, send, send_session
from eventreg.invites.models import CalendarCopy
from eventreg.mail.builder import N_
from eventreg.mail.models import OutboxMessage
from eventreg.registration import notifications, reminders, services
from eventreg.registration.models import Registration, RegistrationCategory, email_key

EDITABLE_FIELDS = ("full_name", "email", "affiliation", "country", "locale", "category_id")
# What each invite names of its attendee: a change of either is sent to their calendar.
INVITE_FIELDS = frozenset({"full_name", "email"})
DETAILS_UPDATED = "details_updated"


class AddressTaken(Conflict):
    """Another registration of the conference already has this address."""

    def __init__(self, address: str):
        super().__init__(
            {
                "email": _(
                    "Another registration of this conference already uses %(email)s.",
                    email=address,
                )
            }
        )


@dataclass(frozen=True)
class AttendeeDetails:
    """What an organizer may set about an attendee; ``email`` already normalised."""

    full_name: str
    email: str
    affiliation: str = ""
    country: str = ""
    locale: str = "en"
    category_id: int | None = None  # one of the conference's categories, or none


def _check_category(conference_id: int, category_id: int | None) -> RegistrationCategory | None:
    """The chosen category, which must be the conference's; Invalid names the field."""
    if category_id is None:
        return None
    category = db.session.get(RegistrationCategory, category_id)
    if category is None or category.conference_id != conference_id:
        raise Invalid({"category": _("Choose one of this conference's categories.")})
    return category


def _category_name(category_id: int | None) -> str | None:
    category = db.session.get(RegistrationCategory, category_id) if category_id else None
    return category.name if category is not None else None


def edit_attendee(
    actor: audit.Actor, registration: Registration, details: AttendeeDetails
) -> list[str]:
    """Set the attendee's details; returns the names of the fields that changed (none: no
    entry, no mail). Raises ``AddressTaken``, ``services.DataErased``, and ``Invalid`` for a
    category of another conference."""
    with services.conference_write(registration.conference_id):
        db.session.refresh(registration)
        if registration.email is None or registration.erased_at is not None:
            raise services.DataErased()
        _check_category(registration.conference_id, details.category_id)
        if email_key(details.email) != registration.email_key and _address_in_use(
            registration, details.email
        ):
            raise AddressTaken(details.email)
        before = audit.snapshot(registration, EDITABLE_FIELDS)
        for name in EDITABLE_FIELDS:
            setattr(registration, name, getattr(details, name))
        try:
            db.session.flush()
        except IntegrityError:  # the lock makes this unlikely; the constraint still decides
            raise AddressTaken(details.email) from None
        old, new = audit.changed(before, audit.snapshot(registration, EDITABLE_FIELDS))
        if not new:
            return []
        if {"full_name", "email", "locale"} & new.keys():
            # Pending reminders were written to the old name, address and language.
            reminders.drop_for_registration(registration)
            reminders.record_for_registration(registration)
        if INVITE_FIELDS & new.keys():
            send_invite_updates(registration)
        if "category_id" in new:
            # The log names the categories, which outlive any later renumbering of ids.
            old["category"] = _category_name(old["category_id"])
            new["category"] = _category_name(new["category_id"])
        audit.log(
            actor,
            "registration.updated",
            registration,
            conference_id=registration.conference_id,
            summary=registration.full_name,
            before=old,
            after=new,
        )
        return list(new)


def _address_in_use(registration: Registration, address: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Registration.id).where(
                Registration.conference_id == registration.conference_id,
                Registration.email_key == email_key(address),
                Registration.id != registration.id,
            )
        )
        is not None
    )


def send_invite_updates(registration: Registration) -> int:
    """Send each invite the attendee's calendar holds again (the conference's while they
    hold a seat, each session's they hold a seat in), as an update to the address they
    have now. Returns how many were sent. Runs inside the caller's transaction."""
    held = {
        uid
        for uid, copy in sequences.copies(sequences.registration_recipient(registration.id)).items()
        if copy.state == "held"
    }
    conference = registration.conference
    person = notifications.attendee(registration)
    sent = 0
    stamp = utcnow()
    if registration.status == "confirmed" and uid_for(conference.uuid) in held:
        with force_locale(person.locale):
            event = conference_event(conference, stamp=stamp)
            sent += send(
                person,
                conference,
                kind=DETAILS_UPDATED,
                template="details_updated",
                subject=_("Your details for %(title)s", title=text_in(conference, "title")),
                invite=("REQUEST", event),
                event=conference_facts(conference, event),
            )
    talks = notifications.seated_sessions(registration)
    for talk in talks:
        if uid_for(talk.uuid) not in held:
            continue
        sent += send_session(
            person,
            talk,
            kind=DETAILS_UPDATED,
            template="details_updated",
            subject=N_("Your details for %(title)s"),
            method="REQUEST",
            stamp=stamp,
        )
    return sent


# --- adding by hand ----------------------------------------------------------------------


class AlreadyRegistered(Conflict):
    def __init__(self, address: str):
        super().__init__(
            {"email": _("%(email)s is already registered for this conference.", email=address)}
        )


class CancelledAddress(Conflict):
    def __init__(self, address: str):
        super().__init__(
            {
                "email": _(
                    "%(email)s has a cancelled registration: to bring it back, add it with "
                    "the confirmation e-mail.",
                    email=address,
                )
            }
        )


# The messages of a new registration that "do not e-mail them" leaves out.
WELCOME_KINDS = (notifications.RECEIVED, notifications.WAITING)


def add_by_hand(
    actor: audit.Actor, conference: Conference, details: AttendeeDetails, *, mail: bool
) -> tuple[Registration, services.Outcome]:
    """Register someone for the attendee (by phone, on paper) through the registration
    service: a seat while there is one, else the waiting list. With ``mail`` they get the
    usual confirmation (with its private link and invite); without, nothing is sent now,
    and the organizer can send the link later. ``details.category_id`` may be any of the
    conference's categories, hidden ones too. Raises ``AlreadyRegistered``,
    ``CancelledAddress`` (only without mail), ``services.RegistrationClosed`` and
    ``Invalid`` for a category of another conference."""
    _check_category(conference.id, details.category_id)
    data = services.RegistrationData(
        full_name=details.full_name,
        affiliation=details.affiliation,
        country=details.country,
        email=details.email,
        locale=details.locale,
        category_id=details.category_id,
    )
    if mail:
        # The service deals with a cancelled registration coming back by itself.
        _refuse_registered(conference, details.email, cancelled_too=False)
        registration, _secret, outcome = services.register(actor, conference, data)
        return registration, outcome
    # Under the conference's lock, so no registration of the address can arrive meanwhile.
    with write_transaction(), services.conference_write(conference.id) as locked:
        _refuse_registered(locked, details.email, cancelled_too=True)
        registration, _secret, outcome = services.register(actor, locked, data)
        _unsend_welcome(registration)
        audit.log(
            actor,
            "registration.added_without_mail",
            registration,
            conference_id=locked.id,
            summary=registration.full_name,
        )
    return registration, outcome


def _refuse_registered(conference: Conference, address: str, *, cancelled_too: bool) -> None:
    found = db.session.scalar(
        sa.select(Registration).filter_by(conference_id=conference.id, email_key=email_key(address))
    )
    if found is None:
        return
    if found.status != "cancelled":
        raise AlreadyRegistered(address)
    if cancelled_too:
        raise CancelledAddress(address)


def _unsend_welcome(registration: Registration) -> None:
    """Take back the welcome message just recorded, and the calendar copy its invite
    counted: the attendee's calendar has been sent nothing."""
    db.session.flush()
    db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.kind.in_(WELCOME_KINDS),
            OutboxMessage.status == "pending",
        )
    )
    db.session.execute(
        sa.delete(CalendarCopy).where(
            CalendarCopy.recipient == sequences.registration_recipient(registration.id)
        )
    )


def details_of(registration: Registration) -> dict[str, Any]:
    """The editable details as form defaults."""
    return {name: getattr(registration, name) for name in EDITABLE_FIELDS}
