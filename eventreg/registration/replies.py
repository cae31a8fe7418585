"""Answers from attendees' calendars (iMIP REPLY, RFC 6047): join, leave, or ask to cancel.

Accept / Tentative / Decline pressed on an invite comes back as an e-mail to the
attendee's reply address (``eventreg.invites.replies``). :func:`handle_reply` reads one
such message (from the SMTP receiver or the IMAP poller, ``eventreg.mail.inbound``):

- a session declined: the attendee leaves it (the seat goes to the next in line, and the
  usual CANCEL mail confirms the answer);
- a session accepted or tentatively accepted: the attendee joins it, unless they hold it;
- the conference declined: nothing is cancelled on a stray press, the attendee is asked by
  mail to confirm on the cancellation page (at most once a day).

Only the attendee the invite was sent to can answer it: the reply address must carry a
genuine token for a registration of the conference owning the UID, and the ATTENDEE the
reply names must be that registration's address. Anything else is ignored. Each message is
handled once (by Message-ID, :class:`~eventreg.mail.models.InboundMessage`) in one write
transaction with what it changed; the actions themselves change nothing the second time.
"""

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses

import icalendar
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from eventreg.conferences.models import Conference, Talk
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict
from eventreg.core.extensions import db
from eventreg.invites.events import uid_for
from eventreg.invites.replies import registration_id_for
from eventreg.mail.models import InboundMessage, OutboxMessage
from eventreg.registration import notifications, services
from eventreg.registration.models import Registration, SessionSignup

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics")
ANSWERS = ("ACCEPTED", "TENTATIVE", "DECLINED")
# A second conference decline within this time sends no second "confirm?" mail.
ASK_AGAIN_AFTER = timedelta(days=1)
# Where the handler says what it did (InboundMessage.outcome, the audit entry).
JOINED, WAITING, LEFT, ASKED, UNCHANGED, DUPLICATE = (
    "joined",
    "joined_waiting",
    "left",
    "asked_to_confirm",
    "unchanged",
    "duplicate",
)


@dataclass(frozen=True)
class CalendarReply:
    """What a REPLY says: who answered what about which event."""

    uid: str
    partstat: str
    attendee: str
    comment: str = ""


@dataclass(frozen=True)
class Handled:
    outcome: str
    registration_id: int | None = None

    @property
    def ignored(self) -> bool:
        return self.outcome.startswith("ignored:")


def ignored(reason: str, registration_id: int | None = None) -> Handled:
    return Handled(f"ignored:{reason}", registration_id)


class NotAReply(ValueError):
    """The message holds no usable calendar reply; ``reason`` says why, for the record."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- reading the message ----------------------------------------------------------------


def _calendar_texts(message: Message) -> Iterator[str]:
    """Every calendar in the message, inline or attached, decoded from its transfer
    encoding (base64, quoted-printable) and its charset."""
    for part in message.walk():
        filename = (part.get_filename() or "").lower()
        is_ics = part.get_content_type() == "application/octet-stream" and filename.endswith(".ics")
        if part.is_multipart() or not (part.get_content_type() in CALENDAR_TYPES or is_ics):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        try:
            yield payload.decode(part.get_content_charset() or "utf-8")
        except (LookupError, UnicodeDecodeError):
            yield payload.decode("utf-8", errors="replace")


def _address(value: object) -> str:
    return str(value).strip().removeprefix("mailto:").removeprefix("MAILTO:").strip()


def _reply_in(calendar: icalendar.Calendar) -> CalendarReply:
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        raise NotAReply("event_count")
    event = events[0]
    attendees = event.get("ATTENDEE")
    if not isinstance(attendees, list):
        attendees = [attendees] if attendees is not None else []
    if len(attendees) != 1:
        raise NotAReply("attendee_count")
    (attendee,) = attendees
    comments = event.get("COMMENT") or []
    if not isinstance(comments, list):
        comments = [comments]
    uid = str(event.get("UID") or "").strip()
    if not uid:
        raise NotAReply("no_uid")
    return CalendarReply(
        uid=uid,
        partstat=str(attendee.params.get("PARTSTAT", "")).upper(),
        attendee=_address(attendee),
        comment="\n".join(str(comment) for comment in comments),
    )


def read_reply(message: Message) -> CalendarReply:
    """The REPLY in the message: the first calendar with METHOD:REPLY (a reply may also
    carry the same calendar as an attachment, or quote the original REQUEST)."""
    found = False
    for text in _calendar_texts(message):
        found = True
        try:
            calendar = icalendar.Calendar.from_ical(text)
        except Exception:  # icalendar raises ValueError, KeyError, ... on broken input
            log.info("an unreadable calendar in an inbound message", exc_info=True)
            continue
        if str(calendar.get("METHOD", "")).upper() == "REPLY":
            return _reply_in(calendar)
    raise NotAReply("not_a_reply" if found else "no_calendar")


def message_id_of(message: Message, raw: bytes) -> str:
    """The Message-ID, or a digest of the bytes for a message without one (a second
    delivery of the same bytes is still recognised)."""
    value = " ".join(str(message.get("Message-ID", "")).split())
    if not value:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    if len(value) > 255:
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()
    return value


def addressed_registration(message: Message, recipients: Sequence[str]) -> int | None:
    """The registration whose reply address the message was sent to: the envelope's
    recipients first, else the To and Cc headers. None unless exactly one is genuine."""
    for candidates in (recipients, _header_addresses(message, "To", "Cc")):
        found = {registration_id_for(address) for address in candidates} - {None}
        if found:
            return found.pop() if len(found) == 1 else None
    return None


def _header_addresses(message: Message, *names: str) -> list[str]:
    values = [str(value) for name in names for value in message.get_all(name, [])]
    return [address for _name, address in getaddresses(values) if address]


# --- acting on it ------------------------------------------------------------------------


def handle_reply(raw: bytes, recipients: Sequence[str]) -> Handled:
    """Handle one inbound message (raw bytes, envelope recipients): the change, its mail,
    its audit entry and the record of the Message-ID commit together. Never raises for a
    message it cannot use (logged, recorded as ignored); database errors propagate, so
    that the receiver answers "try again later"."""
    message_id, registration_id, reply = _read(raw, recipients)
    try:
        handled = _handle_once(message_id, registration_id, reply)
    except IntegrityError:
        # The same message handled at the same moment by another receiver: it won.
        db.session.rollback()
        if db.session.get(InboundMessage, message_id) is None:
            raise
        handled = Handled(DUPLICATE, registration_id)
    log.info("inbound message %s: %s", message_id, handled.outcome)
    return handled


def _read(raw: bytes, recipients: Sequence[str]) -> tuple[str, int | None, CalendarReply | str]:
    """The message's id, the registration it is addressed to, and its reply (or why it
    has none)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        message_id = message_id_of(message, raw)
        registration_id = addressed_registration(message, recipients)
    except Exception:  # the email package can trip over a mangled header
        log.warning("an inbound message could not be parsed", exc_info=True)
        return message_id_of(Message(), raw), None, "malformed"
    try:
        return message_id, registration_id, read_reply(message)
    except NotAReply as refused:
        return message_id, registration_id, refused.reason
    except Exception:
        log.warning("the calendar of an inbound message could not be read", exc_info=True)
        return message_id, registration_id, "malformed"


def _handle_once(
    message_id: str, registration_id: int | None, reply: CalendarReply | str
) -> Handled:
    conference_id = _conference_of(registration_id)
    if conference_id is None:
        registration_id = None  # a genuine token of a registration since deleted
    # Lock the conference first (every writer of seats does): a second copy of the
    # message waits there and then finds the first one recorded.
    lock = services.conference_write(conference_id) if conference_id else nullcontext()
    with write_transaction(), lock:
        if db.session.get(InboundMessage, message_id) is not None:
            return Handled(DUPLICATE, registration_id)
        if isinstance(reply, str):
            handled = ignored(reply, registration_id)
        elif registration_id is None:
            handled = ignored("not_addressed")
        else:
            handled = _act(reply, registration_id)
        db.session.add(
            InboundMessage(
                message_id=message_id,
                registration_id=handled.registration_id,
                outcome=handled.outcome[:60],
                received_at=utcnow(),
            )
        )
        db.session.flush()
        return handled


def _conference_of(registration_id: int | None) -> int | None:
    if registration_id is None:
        return None
    return db.session.scalar(sa.select(Registration.conference_id).filter_by(id=registration_id))


def _act(reply: CalendarReply, registration_id: int) -> Handled:
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    if registration is None:
        return ignored("unknown_registration")
    if registration.status == "cancelled" or registration.erased_at or not registration.email:
        return ignored("registration_cancelled", registration.id)
    if reply.attendee.lower() != registration.email.lower():
        return ignored("other_attendee", registration.id)
    if reply.partstat not in ANSWERS:
        return ignored("partstat", registration.id)
    conference = registration.conference
    if reply.uid == uid_for(conference.uuid):
        return _answer_conference(registration, reply)
    talk = _talk_of(conference, reply.uid)
    if talk is None:
        return ignored("unknown_event", registration.id)
    if talk.cancelled:
        return ignored("session_cancelled", registration.id)
    try:
        with db.session.begin_nested():
            return _answer_session(registration, talk, reply)
    except Conflict:
        # The conference is over, the session no longer takes sign-ups, or the attendee
        # only waits for a seat at the conference: nothing to do.
        return ignored("refused", registration.id)


def _talk_of(conference: Conference, uid: str) -> Talk | None:
    suffix = f"@{current_app.config['ICAL_UID_DOMAIN']}"
    if not uid.endswith(suffix):
        return None
    return db.session.scalar(
        sa.select(Talk).filter_by(conference_id=conference.id, uuid=uid.removesuffix(suffix))
    )


def _answer_session(registration: Registration, talk: Talk, reply: CalendarReply) -> Handled:
    held = db.session.scalar(
        sa.select(SessionSignup).filter_by(registration_id=registration.id, talk_id=talk.id)
    )
    if reply.partstat == "DECLINED":
        if held is None or not services.leave_session(audit.ATTENDEE, registration, talk):
            return Handled(UNCHANGED, registration.id)
        outcome = LEFT
    else:
        if held is not None:
            return Handled(UNCHANGED, registration.id)
        signup = services.join_session(audit.ATTENDEE, registration, talk)
        outcome = JOINED if signup.status == "confirmed" else WAITING
    _audit(registration, reply, outcome, summary=talk.title, talk_id=talk.id)
    return Handled(outcome, registration.id)


def _answer_conference(registration: Registration, reply: CalendarReply) -> Handled:
    if reply.partstat != "DECLINED" or _asked_lately(registration):
        return Handled(UNCHANGED, registration.id)
    notifications.cancel_by_reply(registration, services.spare_link_secret(registration))
    _audit(registration, reply, ASKED, summary=registration.conference.title)
    return Handled(ASKED, registration.id)


def _asked_lately(registration: Registration) -> bool:
    return (
        db.session.scalar(
            sa.select(OutboxMessage.id)
            .filter_by(registration_id=registration.id, kind="cancel_by_reply")
            .where(OutboxMessage.created_at > utcnow() - ASK_AGAIN_AFTER)
            .limit(1)
        )
        is not None
    )


def _audit(
    registration: Registration,
    reply: CalendarReply,
    outcome: str,
    *,
    summary: str,
    talk_id: int | None = None,
) -> None:
    """What the reply did and what it answered; never its address or comment."""
    after: dict[str, object] = {"partstat": reply.partstat, "done": outcome}
    if talk_id is not None:
        after["talk_id"] = talk_id
    audit.log(
        audit.ATTENDEE,
        "registration.calendar_reply",
        registration,
        conference_id=registration.conference_id,
        summary=f"{registration.full_name}: {summary}",
        after=after,
    )
