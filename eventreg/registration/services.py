"""Registration rules: seats, waiting lists, session sign-ups and the attendee's own data.

This is the one write path for registrations; web views, the API and the CLI all call it.

Never overbook: every change that takes or frees a seat runs in one write transaction that
first locks the conference row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
``begin_write()`` takes the database write lock up front), and only then counts seats. Two
requests can therefore never both see "one seat left". Locks are always taken in the same
order, conference then session, so concurrent writers queue instead of deadlocking.
Promotions from a waiting list, and the e-mails every change causes, are written in the same
transaction as the change itself.
"""

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import Conference, Talk
from eventreg.core.db import begin_write, utcnow
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from eventreg.invites import events as calendar_events
from eventreg.invites.ical import CalendarEvent
from eventreg.mail.models import OutboxMessage
from eventreg.registration import notifications
from eventreg.registration.models import (
    Answer,
    Question,
    Registration,
    SessionSignup,
    email_key,
)


class RegistrationError(Exception):
    """A request the rules refuse; ``code`` tells callers which one."""

    code = "refused"


class RegistrationClosed(RegistrationError):
    code = "closed"

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


class ConferenceOver(RegistrationError):
    code = "conference_over"


class NotConfirmed(RegistrationError):
    """Only a registration holding a conference seat may hold or wait for session seats."""

    code = "not_confirmed"


class SessionUnavailable(RegistrationError):
    """Not a session one can sign up for: cancelled, a break, unscheduled or elsewhere."""

    code = "session_unavailable"


class NoFreeSeat(RegistrationError):
    """Every seat is taken: promoting someone out of turn needs one more seat."""

    code = "no_free_seat"


class Outcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
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
class RegistrationData(Details):
    email: str = ""  # already normalised by email-validator
    consent_text: str = ""  # the privacy text the attendee agreed to
    locale: str = "en"


# --- transactions and locks -------------------------------------------------------------


@contextmanager
def conference_write(conference_id: int) -> Iterator[Conference]:
    """A write transaction holding the conference's lock; commits on success.

    Everything that counts or changes seats of this conference (its own or its sessions')
    runs inside one of these, which serialises those writers per conference.
    """
    begin_write()
    try:
        conference = db.session.scalars(
            sa.select(Conference)
            .where(Conference.id == conference_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        yield conference
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _locked_talk(talk_id: int) -> Talk:
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


def _require_not_over(conference: Conference) -> None:
    if conference.registration_state(utcnow()) == "past":
        raise ConferenceOver()


# --- registering ------------------------------------------------------------------------


def register(conference: Conference, data: RegistrationData) -> tuple[Registration, str, Outcome]:
    """Register ``data.email`` for the conference: a seat while there is one, else a place
    at the end of the waiting list. Returns the registration, the plain management secret
    (only ever sent by e-mail) and the outcome.

    The same address again never takes a second seat: the existing registration gets a new
    management link by e-mail instead (``ALREADY_REGISTERED``). A cancelled registration
    that registers again is brought back as a new arrival.
    """
    conference_id = conference.id
    # Read before the lock: the lock is held until commit, so it guards only what must be.
    answers = _known_answers(conference_id, data.answers)
    try:
        with conference_write(conference_id) as conference:
            state = conference.registration_state(utcnow())
            if state != "open":
                raise RegistrationClosed(state)
            existing = _registration_by_email(conference.id, data.email)
            if existing is not None and existing.status != "cancelled":
                token = _resend(existing)
                return existing, token, Outcome.ALREADY_REGISTERED
            registration = existing or Registration(conference_id=conference.id)
            return _admit(conference, registration, data, answers)
    except IntegrityError:
        # The last line of defence, should a same-address row ever slip past the check: the
        # conference lock keeps other registering writers out (on PostgreSQL even those that
        # skip it, whose insert takes a key-share lock on the conference row). A violation of
        # the unique constraint must still become "already registered", never an error.
        existing = _resend_existing(conference_id, data.email)
        if existing is None:
            raise
        return existing


def _registration_by_email(conference_id: int, address: str) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).filter_by(conference_id=conference_id, email_key=email_key(address))
    )


def _admit(
    conference: Conference,
    registration: Registration,
    data: RegistrationData,
    answers: dict[int, object],
) -> tuple[Registration, str, Outcome]:
    now = utcnow()
    counts = seat_counts(conference.id)
    _promote(conference, counts)  # nobody may wait while a seat is free, newcomer or not
    seat_free = conference.capacity is None or counts["confirmed"] < conference.capacity
    registration.email = data.email
    registration.full_name = data.full_name
    registration.affiliation = data.affiliation
    registration.country = data.country
    registration.locale = data.locale
    registration.consent_text = data.consent_text
    registration.consented_at = now
    registration.status = "confirmed" if seat_free else "waiting"
    registration.queued_at = now
    registration.confirmed_at = now if seat_free else None
    registration.cancelled_at = None
    token = new_token()
    registration.token_hash = hash_token(token)
    _set_answers(registration, answers)
    db.session.add(registration)
    db.session.flush()
    notifications.registration_received(registration, token, waiting_position(registration))
    outcome = Outcome.CONFIRMED if seat_free else Outcome.WAITING
    return registration, token, outcome


def _resend(registration: Registration) -> str:
    """Replace the management secret (only its hash is kept) and e-mail the new link."""
    token = new_token()
    registration.token_hash = hash_token(token)
    db.session.flush()
    notifications.management_link_resent(registration, token)
    return token


def _resend_existing(conference_id: int, address: str) -> tuple[Registration, str, Outcome] | None:
    with conference_write(conference_id):
        existing = _registration_by_email(conference_id, address)
        if existing is None:
            return None
        return existing, _resend(existing), Outcome.ALREADY_REGISTERED


def resend_link(conference: Conference, address: str) -> bool:
    """E-mail a fresh management link to ``address`` if it is registered (in any state but
    erased). Callers must answer the same either way, so nobody learns who registered."""
    with conference_write(conference.id):
        registration = _registration_by_email(conference.id, address)
        if registration is None:
            return False
        _resend(registration)
        return True


def registration_for_token(conference: Conference, token: str) -> Registration | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(Registration).filter_by(conference_id=conference.id, token_hash=hash_token(token))
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


def promote_waiting(conference: Conference) -> list[Registration]:
    """Give free seats to the first in line, in order; each promoted attendee is e-mailed.

    Must run inside ``conference_write`` for this conference: it counts seats.
    """
    return _promote(conference, seat_counts(conference.id))


def _free_seats(capacity: int | None, counts: dict[str, int]) -> int | None:
    """Seats nobody holds: None when there is no limit, never below zero."""
    if capacity is None:
        return None
    return max(capacity - counts["confirmed"], 0)


def _promote(conference: Conference, counts: dict[str, int]) -> list[Registration]:
    """``promote_waiting`` with the seat counts already at hand; updates ``counts``."""
    free = _free_seats(conference.capacity, counts)
    if not counts["waiting"] or free == 0:
        return []
    query = (
        sa.select(Registration)
        .filter_by(conference_id=conference.id, status="waiting")
        .order_by(Registration.queued_at, Registration.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    now = utcnow()
    for registration in promoted:
        registration.status = "confirmed"
        registration.confirmed_at = now
        notifications.registration_promoted(registration)
    db.session.flush()
    counts["confirmed"] += len(promoted)
    counts["waiting"] -= len(promoted)
    return promoted


def set_conference_capacity(conference: Conference, capacity: int | None) -> list[Registration]:
    """Change the number of seats (None: no limit). Raising it promotes from the waiting
    list at once; lowering it below the seats taken keeps everyone's seat and makes new
    arrivals wait. Returns who was promoted."""
    _check_capacity(capacity)
    with conference_write(conference.id) as conference:
        conference.capacity = capacity
        return promote_waiting(conference)


def promote_registration(registration: Registration, *, add_seat: bool = False) -> bool:
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
        confirmed = seat_counts(conference.id)["confirmed"]
        if conference.capacity is not None and confirmed >= conference.capacity:
            if not add_seat:
                raise NoFreeSeat()
            conference.capacity = confirmed + 1
        registration.status = "confirmed"
        registration.confirmed_at = utcnow()
        notifications.registration_promoted(registration)
        return True


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


def _place_in_line(model, queued_column, row, queued_at, **same_line) -> int:
    """1 + the waiting rows of the same line that queued earlier (ties broken by id)."""
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .filter_by(status="waiting", **same_line)
        .where(
            sa.or_(
                queued_column < queued_at,
                sa.and_(queued_column == queued_at, model.id < row.id),
            )
        )
    )
    return ahead + 1


def _check_capacity(capacity: int | None) -> None:
    if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
        raise ValueError(f"capacity must be a whole number of seats or None, not {capacity!r}")


# --- cancelling -------------------------------------------------------------------------


def cancel_registration(registration: Registration) -> list[Registration]:
    """Cancel: the seat (and every session seat) goes to the next in line in the same
    transaction. Returns who got the conference seat; cancelling twice changes nothing."""
    with conference_write(registration.conference_id) as conference:
        registration = _reload(registration)
        if registration.status == "cancelled":
            return []
        _require_not_over(conference)
        held_seat = registration.status == "confirmed"
        registration.status = "cancelled"
        registration.cancelled_at = utcnow()
        # Told before the agenda is emptied, so the message can withdraw every session in it.
        notifications.registration_cancelled(registration)
        _drop_all_signups(registration)
        return promote_waiting(conference) if held_seat else []


def _drop_all_signups(registration: Registration) -> None:
    signups = sorted(registration.signups, key=lambda signup: signup.talk_id)
    for signup in signups:
        talk = _locked_talk(signup.talk_id)
        registration.signups.remove(signup)
        db.session.flush()
        if signup.status == "confirmed":
            _promote_session_waiting(talk)


# --- sessions ---------------------------------------------------------------------------


def join_session(registration: Registration, talk: Talk) -> SessionSignup:
    """Add a session to the agenda: a seat while the session has one, else a waiting place.
    Joining a session already in the agenda returns the existing sign-up."""
    with conference_write(registration.conference_id) as conference:
        _require_not_over(conference)
        registration = _reload(registration)
        talk = _locked_talk(talk.id)
        if not is_pickable(talk, conference):
            raise SessionUnavailable()
        if registration.status != "confirmed":
            raise NotConfirmed()
        existing = _signup(registration.id, talk.id)
        if existing is not None:
            return existing
        counts = _session_counts(talk.id)
        _promote_session(talk, counts)
        seat_free = talk.capacity is None or counts["confirmed"] < talk.capacity
        status = "confirmed" if seat_free else "waiting"
        signup = SessionSignup(registration=registration, talk=talk, status=status)
        db.session.add(signup)
        db.session.flush()
        notifications.session_joined(registration, talk, status)
        return signup


def leave_session(registration: Registration, talk: Talk) -> bool:
    """Remove a session from the agenda; a freed seat goes to the session's next in line."""
    with conference_write(registration.conference_id) as conference:
        _require_not_over(conference)
        registration = _reload(registration)
        talk = _locked_talk(talk.id)
        signup = _signup(registration.id, talk.id)
        if signup is None:
            return False
        notifications.session_left(registration, talk)
        held_seat = signup.status == "confirmed"
        registration.signups.remove(signup)
        db.session.flush()
        if held_seat:
            _promote_session_waiting(talk)
        return True


def set_talk_capacity(talk: Talk, capacity: int | None) -> list[SessionSignup]:
    """Change a session's own seat count (None: only the conference's limit applies);
    raising it promotes from the session's waiting list."""
    _check_capacity(capacity)
    with conference_write(talk.conference_id):
        talk = _locked_talk(talk.id)
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
            if later.start_at >= talk.end_at:
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


def update_details(registration: Registration, data: Details) -> Registration:
    """Change name, affiliation, country and answers (the e-mail address stays: it is
    what the management link was proven against)."""
    with conference_write(registration.conference_id):
        registration = _reload(registration)
        registration.full_name = data.full_name
        registration.affiliation = data.affiliation
        registration.country = data.country
        _set_answers(registration, _known_answers(registration.conference_id, data.answers))
        db.session.flush()
        return registration


def _known_answers(conference_id: int, answers: Mapping[int, object]) -> dict[int, object]:
    """The answers to questions this conference asks; anything else is dropped."""
    if not answers:
        return {}
    asked = set(db.session.scalars(sa.select(Question.id).filter_by(conference_id=conference_id)))
    return {question_id: value for question_id, value in answers.items() if question_id in asked}


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


def export_personal_data(registration: Registration) -> dict:
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


def _message_summary(message: OutboxMessage) -> dict:
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


def _iso(instant) -> str | None:
    return instant.isoformat() if instant is not None else None


def erase_personal_data(registration: Registration) -> None:
    """Erase the attendee (EU right to erasure). An active registration is cancelled first,
    its seats going to the next in line; what stays is an anonymous row with its status and
    timestamps, so counts remain right. No further e-mail is sent to them, and the
    management link stops working."""
    with conference_write(registration.conference_id) as conference:
        registration = _reload(registration)
        now = utcnow()
        held_seat = registration.status == "confirmed"
        if registration.status != "cancelled":
            registration.status = "cancelled"
            registration.cancelled_at = now
        _drop_all_signups(registration)
        if held_seat and conference.registration_state(now) != "past":
            promote_waiting(conference)
        registration.email = None
        registration.full_name = ""
        registration.affiliation = ""
        registration.country = ""
        registration.answers.clear()
        registration.token_hash = hash_token(new_token())  # a secret nobody holds
        registration.erased_at = now
        _erase_messages(registration.id)


def _erase_messages(registration_id: int) -> None:
    # Undelivered mail would still go out to the erased address: drop it. Delivered mail
    # stays as an anonymous record that something was sent, without address or content.
    db.session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .where(OutboxMessage.status != "sent")
    )
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.registration_id == registration_id)
        .values(recipient="", subject="", raw=b"", last_error="")
    )


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
