"""Registration rules: seats, waiting lists, session sign-ups and the attendee's own data.

This is the one write path for registrations; web views, the API and the CLI all call it.
Each action (registering, cancelling, promoting, joining a session, ...) is one
``write_transaction()``: the change, the promotions it causes, its e-mails (outbox rows) and
its audit entry commit together, or nothing does. Refusals are ``Conflict`` errors (from
``eventreg.core.errors``) carrying the message to show.

Never overbook: every change that takes or frees a seat first locks the conference row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the write transaction holds the database
write lock from its start), and only then counts seats. Two requests can therefore never
both see "one seat left". Locks are always taken in the same order, conference then
session, so concurrent writers queue instead of deadlocking.
"""

import enum
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy
from email.parser import BytesParser
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import Conference, Talk
from eventreg.conferences.rules import check_capacity
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.tokens import derived_token, hash_token, new_token
from eventreg.invites import events as calendar_events
from eventreg.invites.ical import CalendarEvent
from eventreg.mail.models import OutboxMessage
from eventreg.registration import access, notifications, personal_data, questions, reminders
from eventreg.registration.models import (
    AccessCode,
    Answer,
    Invitation,
    Question,
    Registration,
    RegistrationCategory,
    SessionSignup,
    email_key,
)

# --- refusals ---------------------------------------------------------------------------


class RegistrationClosed(Conflict):
    """The conference takes no registrations now; ``state`` says why (see
    ``Conference.registration_state``)."""

    def __init__(self, state: str):
        messages = {
            "not_yet_open": _("Registration is not open yet"),
            "past": _("This conference has taken place"),
        }
        super().__init__({"": messages.get(state, _("Registration is closed"))})
        self.state = state


class ConferenceOver(Conflict):
    """The conference is over: its registrations and agendas no longer change."""

    def __init__(self, message: str | None = None):
        super().__init__(
            {"": message or _("The conference is over: registrations can no longer change.")}
        )


class NotConfirmed(Conflict):
    """Only a registration holding a conference seat may hold or wait for session seats."""

    def __init__(self) -> None:
        super().__init__({"": _("You can pick sessions once you hold a seat at the conference.")})


class SessionUnavailable(Conflict):
    """Not a session one can sign up for: cancelled, a break, unscheduled or elsewhere."""

    def __init__(self) -> None:
        super().__init__({"": _("This session cannot be added to an agenda.")})


class NoFreeSeat(Conflict):
    """Every seat is taken: promoting someone out of turn needs one more seat."""

    def __init__(self, name: str):
        super().__init__(
            {
                "": _(
                    "Every seat is taken: use “Add a seat and promote” to give %(name)s one.",
                    name=name,
                )
            }
        )


class CategoryFull(Conflict):
    """Every seat of the registration's category is taken: raising the conference's seats
    would not give one."""

    def __init__(self, name: str):
        super().__init__(
            {
                "": _(
                    "Every seat of %(name)s's category is taken: raise the category's seats first.",
                    name=name,
                )
            }
        )


class DataErased(Conflict):
    """The attendee's data was erased: there is nobody left to write to."""

    def __init__(self) -> None:
        super().__init__(
            {"": _("This registration's data has been erased: there is no address to write to.")}
        )


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    PENDING = "pending"  # the conference reviews registrations: an organizer decides
    ALREADY_REGISTERED = "already_registered"


@dataclass(frozen=True)
class Details:
    """What an attendee may change about themselves. ``answers`` maps question ids to a
    string, a list of strings (multiple choice) or a boolean (checkbox); a question left
    out has no answer."""

    full_name: str
    affiliation: str = ""
    country: str = ""
    answers: Mapping[int, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Colleague:
    """Someone registered along with the person filling in the form: they get their own
    registration, link, agenda and invite, and complete their own answers through it."""

    full_name: str
    email: str  # already normalised by email-validator
    affiliation: str = ""


@dataclass(frozen=True)
class RegistrationData(Details):
    email: str = ""  # already normalised by email-validator
    consent_text: str = ""  # the privacy text the attendee agreed to
    locale: str = "en"
    # The category chosen on the form (a public one, or the one a code or invitation opens).
    category_id: int | None = None
    access_code: str = ""  # as typed; see ``access``
    invitation_token: str = ""  # the secret of an invitation's personal link
    colleagues: tuple[Colleague, ...] = ()


# --- transactions and locks -------------------------------------------------------------


@contextmanager
def conference_write(conference_id: int) -> Iterator[Conference]:
    """A write transaction holding the conference's lock (committed when the block ends).

    Everything that counts or changes seats of this conference (its own or its sessions')
    runs inside one of these, which serialises those writers per conference. Inside an
    outer ``write_transaction()`` it joins that one: the lock is then held until the outer
    transaction commits.
    """
    with write_transaction():
        yield db.session.scalars(
            sa.select(Conference)
            .where(Conference.id == conference_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()


def locked_talk(talk_id: int) -> Talk:
    """The session, read afresh and locked against concurrent changes (a row lock on
    PostgreSQL; on SQLite the write transaction already holds the database's write lock).
    Lock its conference first (``conference_write``): every writer takes them in that order."""
    return db.session.scalars(
        sa.select(Talk)
        .where(Talk.id == talk_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _reload(registration: Registration) -> Registration:
    """The registration as it is now, read after the lock was taken."""
    db.session.refresh(registration)
    return registration


def _require_not_over(conference: Conference, message: str | None = None) -> None:
    if conference.registration_state(utcnow()) == "past":
        raise ConferenceOver(message)


def _agenda_over_message() -> str:
    message: str = _("The conference is over: the agenda can no longer change.")
    return message


def _with_promoted(summary: str, promoted: Sequence[object]) -> str:
    """An audit summary that says how many the action moved up from a waiting list."""
    if not promoted:
        return summary
    moved: str = _("%(n)d promoted from the waiting list", n=len(promoted))
    return summary + " — " + moved


# --- registering ------------------------------------------------------------------------


def register(
    actor: audit.Actor, conference: Conference, data: RegistrationData
) -> tuple[Registration, str | None, Outcome]:
    """Register ``data.email`` for the conference: a seat while there is one (in the
    conference and in the registration's category), else a place at the end of the waiting
    list; "pending" when the conference or the category reviews registrations and no code
    or invitation skips that. Returns the registration, the plain management secret (only
    ever sent by e-mail) and the outcome.

    The same address again never takes a second seat and changes nothing: the holder is
    told by e-mail that someone tried, and their link keeps working (no secret, outcome
    ``ALREADY_REGISTERED``). Callers must answer exactly as for a new registration, so
    nobody learns who registered. A cancelled registration that registers again is brought
    back as a new arrival. Raises ``RegistrationClosed``, and ``Invalid`` for a category,
    access code or invitation that does not admit the registration.

    ``data.colleagues`` are registered in the same transaction, after the registrant and in
    the form's order, each with the registrant's category, code, consent and language and
    their own link and mail. A colleague already registered gets the "registered again"
    mail instead; the registrant learns nothing of it.

    Everything that does not depend on the seats is done before the conference's lock is
    taken: the answers checked, the secret made. The lock covers the checks of code and
    invitation, the count, the rows, the mail recorded (composed later, by the sender) and
    the commit. The address is taken to be new; when the unique constraint says otherwise,
    the transaction is undone and the registration found is dealt with in a second one.
    """
    conference_id = conference.id
    _check_colleagues(data)
    answers = _known_answers(conference, data.answers)
    token = new_token()
    try:
        # Most addresses are new: tried as one, the database's unique address says if not.
        return _register_locked(actor, conference_id, data, answers, token, None)
    except IntegrityError:
        pass  # the address is registered (or was, and cancelled): it is found now
    existing = _registration_by_email(conference_id, data.email)
    if existing is None:
        # Not the address: a question was deleted while the form was being filled in.
        raise Conflict.about(_("The form has changed meanwhile: please send it again."))
    return _register_locked(actor, conference_id, data, answers, token, existing)


def _check_colleagues(data: RegistrationData) -> None:
    most = int(current_app.config["MAX_COLLEAGUES"])
    if len(data.colleagues) > most:
        raise Invalid(
            {
                "colleagues": ngettext(
                    "You can register at most %(num)d colleague along with yourself.",
                    "You can register at most %(num)d colleagues along with yourself.",
                    most,
                )
            }
        )
    if any(not colleague.full_name.strip() or not colleague.email for colleague in data.colleagues):
        raise Invalid({"colleagues": _("Give the name and e-mail address of each colleague.")})


@dataclass(frozen=True)
class _Admission:
    """What the form's category, code and invitation admit a registration (and its
    colleagues) to, checked under the conference's lock."""

    category: RegistrationCategory | None = None
    code: AccessCode | None = None
    invitation: Invitation | None = None
    pending: bool = False


def _register_locked(
    actor: audit.Actor,
    conference_id: int,
    data: RegistrationData,
    answers: dict[int, object],
    token: str,
    existing: Registration | None,
) -> tuple[Registration, str | None, Outcome]:
    with conference_write(conference_id) as conference:
        state = conference.registration_state(utcnow())
        if state != "open":
            raise RegistrationClosed(state)
        if existing is not None:
            # As it is now: it may have been cancelled, brought back or erased meanwhile.
            existing = _reload(existing)
            if existing.email_key != email_key(data.email):
                existing = None  # erased: the address is free
            elif existing.status != "cancelled":
                return _registered_again(actor, existing)
        seats = Seats(conference.id)
        colleagues, again = _plan_colleagues(conference.id, data)
        admission = _admission(actor, conference, data, seats, 1 + len(colleagues))
        if seats.categories:
            answers = _for_category(conference, answers, _category_id(admission))
        promoted = _promote(conference, seats)  # nobody may wait while a seat is free
        registration = existing or Registration(conference_id=conference.id)
        registration.registered_by_id = None
        result = _admit(
            actor, conference, registration, data, answers, token, admission, seats, promoted
        )
        if admission.invitation is not None:
            admission.invitation.registration_id = registration.id
        group = {registration.email_key: registration}
        for colleague, row in colleagues:
            colleague_data = replace(
                data,
                full_name=colleague.full_name,
                email=colleague.email,
                affiliation=colleague.affiliation,
                country="",
                answers={},
                colleagues=(),
            )
            row = row or Registration(conference_id=conference.id)
            row.registered_by_id = registration.id
            _admit(actor, conference, row, colleague_data, {}, new_token(), admission, seats, [])
            group[row.email_key] = row
        for key, holder in again:
            _registered_again(actor, holder or group[key])
        return result


def _plan_colleagues(
    conference_id: int, data: RegistrationData
) -> tuple[list[tuple[Colleague, Registration | None]], list[tuple[str, Registration | None]]]:
    """The colleagues to register, each with the cancelled registration they come back in
    (if any), and the addresses already registered (here or earlier in the form), whose
    holders are only told that someone tried. Read under the conference's lock."""
    if not data.colleagues:
        return [], []
    keys = {email_key(colleague.email) for colleague in data.colleagues}
    found = {
        row.email_key: row
        for row in db.session.scalars(
            sa.select(Registration)
            .filter_by(conference_id=conference_id)
            .where(Registration.email_key.in_(keys))
            .execution_options(populate_existing=True)
        )
    }
    seen = {email_key(data.email)}
    to_register: list[tuple[Colleague, Registration | None]] = []
    again: list[tuple[str, Registration | None]] = []
    told: set[str] = set()  # one "registered again" mail per address and form
    for colleague in data.colleagues:
        key = cast(str, email_key(colleague.email))
        row = found.get(key)
        if key in seen or (row is not None and row.status != "cancelled"):
            if key not in told:
                told.add(key)
                # None: the holder is registered by this very form (found once it is).
                again.append((key, None if key in seen else row))
            continue
        seen.add(key)
        to_register.append((colleague, row))
    return to_register, again


def _admission(
    actor: audit.Actor,
    conference: Conference,
    data: RegistrationData,
    seats: "Seats",
    wanted: int,
) -> _Admission:
    """Check the form's invitation, access code and category; ``wanted`` registrations
    (the registrant and the colleagues) would use the code. Staff registering someone by
    hand may choose any category of the conference, or none."""
    invitation = None
    if data.invitation_token:
        invitation = access.invitation_for_token(conference.id, data.invitation_token)
        if invitation is None:
            raise Invalid({"": _("This invitation link is not valid.")})
        if invitation.registration_id is not None:
            raise Conflict({"": _("This invitation has already been used to register.")})
    code = None
    if access.normalise_code(data.access_code):
        code = access.code_for_text(conference.id, data.access_code)
        refusal = access.code_refusal(code, utcnow(), wanted)
        if refusal is not None:
            raise Invalid({"access_code": refusal})
    # An invitation's category is the registration's; a code opens its category.
    fixed = invitation.category_id if invitation is not None else None
    opened = fixed or (code.category_id if code is not None else None)
    category_id = fixed or data.category_id or opened
    staff = actor != audit.ATTENDEE
    category = None
    if category_id is not None:
        category = db.session.get(RegistrationCategory, category_id)
        if category is None or category.conference_id != conference.id:
            raise Invalid({"category_id": _("Choose one of the categories offered.")})
        if category.visibility != "public" and category.id != opened and not staff:
            raise Invalid(
                {
                    "category_id": _(
                        "This category is open only with an access code or an invitation."
                    )
                }
            )
    elif seats.public_categories and not staff:
        raise Invalid({"category_id": _("Choose a category.")})
    reviewed = conference.requires_approval or (category is not None and category.requires_approval)
    skips = (code is not None and code.skips_approval) or (
        invitation is not None and invitation.skips_approval
    )
    return _Admission(category, code, invitation, pending=reviewed and not skips)


def _category_id(admission: _Admission) -> int | None:
    return admission.category.id if admission.category is not None else None


def _registered_again(
    actor: audit.Actor, registration: Registration
) -> tuple[Registration, None, Outcome]:
    """The form came again with a registered address: mail the holder, change nothing.
    Their secret stays as it is: a stranger must not be able to void someone's link."""
    notifications.registered_again(
        registration, _spare_secret(registration), waiting_position(registration)
    )
    audit.log(
        actor,
        "registration.registered_again",
        registration,
        conference_id=registration.conference_id,
        summary=registration.full_name,
    )
    return registration, None, Outcome.ALREADY_REGISTERED


def _registration_by_email(conference_id: int, address: str) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).filter_by(conference_id=conference_id, email_key=email_key(address))
    )


def _admit(
    actor: audit.Actor,
    conference: Conference,
    registration: Registration,
    data: RegistrationData,
    answers: dict[int, object],
    token: str,
    admission: _Admission,
    seats: "Seats",
    promoted: Sequence[object],
) -> tuple[Registration, str, Outcome]:
    """Give the registration a seat, a waiting place or a pending review, record its mail
    and audit it. Raises ``IntegrityError`` when the database refuses a new row as a
    second registration of the address. One audit entry per registration made (a
    colleague's too): each registration's history starts with its own arrival, and
    erasing one person forgets only their entries."""
    now = utcnow()
    new = registration.id is None
    before = None if new else {"status": registration.status}
    registration.email = data.email
    registration.full_name = data.full_name
    registration.affiliation = data.affiliation
    registration.country = data.country
    registration.locale = data.locale
    registration.consent_text = data.consent_text
    registration.consented_at = now
    registration.cancelled_at = None
    registration.decided_at = None
    registration.token_hash = hash_token(token)
    registration.spare_token_hash = None
    registration.category_id = _category_id(admission)
    registration.access_code_id = admission.code.id if admission.code is not None else None
    _set_answers(registration, answers)
    if admission.pending:
        # Reviewed first: no seat and no waiting place until an organizer approves.
        registration.status = "pending"
        registration.queued_at = now
        registration.confirmed_at = None
        position = None
    else:
        position = take_place(conference, registration, seats, now)
    db.session.add(registration)
    db.session.flush()
    if registration.status == "pending":
        notifications.registration_pending(registration, token)
    else:
        notifications.registration_received(registration, token, position, new=new)
    # A registration arriving (or coming back: cancelling emptied its agenda) holds no
    # session yet, so only the conference's own reminders can be due.
    if registration.status == "confirmed" and conference.conference_reminder_minutes:
        reminders.record_for_registration(registration)
    after: dict[str, object] = {"status": registration.status}
    for name in ("category_id", "access_code_id", "registered_by_id"):
        if getattr(registration, name) is not None:
            after[name] = getattr(registration, name)
    audit.log(
        actor,
        "registration.created",
        registration,
        conference_id=conference.id,
        summary=_with_promoted(registration.full_name, promoted),
        before=before,
        after=after,
    )
    return registration, token, Outcome(registration.status)


def take_place(
    conference: Conference, registration: Registration, seats: "Seats", now: datetime
) -> int | None:
    """The seat decision: a seat while the conference has one and the registration's
    category (if it has seats of its own) has one too, else the end of the conference's
    waiting list. Returns the waiting position (None: a seat) and counts the registration
    in ``seats`` (read under the conference's lock). Every admission (registering, an
    organizer's approval) decides here, under ``conference_write``."""
    seat_free = seats.conference_has_seat(conference) and _category_has_seat(registration, seats)
    registration.status = "confirmed" if seat_free else "waiting"
    registration.queued_at = now  # under the lock: behind everyone counted as waiting
    registration.confirmed_at = now if seat_free else None
    seats.count_in(registration)
    return None if seat_free else seats.counts["waiting"]


def _category_has_seat(registration: Registration, seats: "Seats") -> bool:
    if registration.category_id is None or not seats.limited_categories:
        return True
    # Read once per transaction (registering has read it already to check it): a category
    # without seats of its own needs no count.
    category = db.session.get(RegistrationCategory, registration.category_id)
    if category is None or category.capacity is None:
        return True
    return seats.category_has_seat(category.id)


def _spare_secret(registration: Registration) -> str:
    """The spare management secret: the same every time for the same link, so that anyone
    asking for "my link" again (it may be a stranger) never ends the one the attendee holds.
    Only its digest is stored; it changes when the main secret is replaced."""
    secret = derived_token(
        current_app.config["SECRET_KEY"],
        "registration-spare-link",
        str(registration.id),
        registration.token_hash,
    )
    if registration.spare_token_hash != hash_token(secret):
        registration.spare_token_hash = hash_token(secret)
        db.session.flush()
    return secret


def spare_link_secret(registration: Registration) -> str:
    """The spare management secret, for a message that must carry a management link
    (e.g. the calendar-reply handler's "confirm your cancellation"). Call it inside the
    write transaction that records the message: it may store the secret's digest."""
    return _spare_secret(registration)


def _mail_link(actor: audit.Actor, registration: Registration, secret: str) -> None:
    notifications.management_link_resent(registration, secret)
    audit.log(
        actor,
        "registration.link_resent",
        registration,
        conference_id=registration.conference_id,
        summary=registration.full_name,
    )


def resend_link(actor: audit.Actor, conference: Conference, address: str) -> bool:
    """E-mail the spare management link to ``address`` if it is registered (in any state but
    erased); every link sent before keeps working. Callers must answer the same either way,
    so nobody learns who registered."""
    with conference_write(conference.id):
        registration = _registration_by_email(conference.id, address)
        if registration is None:
            return False
        _mail_link(actor, registration, _spare_secret(registration))
        return True


def send_new_link(actor: audit.Actor, registration: Registration) -> None:
    """E-mail the attendee a fresh management link (an organizer's action, for a link that
    leaked): every link sent before stops working. Raises ``DataErased`` when there is no
    address any more."""
    with conference_write(registration.conference_id):
        registration = _reload(registration)
        if registration.email is None:
            raise DataErased()
        token = new_token()
        registration.token_hash = hash_token(token)
        registration.spare_token_hash = None
        db.session.flush()
        _mail_link(actor, registration, token)


def registration_for_token(conference: Conference, token: str) -> Registration | None:
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    return db.session.scalar(
        sa.select(Registration).where(
            Registration.conference_id == conference.id,
            sa.or_(Registration.token_hash == digest, Registration.spare_token_hash == digest),
        )
    )


# --- seats and the waiting list ---------------------------------------------------------


def seat_counts(conference_id: int) -> dict[str, int]:
    """How many registrations hold a seat and how many wait (one query)."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .filter_by(conference_id=conference_id)
        .where(Registration.status.in_(("confirmed", "waiting")))
        .group_by(Registration.status)
    )
    counts = {"confirmed": 0, "waiting": 0}
    counts.update(dict(rows.all()))
    return counts


def category_seat_counts(conference_id: int) -> dict[int, int]:
    """The seats held in each category: category id -> confirmed registrations."""
    rows = db.session.execute(
        sa.select(Registration.category_id, sa.func.count())
        .filter_by(conference_id=conference_id, status="confirmed")
        .where(Registration.category_id.is_not(None))
        .group_by(Registration.category_id)
    )
    return {cast(int, category_id): number for category_id, number in rows}


class Seats:
    """What the seat decision reads under the conference's lock, in one statement: the
    seats held and places waited for, and how many categories the conference has (in all,
    public, with seats of their own). The seats of each category are read (one statement
    more) only when a category with seats of its own is in play, so a conference without
    such categories pays nothing for them. Every admission and promotion counts itself in.
    """

    def __init__(self, conference_id: int):
        self.conference_id = conference_id
        found: dict[str, int] = dict(
            db.session.execute(_seats_statement(), {"conference_id": conference_id}).all()
        )
        self.counts = {"confirmed": found.get("confirmed", 0), "waiting": found.get("waiting", 0)}
        self.categories = found.get("categories", 0)
        self.public_categories = found.get("public_categories", 0)
        self.limited_categories = found.get("limited_categories", 0)
        # category id -> [its seats, the seats held], for categories with seats of their own
        self._in_categories: dict[int, list[int]] | None = None

    def conference_has_seat(self, conference: Conference) -> bool:
        return conference.capacity is None or self.counts["confirmed"] < conference.capacity

    def category_has_seat(self, category_id: int | None) -> bool:
        if category_id is None or not self.limited_categories:
            return True
        seats = self._category_seats().get(category_id)
        return seats is None or seats[1] < seats[0]

    def count_in(self, registration: Registration) -> None:
        """Count a registration just given a seat or a waiting place."""
        self.counts[registration.status] += 1
        if registration.status == "confirmed":
            self._seat_taken(registration.category_id)

    def _seat_taken(self, category_id: int | None) -> None:
        if self._in_categories is not None and category_id in self._in_categories:
            self._in_categories[category_id][1] += 1

    def _category_seats(self) -> dict[int, list[int]]:
        if self._in_categories is None:
            held = sa.and_(
                Registration.category_id == RegistrationCategory.id,
                Registration.status == "confirmed",
            )
            rows = db.session.execute(
                sa.select(
                    RegistrationCategory.id,
                    RegistrationCategory.capacity,
                    sa.func.count(Registration.id),
                )
                .outerjoin(Registration, held)
                .where(
                    RegistrationCategory.conference_id == self.conference_id,
                    RegistrationCategory.capacity.is_not(None),
                )
                .group_by(RegistrationCategory.id, RegistrationCategory.capacity)
            )
            # Only categories with a capacity were read.
            self._in_categories = {
                id_: [cast(int, capacity), number] for id_, capacity, number in rows
            }
        return self._in_categories


@lru_cache(maxsize=1)
def _seats_statement() -> sa.CompoundSelect[str, int]:
    """(what, how many) rows: registrations by status, then the categories, for the
    conference given as ``conference_id``. Built once: it runs under the lock, on every
    registration."""
    conference_id = sa.bindparam("conference_id", type_=sa.Integer)
    by_status = (
        sa.select(Registration.status, sa.func.count())
        .where(Registration.conference_id == conference_id)
        .where(Registration.status.in_(("confirmed", "waiting")))
        .group_by(Registration.status)
    )

    def categories(what: str, *where: sa.ColumnElement[bool]) -> sa.Select[str, int]:
        return (
            sa.select(sa.literal(what, sa.String(20)), sa.func.count())
            .select_from(RegistrationCategory)
            .where(RegistrationCategory.conference_id == conference_id, *where)
        )

    return sa.union_all(
        by_status,
        categories("categories"),
        categories("public_categories", RegistrationCategory.visibility == "public"),
        categories("limited_categories", RegistrationCategory.capacity.is_not(None)),
    )


def promote_waiting(conference: Conference) -> list[Registration]:
    """Give free seats to the first in line, in order, skipping those whose category is
    full; each promoted attendee is e-mailed.

    Must run inside ``conference_write`` for this conference: it counts seats.
    """
    return _promote(conference, Seats(conference.id))


def _free_seats(capacity: int | None, counts: dict[str, int]) -> int | None:
    """Seats nobody holds: None when there is no limit, never below zero."""
    if capacity is None:
        return None
    return max(capacity - counts["confirmed"], 0)


def _promote(conference: Conference, seats: Seats) -> list[Registration]:
    """``promote_waiting`` with the seats already counted; updates ``seats``."""
    counts = seats.counts
    free = _free_seats(conference.capacity, counts)
    if not counts["waiting"] or free == 0:
        return []
    query = (
        sa.select(Registration)
        .filter_by(conference_id=conference.id, status="waiting")
        .order_by(Registration.queued_at, Registration.id)
    )
    if not seats.limited_categories:
        promoted = list(db.session.scalars(query if free is None else query.limit(free)))
    else:
        # One line per conference: whoever's category is full keeps their place and the
        # seat goes to the next one in line whose category has room.
        promoted = []
        for registration in db.session.scalars(query).all():
            if free is not None and len(promoted) == free:
                break
            if seats.category_has_seat(registration.category_id):
                promoted.append(registration)
                seats._seat_taken(registration.category_id)
    now = utcnow()
    for registration in promoted:
        registration.status = "confirmed"
        registration.confirmed_at = now
        notifications.registration_promoted(registration)
        reminders.record_for_registration(registration)
    db.session.flush()
    counts["confirmed"] += len(promoted)
    counts["waiting"] -= len(promoted)
    return promoted


def set_category_capacity(
    actor: audit.Actor, category: RegistrationCategory, capacity: int | None
) -> list[Registration]:
    """Change a category's own seats (None: only the conference's limit applies). Raising
    it promotes from the waiting list at once; lowering it keeps everyone's seat. Joins the
    caller's transaction; raises ``Invalid`` for a refused number. Returns who was promoted."""
    capacity = check_capacity(capacity)
    with conference_write(category.conference_id) as conference:
        category = db.session.scalars(
            sa.select(RegistrationCategory)
            .where(RegistrationCategory.id == category.id)
            .execution_options(populate_existing=True)
        ).one()
        before = category.capacity
        category.capacity = capacity
        db.session.flush()
        promoted = promote_waiting(conference)
        if before != capacity:
            audit.log(
                actor,
                "registrationcategory.updated",
                category,
                conference_id=conference.id,
                summary=_with_promoted(category.name, promoted),
                before={"capacity": before},
                after={"capacity": capacity},
            )
        return promoted


def set_conference_capacity(
    actor: audit.Actor, conference: Conference, capacity: int | None
) -> list[Registration]:
    """Change the number of seats (None: no limit). Raising it promotes from the waiting
    list at once; lowering it below the seats taken keeps everyone's seat and makes new
    arrivals wait. Returns who was promoted."""
    capacity = check_capacity(capacity)
    with conference_write(conference.id) as conference:
        before = conference.capacity
        conference.capacity = capacity
        promoted = promote_waiting(conference)
        if before != capacity:
            audit.log(
                actor,
                "conference.updated",
                conference,
                conference_id=conference.id,
                summary=_with_promoted(conference.title, promoted),
                before={"capacity": before},
                after={"capacity": capacity},
            )
        return promoted


def promote_registration(
    actor: audit.Actor, registration: Registration, *, add_seat: bool = False
) -> bool:
    """Give one chosen waiting registration a seat, out of turn (e-mailed with the invite).

    Nobody waits while a seat is free (free seats go to the first in line at once), so
    choosing someone almost always means adding a seat: the organizer says so with
    ``add_seat`` and the capacity becomes exactly the seats taken plus this one. Without
    it a full conference refuses with ``NoFreeSeat``: the capacity is never exceeded
    silently. Returns False when the registration no longer waits (promoted or cancelled
    meanwhile).
    """
    with conference_write(registration.conference_id) as conference:
        _require_not_over(conference)
        registration = _reload(registration)
        if registration.status != "waiting":
            return False
        before: dict[str, object] = {"status": "waiting"}
        after: dict[str, object] = {"status": "confirmed"}
        if registration.category_id is not None and not Seats(conference.id).category_has_seat(
            registration.category_id
        ):
            raise CategoryFull(registration.full_name)
        confirmed = seat_counts(conference.id)["confirmed"]
        if conference.capacity is not None and confirmed >= conference.capacity:
            if not add_seat:
                raise NoFreeSeat(registration.full_name)
            before["capacity"], after["capacity"] = conference.capacity, confirmed + 1
            conference.capacity = confirmed + 1
        registration.status = "confirmed"
        registration.confirmed_at = utcnow()
        notifications.registration_promoted(registration)
        reminders.record_for_registration(registration)
        audit.log(
            actor,
            "registration.promoted",
            registration,
            conference_id=conference.id,
            summary=registration.full_name,
            before=before,
            after=after,
        )
        return True


def group_members(registration: Registration) -> list[Registration]:
    """The registrations made together: the one who filled in the form first, then the
    colleagues it registered (in the form's order), whichever of them is given."""
    lead = registration.registered_by or registration
    colleagues = db.session.scalars(
        sa.select(Registration).filter_by(registered_by_id=lead.id).order_by(Registration.id)
    )
    return [lead, *colleagues]


def code_uses(code: AccessCode) -> int:
    """The registrations made with the code that count as uses (see ``access.code_uses``)."""
    return access.code_uses(code)


def waiting_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waiting."""
    if registration.status != "waiting":
        return None
    return _place_in_line(
        Registration,
        Registration.queued_at,
        registration,
        registration.queued_at,
        conference_id=registration.conference_id,
    )


def _place_in_line(
    model: type[Registration | SessionSignup],
    queued_column: sa.orm.InstrumentedAttribute[datetime],
    row: Registration | SessionSignup,
    queued_at: datetime,
    **same_line: int,
) -> int:
    """1 + the waiting rows of the same line that queued earlier (ties broken by id)."""
    # COUNT always answers with one row.
    ahead = cast(
        int,
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .filter_by(status="waiting", **same_line)
            .where(
                sa.or_(
                    queued_column < queued_at,
                    sa.and_(queued_column == queued_at, model.id < row.id),
                )
            )
        ),
    )
    return ahead + 1


def cancel_registration(actor: audit.Actor, registration: Registration) -> list[Registration]:
    """Cancel: the seat (and every session seat) goes to the next in line in the same
    transaction. Returns who got the conference seat; cancelling twice changes nothing.
    A registration pending approval is withdrawn (it held nothing); a rejected one stays
    rejected."""
    with conference_write(registration.conference_id) as conference:
        registration = _reload(registration)
        # A rejection stands: the person cannot turn it into a cancellation and then
        # register afresh.
        if registration.status in ("cancelled", "rejected"):
            return []
        _require_not_over(conference)
        before = registration.status
        registration.status = "cancelled"
        registration.cancelled_at = utcnow()
        if before == "pending":
            # Nothing was in their calendar: no CANCEL, only the word that it is withdrawn.
            notifications.pending_withdrawn(registration)
        else:
            # Told before the agenda is emptied, so the message can withdraw every session.
            notifications.registration_cancelled(registration)
        reminders.drop_for_registration(registration)
        _drop_all_signups(registration)
        promoted = promote_waiting(conference) if before == "confirmed" else []
        audit.log(
            actor,
            "registration.cancelled",
            registration,
            conference_id=conference.id,
            summary=_with_promoted(registration.full_name, promoted),
            before={"status": before},
            after={"status": "cancelled"},
        )
        return promoted


def _drop_all_signups(registration: Registration) -> None:
    signups = sorted(registration.signups, key=lambda signup: signup.talk_id)
    for signup in signups:
        talk = locked_talk(signup.talk_id)
        registration.signups.remove(signup)
        db.session.flush()
        if signup.status == "confirmed":
            _promote_session_waiting(talk)


# --- sessions ---------------------------------------------------------------------------


def join_session(actor: audit.Actor, registration: Registration, talk: Talk) -> SessionSignup:
    """Add a session to the agenda: a seat while the session has one, else a waiting place.
    Joining a session already in the agenda returns the existing sign-up."""
    with conference_write(registration.conference_id) as conference:
        _require_not_over(conference, _agenda_over_message())
        registration = _reload(registration)
        talk = locked_talk(talk.id)
        if not is_pickable(talk, conference):
            raise SessionUnavailable()
        if registration.status != "confirmed":
            raise NotConfirmed()
        existing = _signup(registration.id, talk.id)
        if existing is not None:
            return existing
        counts = _session_counts(talk.id)
        promoted = _promote_session(talk, counts)
        seat_free = talk.capacity is None or counts["confirmed"] < talk.capacity
        status = "confirmed" if seat_free else "waiting"
        signup = SessionSignup(registration=registration, talk=talk, status=status)
        db.session.add(signup)
        db.session.flush()
        notifications.session_joined(registration, talk, status)
        if status == "confirmed":
            reminders.record_session(notifications.attendee(registration), talk)
        audit.log(
            actor,
            "registration.session_joined",
            registration,
            conference_id=conference.id,
            summary=_with_promoted(f"{registration.full_name}: {talk.title}", promoted),
            after={"talk_id": talk.id, "status": status},
        )
        return signup


def leave_session(actor: audit.Actor, registration: Registration, talk: Talk) -> bool:
    """Remove a session from the agenda; a freed seat goes to the session's next in line."""
    with conference_write(registration.conference_id) as conference:
        _require_not_over(conference, _agenda_over_message())
        registration = _reload(registration)
        talk = locked_talk(talk.id)
        signup = _signup(registration.id, talk.id)
        if signup is None:
            return False
        notifications.session_left(registration, talk)
        reminders.drop_for_registration(registration, talk)
        status = signup.status
        registration.signups.remove(signup)
        db.session.flush()
        promoted = _promote_session_waiting(talk) if status == "confirmed" else []
        audit.log(
            actor,
            "registration.session_left",
            registration,
            conference_id=conference.id,
            summary=_with_promoted(f"{registration.full_name}: {talk.title}", promoted),
            before={"talk_id": talk.id, "status": status},
        )
        return True


def set_talk_capacity(talk: Talk, capacity: int | None) -> list[SessionSignup]:
    """Change a session's own seat count (None: only the conference's limit applies);
    raising it promotes from the session's waiting list. Joins the caller's transaction
    (the schedule's session change audits it); raises ``Invalid`` for a refused number."""
    capacity = check_capacity(capacity)
    with conference_write(talk.conference_id):
        talk = locked_talk(talk.id)
        talk.capacity = capacity
        return _promote_session_waiting(talk)


def is_pickable(talk: Talk, conference: Conference) -> bool:
    return (
        talk.conference_id == conference.id
        and talk.scheduled
        and not talk.cancelled
        and talk.kind != "break"
    )


def _signup(registration_id: int, talk_id: int) -> SessionSignup | None:
    return db.session.scalar(
        sa.select(SessionSignup).filter_by(registration_id=registration_id, talk_id=talk_id)
    )


def _session_counts(talk_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(SessionSignup.status, sa.func.count())
        .filter_by(talk_id=talk_id)
        .group_by(SessionSignup.status)
    )
    counts = {"confirmed": 0, "waiting": 0}
    counts.update(dict(rows.all()))
    return counts


def _promote_session_waiting(talk: Talk) -> list[SessionSignup]:
    """Give the session's free seats to its first in line; the talk must be locked."""
    return _promote_session(talk, _session_counts(talk.id))


def _promote_session(talk: Talk, counts: dict[str, int]) -> list[SessionSignup]:
    free = _free_seats(talk.capacity, counts)
    if not counts["waiting"] or free == 0:
        return []
    query = (
        sa.select(SessionSignup)
        .filter_by(talk_id=talk.id, status="waiting")
        .order_by(SessionSignup.created_at, SessionSignup.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    for signup in promoted:
        signup.status = "confirmed"
        notifications.session_promoted(signup.registration, talk)
        reminders.record_session(notifications.attendee(signup.registration), talk)
    db.session.flush()
    counts["confirmed"] += len(promoted)
    counts["waiting"] -= len(promoted)
    return promoted


def session_waiting_position(signup: SessionSignup) -> int | None:
    if signup.status != "waiting":
        return None
    return _place_in_line(
        SessionSignup, SessionSignup.created_at, signup, signup.created_at, talk_id=signup.talk_id
    )


def find_clashes(talks: list[Talk]) -> dict[int, list[Talk]]:
    """For each talk, the other talks in the list that overlap it in time."""
    ordered = sorted((t for t in talks if t.scheduled), key=lambda t: (t.start_at, t.id))
    clashes: dict[int, list[Talk]] = {}
    for index, talk in enumerate(ordered):
        for later in ordered[index + 1 :]:
            # Scheduled sessions only: both times are set.
            if cast(datetime, later.start_at) >= cast(datetime, talk.end_at):
                break
            clashes.setdefault(talk.id, []).append(later)
            clashes.setdefault(later.id, []).append(talk)
    return clashes


@dataclass
class SessionChoice:
    """One session as the agenda picker shows it to an attendee."""

    talk: Talk
    seats_left: int | None  # None: no limit of its own
    waiting: int
    signup: SessionSignup | None
    position: int | None
    clashes_with: list[Talk]


def agenda_choices(registration: Registration) -> list[SessionChoice]:
    """Every session the attendee could pick, with seats left and their own standing."""
    conference = registration.conference
    talks = [
        talk
        for talk in db.session.scalars(
            sa.select(Talk)
            .filter_by(conference_id=conference.id, status="scheduled")
            .where(Talk.start_at.is_not(None), Talk.kind != "break")
            .order_by(Talk.start_at, Talk.id)
        )
    ]
    counts: dict[tuple[int, str], int] = {
        (talk_id, status): number
        for talk_id, status, number in db.session.execute(
            sa.select(SessionSignup.talk_id, SessionSignup.status, sa.func.count())
            .join(Talk)
            .where(Talk.conference_id == conference.id)
            .group_by(SessionSignup.talk_id, SessionSignup.status)
        )
    }
    signups = {signup.talk_id: signup for signup in registration.signups}
    clashes = find_clashes([signup.talk for signup in signups.values()])
    choices = []
    for talk in talks:
        taken = counts.get((talk.id, "confirmed"), 0)
        signup = signups.get(talk.id)
        choices.append(
            SessionChoice(
                talk=talk,
                seats_left=None if talk.capacity is None else max(talk.capacity - taken, 0),
                waiting=counts.get((talk.id, "waiting"), 0),
                signup=signup,
                position=session_waiting_position(signup) if signup else None,
                clashes_with=clashes.get(talk.id, []),
            )
        )
    return choices


# --- details and personal data ----------------------------------------------------------


DETAIL_FIELDS = ("full_name", "affiliation", "country")


def update_details(actor: audit.Actor, registration: Registration, data: Details) -> Registration:
    """Change name, affiliation, country and answers (the e-mail address stays: it is
    what the management link was proven against). The audit entry names the fields that
    changed, not their values: personal data stays out of the log."""
    with conference_write(registration.conference_id):
        registration = _reload(registration)
        before = {name: getattr(registration, name) for name in DETAIL_FIELDS}
        before["answers"] = _answer_values(registration)
        registration.full_name = data.full_name
        registration.affiliation = data.affiliation
        registration.country = data.country
        conference = registration.conference
        answers = _known_answers(conference, data.answers)
        _set_answers(registration, _for_category(conference, answers, registration.category_id))
        db.session.flush()
        after = {name: getattr(registration, name) for name in DETAIL_FIELDS}
        after["answers"] = _answer_values(registration)
        changed = [name for name in after if before[name] != after[name]]
        if "full_name" in changed:  # pending reminders greet them by name
            reminders.drop_for_registration(registration)
            reminders.record_for_registration(registration)
        if changed:
            audit.log(
                actor,
                "registration.updated",
                registration,
                conference_id=registration.conference_id,
                summary=registration.full_name,
                after={"changed": changed},
            )
        return registration


def _answer_values(registration: Registration) -> dict[int, object]:
    return {answer.question_id: answer.value for answer in registration.answers}


def _known_answers(conference: Conference, answers: Mapping[int, object]) -> dict[int, object]:
    """The answers to questions this conference asks; anything else is dropped."""
    if not answers:
        return {}
    asked = {question.id for question in questions.definitions(conference)}
    return {question_id: value for question_id, value in answers.items() if question_id in asked}


def _for_category(
    conference: Conference, answers: dict[int, object], category_id: int | None
) -> dict[int, object]:
    """The answers to questions asked of everyone and of the registration's category: a
    question of another category is not asked of it."""
    if not answers:
        return answers
    definitions = questions.definitions(conference)
    if all(hasattr(definition, "category_id") for definition in definitions):
        categories = {d.id: getattr(d, "category_id") for d in definitions}  # noqa: B009
    else:
        # The cached definitions carry no category yet: read the questions that have one.
        categories = dict(
            db.session.execute(
                sa.select(Question.id, Question.category_id)
                .filter_by(conference_id=conference.id)
                .where(Question.category_id.is_not(None))
            ).all()
        )
    return {
        question_id: value
        for question_id, value in answers.items()
        if categories.get(question_id) in (None, category_id)
    }


def _set_answers(registration: Registration, answers: dict[int, object]) -> None:
    """Make the registration's answers exactly ``answers`` (question id -> value)."""
    if registration.id is None:  # a new registration: no stored answers to load
        registration.answers = [Answer(question_id=q, value=v) for q, v in answers.items()]
        return
    wanted = dict(answers)
    for answer in list(registration.answers):
        if answer.question_id in wanted:
            answer.value = wanted.pop(answer.question_id)
        else:
            registration.answers.remove(answer)
    for question_id, value in wanted.items():
        registration.answers.append(Answer(question_id=question_id, value=value))


def export_personal_data(registration: Registration) -> dict[str, Any]:
    """Everything held about the attendee, as JSON-ready data (EU right of access)."""
    conference = registration.conference
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .filter_by(registration_id=registration.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return {
        "conference": {"title": conference.title, "slug": conference.slug},
        "registration": {
            "full_name": registration.full_name,
            "email": registration.email,
            "affiliation": registration.affiliation,
            "country": registration.country,
            "language": registration.locale,
            "status": registration.status,
            "waiting_list_position": waiting_position(registration),
            "registered_at": _iso(registration.created_at),
            "queued_at": _iso(registration.queued_at),
            "confirmed_at": _iso(registration.confirmed_at),
            "cancelled_at": _iso(registration.cancelled_at),
            "checked_in_at": _iso(registration.checked_in_at),
            "updated_at": _iso(registration.updated_at),
            "consent": {
                "text": registration.consent_text,
                "given_at": _iso(registration.consented_at),
            },
        },
        "answers": [
            {"question": answer.question.label, "answer": answer.value}
            for answer in sorted(
                registration.answers, key=lambda a: (a.question.position, a.question_id)
            )
        ],
        "agenda": [
            {
                "session": signup.talk.title,
                "starts_at": _iso(signup.talk.start_at),
                "ends_at": _iso(signup.talk.end_at),
                "status": signup.status,
                "waiting_list_position": session_waiting_position(signup),
                "added_at": _iso(signup.created_at),
            }
            for signup in sorted(registration.signups, key=lambda s: (s.talk.start_at, s.id))
        ],
        "messages": [_message_summary(message) for message in messages],
    }


def _message_summary(message: OutboxMessage) -> dict[str, Any]:
    parsed = BytesParser(policy=policy.default).parsebytes(message.raw) if message.raw else None
    body = parsed.get_body(preferencelist=("plain",)) if parsed is not None else None
    return {
        "kind": message.kind,
        "to": message.recipient,
        "subject": message.subject,
        "status": message.status,
        "recorded_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
        "text": body.get_content() if body is not None else "",
    }


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def erase_personal_data(actor: audit.Actor, registration: Registration) -> None:
    """Erase the attendee (EU right to erasure) from every place ``personal_data.INVENTORY``
    lists. An active registration is cancelled first, its seats going to the next in line;
    what stays is an anonymous row with its status and timestamps, so counts remain right.
    No further e-mail is sent to them, and the management link stops working. The audit
    log keeps that it happened, under the registration's number only: its earlier entries,
    and any other entry quoting the name or the address, lose them too."""
    with conference_write(registration.conference_id) as conference:
        registration = _reload(registration)
        now = utcnow()
        before = registration.status
        name, address = registration.full_name, registration.email
        if registration.status != "cancelled":
            registration.status = "cancelled"
            registration.cancelled_at = now
        _drop_all_signups(registration)
        promoted = []
        if before == "confirmed" and conference.registration_state(now) != "past":
            promoted = promote_waiting(conference)
        registration.email = None
        registration.full_name = ""
        registration.affiliation = ""
        registration.country = ""
        registration.answers.clear()
        registration.token_hash = hash_token(new_token())  # a secret nobody holds
        registration.spare_token_hash = None
        registration.erased_at = now
        files = personal_data.forget_messages(registration.id)
        personal_data.forget_calendar_copies(registration)
        db.session.flush()
        anonymous = personal_data.forget_in_audit_log(registration.id, name, address)
        audit.log(
            actor,
            "registration.erased",
            registration,
            conference_id=conference.id,
            summary=_with_promoted(anonymous, promoted),
            before={"status": before},
            after={"status": "cancelled"},
        )
    personal_data.after_erasure(files)


def agenda_events(registration: Registration | None) -> list[CalendarEvent]:
    """A person's calendar: the conference while they hold a seat, and the sessions in
    which they hold a seat. Cancelled or erased registrations have nothing in it."""
    if registration is None or registration.status == "cancelled" or registration.erased_at:
        return []
    seats = sa.select(SessionSignup.talk_id).where(
        SessionSignup.registration_id == registration.id,
        SessionSignup.status == "confirmed",
    )
    return calendar_events.agenda_events(
        registration.conference,
        with_conference=registration.status == "confirmed",
        talk_ids=seats,
    )
