"""Reminder e-mails before the conference and before each session someone holds.

A reminder is an outbox row recorded now and due later: its ``next_attempt_at`` is the
event's start less one of the conference's offsets (``conference_reminder_minutes``,
``session_reminder_minutes``; elapsed minutes, so a reminder an hour before a session on
the night the clocks change still comes sixty minutes before it). The ordinary delivery
(the sender thread, ``deliver-mail``, Celery beat) sends it once it is due. A due time
already past is not recorded.

Rows are never patched. Each change drops the pending reminders it affects and records
them again from the data as it now is, in the caller's transaction: the text, the due time
and the attached event always describe the event as the change left it. A row names its
session (``talk_id``; None for the conference's own reminder) and its calendar recipient
(``recipient_key``, as in ``invites.sequences``), which is how a change finds it.

Each reminder carries the event as METHOD:PUBLISH with the SEQUENCE the recipient already
has: a copy to look at, not an update. It also carries an ``Expires`` header (RFC 4021) at
the event's start: a reminder still undelivered then (the server was down) is not sent
(see ``eventreg.mail.delivery``).
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import formatdate
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Speaker, Talk, talk_speaker
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.translations import text_in
from eventreg.invites.events import conference_event, conference_window
from eventreg.invites.messages import (
    Person,
    conference_facts,
    send,
    send_session,
    speaker_person,
)
from eventreg.invites.sequences import registration_recipient, speaker_recipient
from eventreg.mail.builder import N_
from eventreg.mail.models import OutboxMessage
from eventreg.registration import broadcasts
from eventreg.registration.models import Registration, SessionSignup
from eventreg.registration.notifications import attendee

CONFERENCE_REMINDER = "conference_reminder"
SESSION_REMINDER = "session_reminder"
KINDS = (CONFERENCE_REMINDER, SESSION_REMINDER)


def due_times(start: datetime, minutes: Iterable[int], now: datetime) -> list[datetime]:
    """When reminders ``minutes`` before ``start`` are due, earliest first; those already
    past are left out."""
    dues = {start - timedelta(minutes=offset) for offset in minutes}
    return sorted(due for due in dues if due > now)


# --- recording ----------------------------------------------------------------------------


def record_for_registration(registration: Registration) -> int:
    """A confirmed registration's reminders: the conference's and those of every session in
    which it holds a seat. Returns how many were recorded."""
    if registration.status != "confirmed" or not registration.email:
        return 0
    person = attendee(registration)
    recorded = _record_conference(person, registration.conference)
    for talk in _held_talks(registration):
        recorded += record_session(person, talk)
    return recorded


def record_for_speaker(speaker: Speaker) -> int:
    """A speaker's reminders: the conference's while they speak in a session of it, and
    each of their sessions'."""
    talks = _speaker_talks(speaker)
    if not talks or not speaker.email:
        return 0
    person = speaker_person(speaker)
    recorded = _record_conference(person, speaker.conference)
    for talk in talks:
        recorded += record_session(person, talk)
    return recorded


def record_session(person: Person, talk: Talk) -> int:
    """The reminders of one session for someone who holds it (or speaks in it)."""
    if talk.start_at is None or talk.cancelled or not person.email:
        return 0
    start = talk.start_at
    recorded = 0
    for due in due_times(start, talk.conference.session_reminder_minutes or [], utcnow()):
        row = _recorded(
            send_session,
            person,
            talk,
            kind=SESSION_REMINDER,
            template="reminder_session",
            subject=N_("Reminder: %(title)s"),
            method="PUBLISH",
        )
        _schedule(row, person, due=due, starts=start, talk_id=talk.id)
        recorded += 1
    return recorded


def _record_conference(person: Person, conference: Conference) -> int:
    start = conference_window(conference)[0]
    recorded = 0
    for due in due_times(start, conference.conference_reminder_minutes or [], utcnow()):
        with force_locale(person.locale):
            event = conference_event(conference, stamp=utcnow())
            row = _recorded(
                send,
                person,
                conference,
                kind=CONFERENCE_REMINDER,
                template="reminder_conference",
                subject=_("Reminder: %(title)s", title=text_in(conference, "title")),
                invite=("PUBLISH", event),
                event=conference_facts(conference, event),
            )
        _schedule(row, person, due=due, starts=start, talk_id=None)
        recorded += 1
    return recorded


def _recorded(send_one: Callable[..., bool], *args: Any, **kwargs: Any) -> OutboxMessage:
    """Call one ``invites.messages`` send and return the outbox row it added (the senders
    report only whether the person had an address, which the callers have checked)."""
    before = set(db.session.new)
    if not send_one(*args, **kwargs):
        raise RuntimeError("a reminder was asked for someone without an address")
    rows = [r for r in db.session.new if isinstance(r, OutboxMessage) and r not in before]
    if len(rows) != 1:
        raise RuntimeError(f"expected one new outbox row for a reminder, found {len(rows)}")
    return rows[0]


def _schedule(
    row: OutboxMessage, person: Person, *, due: datetime, starts: datetime, talk_id: int | None
) -> None:
    row.next_attempt_at = due
    row.talk_id = talk_id
    row.recipient_key = person.calendar_recipient
    # Header fields may come in any order (RFC 5322 3.6): the rendered message gets one more
    # at its top, saying when it is no longer worth sending.
    expires = formatdate(starts.timestamp(), usegmt=True)
    row.raw = f"Expires: {expires}\r\n".encode("ascii") + row.raw


# --- dropping -----------------------------------------------------------------------------


def _pending() -> sa.Delete:
    return sa.delete(OutboxMessage).where(
        OutboxMessage.status == "pending", OutboxMessage.kind.in_(KINDS)
    )


def _delete(statement: sa.Delete) -> int:
    # "fetch": rows of this session that are deleted leave it too (a later flush must not
    # write them again); rows recorded earlier in the transaction are flushed first.
    result = db.session.execute(statement.execution_options(synchronize_session="fetch"))
    return int(result.rowcount)  # type: ignore[attr-defined]


def drop_for_recipient(recipient_key: str, talk_id: int | None = None) -> int:
    """Drop a recipient's pending reminders: all of them, or one session's."""
    statement = _pending().where(OutboxMessage.recipient_key == recipient_key)
    if talk_id is not None:
        statement = statement.where(OutboxMessage.talk_id == talk_id)
    return _delete(statement)


def drop_for_speaker(speaker: Speaker) -> int:
    return drop_for_recipient(speaker_recipient(speaker.id))


def drop_for_registration(registration: Registration, talk: Talk | None = None) -> int:
    return drop_for_recipient(
        registration_recipient(registration.id), talk.id if talk is not None else None
    )


# --- changes to a session or the conference --------------------------------------------


def refresh_session(talk: Talk, speaker_ids: Iterable[int] = ()) -> None:
    """The session changed (moved, renamed, another room, cancelled, unscheduled, other
    speakers): its pending reminders are dropped and recorded again for those who hold it
    and its speakers. ``speaker_ids`` are speakers it had before the change: one who no
    longer speaks at the conference loses its conference reminder too."""
    _delete(_pending().where(OutboxMessage.talk_id == talk.id))
    for registration in _holders(talk):
        record_session(attendee(registration), talk)
    current = {speaker.id for speaker in talk.speakers}
    for speaker in talk.speakers:
        record_session(speaker_person(speaker), talk)
    refresh_speakers_conference(talk.conference, current | set(speaker_ids))


def refresh_speakers_conference(conference: Conference, speaker_ids: Iterable[int]) -> None:
    """The conference reminders of these speakers, as their sessions now are."""
    ids = sorted(set(speaker_ids))
    if not ids:
        return
    _delete(
        _pending().where(
            OutboxMessage.kind == CONFERENCE_REMINDER,
            OutboxMessage.recipient_key.in_([speaker_recipient(i) for i in ids]),
        )
    )
    for speaker in db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(ids))):
        if speaker.email and _speaker_talks(speaker):
            _record_conference(speaker_person(speaker), conference)


def refresh_conference(conference: Conference, *, sessions: bool = True) -> None:
    """Record the conference's reminders again (its start, its words or its reminder
    settings changed); with ``sessions`` those of every session too."""
    statement = _pending().where(OutboxMessage.conference_id == conference.id)
    if not sessions:
        statement = statement.where(OutboxMessage.kind == CONFERENCE_REMINDER)
    _delete(statement)
    registrations = broadcasts.recipients(conference)
    speakers = db.session.scalars(
        sa.select(Speaker)
        .where(Speaker.conference_id == conference.id, Speaker.email.is_not(None))
        .order_by(Speaker.id)
    ).all()
    for registration in registrations:
        person = attendee(registration)
        _record_conference(person, conference)
        if sessions:
            for talk in _held_talks(registration):
                record_session(person, talk)
    for speaker in speakers:
        talks = _speaker_talks(speaker)
        if talks:
            person = speaker_person(speaker)
            _record_conference(person, conference)
            for talk in talks if sessions else []:
                record_session(person, talk)


# --- who holds what -----------------------------------------------------------------------


def _reminded(query: sa.Select[Talk]) -> sa.Select[Talk]:
    """Sessions that get reminders: scheduled and not cancelled."""
    return query.where(Talk.start_at.is_not(None), Talk.status == "scheduled").order_by(
        Talk.start_at, Talk.id
    )


def _held_talks(registration: Registration) -> list[Talk]:
    return list(
        db.session.scalars(
            _reminded(
                sa.select(Talk)
                .join(SessionSignup, SessionSignup.talk_id == Talk.id)
                .where(
                    SessionSignup.registration_id == registration.id,
                    SessionSignup.status == "confirmed",
                )
            )
        )
    )


def _speaker_talks(speaker: Speaker) -> list[Talk]:
    return list(
        db.session.scalars(
            _reminded(
                sa.select(Talk)
                .join(talk_speaker, talk_speaker.c.talk_id == Talk.id)
                .where(talk_speaker.c.speaker_id == speaker.id)
            )
        )
    )


def _holders(talk: Talk) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(SessionSignup, SessionSignup.registration_id == Registration.id)
            .where(
                SessionSignup.talk_id == talk.id,
                SessionSignup.status == "confirmed",
                Registration.status == "confirmed",
                Registration.email.is_not(None),
            )
            .order_by(Registration.id)
        )
    )
