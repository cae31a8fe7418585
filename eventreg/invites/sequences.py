"""SEQUENCE per recipient: every message of a UID to someone carries a higher one.

An event's revision rises when the event changes, but leaving a session, cancelling or
joining again changes nothing about the event, and RFC 5546 still wants a higher SEQUENCE
on the CANCEL and on the new REQUEST (Outlook and Google otherwise keep the event or
ignore the invite). So each message takes ``max(revision, last sent + 1)`` and records it
(:class:`CalendarCopy`) in the transaction of the action that sends it.
"""

from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.invites.ical import CalendarEvent
from eventreg.invites.models import CalendarCopy

# What a CANCEL does to the event's place in the recipient's agenda. Other CANCELs (the
# organizers cancelled the session) leave it where it is: the agenda keeps it, cancelled.
CANCEL_STATES = {
    "session_left": "left",
    "speaker_removed": "left",
    "registration_cancelled": "withdrawn",
    "registration_cancelled_session": "withdrawn",
}


def registration_recipient(registration_id: int) -> str:
    return f"registration:{registration_id}"


def speaker_recipient(speaker_id: int) -> str:
    return f"speaker:{speaker_id}"


def stamp_message(recipient: str, event: CalendarEvent, method: str, kind: str) -> CalendarEvent:
    """The event with the SEQUENCE this message must carry, recorded as sent.

    Callers hold the lock of the conference or the session the message is about, so two
    messages to one recipient about one UID are never numbered at the same time.
    """
    copy = db.session.get(CalendarCopy, (recipient, event.uid), with_for_update=True)
    if method == "PUBLISH":
        # A copy for reference (a reminder), not an update: it carries the SEQUENCE the
        # recipient already has and records nothing, so their calendar copy stays as it is.
        return replace(event, sequence=max(event.sequence, copy.sequence if copy else 0))
    if method == "REQUEST":
        state = "held"
    else:
        state = CANCEL_STATES.get(kind) or (copy.state if copy is not None else "left")
    now = utcnow()
    if copy is None:
        sequence = event.sequence
        db.session.add(
            CalendarCopy(
                recipient=recipient, uid=event.uid, sequence=sequence, state=state, updated_at=now
            )
        )
    else:
        sequence = max(event.sequence, copy.sequence + 1)
        copy.sequence, copy.state, copy.updated_at = sequence, state, now
    db.session.flush()
    return replace(event, sequence=sequence)


def copies(recipient: str) -> dict[str, CalendarCopy]:
    rows = db.session.scalars(sa.select(CalendarCopy).where(CalendarCopy.recipient == recipient))
    return {copy.uid: copy for copy in rows}


def as_sent(recipient: str, events: list[CalendarEvent]) -> list[CalendarEvent]:
    """A personal feed's events with SEQUENCEs no lower than the recipient's invites."""
    sent = copies(recipient)
    return [
        replace(event, sequence=max(event.sequence, sent[event.uid].sequence))
        if event.uid in sent
        else event
        for event in events
    ]


def withdrawn(recipient: str, events: list[CalendarEvent], since: datetime) -> list[CalendarEvent]:
    """What a cancelled registration's agenda keeps: every event it still held or that the
    cancellation withdrew, marked cancelled, with a SEQUENCE above anything it showed.

    ``events`` are the current events of those UIDs (the caller loads them, see
    :func:`held_uids`).
    """
    sent = copies(recipient)
    kept = []
    for event in events:
        copy = sent.get(event.uid)
        if copy is None or copy.state == "left":
            continue
        # A withdrawal already went out with a raised SEQUENCE; a held event (an erasure
        # sends no mail) needs one now.
        sequence = max(event.sequence + 1, copy.sequence + (1 if copy.state == "held" else 0))
        kept.append(
            replace(
                event,
                sequence=sequence,
                cancelled=True,
                stamp=max(event.stamp, copy.updated_at, since),
            )
        )
    return kept


def held_uids(recipient: str) -> list[str]:
    return [uid for uid, copy in copies(recipient).items() if copy.state != "left"]
