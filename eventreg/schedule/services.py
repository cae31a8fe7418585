"""Changing a session: the one write path that keeps everyone's calendar in step.

Every change people's calendars show (time, room, title, abstract, speakers) raises the
session's ``revision`` (its iCalendar SEQUENCE) and sends an update with the same UID to the
attendees holding a seat and to the speakers; cancelling sends them METHOD:CANCEL. When the
change moves the conference's own span (its first or last session), confirmed attendees
get an update of the conference event as well. Each function locks the session, records
the mail in the same transaction, commits, and returns how many people are notified.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import TALK_KINDS, Conference, Room, Speaker, Talk, Track
from eventreg.core.db import begin_write, utcnow
from eventreg.core.extensions import db
from eventreg.core.timeutil import format_clock_range, format_day
from eventreg.invites.events import conference_window
from eventreg.registration.models import Registration, SessionSignup
from eventreg.schedule import conflicts, notifications


class ScheduleError(ValueError):
    """A change that cannot be made; the message is meant for the organizer."""


_UNCHANGED = object()


class _Notified:
    """The distinct addresses that were sent something."""

    def __init__(self):
        self.addresses: set[str] = set()

    def add(self, email: str | None, sent: bool) -> None:
        if sent and email:
            self.addresses.add(email.lower())


def reschedule_talk(talk: Talk, start_at: datetime, end_at: datetime) -> int:
    return update_talk(talk, start_at=start_at, end_at=end_at)


def move_talk(talk: Talk, room: Room | None) -> int:
    return update_talk(talk, room=room)


def edit_talk(talk: Talk, **changes) -> int:
    """Title, abstract, speakers, kind or track; see :func:`update_talk`."""
    return update_talk(talk, **changes)


def update_talk(
    talk: Talk,
    *,
    start_at=_UNCHANGED,
    end_at=_UNCHANGED,
    room=_UNCHANGED,
    title=_UNCHANGED,
    abstract=_UNCHANGED,
    speakers=_UNCHANGED,
    kind=_UNCHANGED,
    track=_UNCHANGED,
) -> int:
    """Apply the given changes to a session and tell those whose calendars hold it."""
    changes = dict(
        start_at=start_at,
        end_at=end_at,
        room=room,
        title=title,
        abstract=abstract,
        speakers=speakers,
        kind=kind,
        track=track,
    )
    notified = _apply_update(talk, **changes)
    db.session.commit()
    return notified


def count_update_recipients(talk: Talk, **changes) -> int:
    """How many people :func:`update_talk` with these changes would notify, found by making
    the change and rolling it back: the count is exact, conflicts are refused alike, and
    nothing is kept."""
    try:
        return _apply_update(talk, **{**_ALL_UNCHANGED, **changes})
    finally:
        db.session.rollback()


def count_cancel_recipients(talk: Talk) -> int:
    """How many people :func:`cancel_talk` would notify (made and rolled back, like
    :func:`count_update_recipients`)."""
    try:
        return _apply_cancel(talk)
    finally:
        db.session.rollback()


_ALL_UNCHANGED = dict.fromkeys(
    ("start_at", "end_at", "room", "title", "abstract", "speakers", "kind", "track"), _UNCHANGED
)


def _apply_update(
    talk: Talk, *, start_at, end_at, room, title, abstract, speakers, kind, track
) -> int:
    """:func:`update_talk` up to, not including, the commit; refusals roll back."""
    try:
        return _update_uncommitted(
            talk,
            start_at=start_at,
            end_at=end_at,
            room=room,
            title=title,
            abstract=abstract,
            speakers=speakers,
            kind=kind,
            track=track,
        )
    except ScheduleError:
        db.session.rollback()
        raise


def _update_uncommitted(
    talk: Talk, *, start_at, end_at, room, title, abstract, speakers, kind, track
) -> int:
    talk_id, conference_id = talk.id, talk.conference_id
    _check(
        conference_id,
        start_at=start_at,
        end_at=end_at,
        room=room,
        title=title,
        speakers=speakers,
        kind=kind,
        track=track,
    )
    room_id = room.id if isinstance(room, Room) else room
    speaker_ids = None if speakers is _UNCHANGED else {speaker.id for speaker in speakers}
    track_id = track.id if isinstance(track, Track) else track

    begin_write()
    _lock_conference(conference_id)
    talk = _locked(talk_id)
    if talk.cancelled:
        raise ScheduleError(_l("A cancelled session cannot be changed."))
    conference = talk.conference
    window_before = conference_window(conference)

    changes = []
    if start_at is not _UNCHANGED and (start_at, end_at) != (talk.start_at, talk.end_at):
        talk.start_at, talk.end_at = start_at, end_at
        changes.append("time")
    if room is not _UNCHANGED and room_id != talk.room_id:
        talk.room = db.session.get(Room, room_id) if room_id is not None else None
        changes.append("room")
    if (title is not _UNCHANGED and title != talk.title) or (
        abstract is not _UNCHANGED and abstract != talk.abstract
    ):
        talk.title = talk.title if title is _UNCHANGED else title
        talk.abstract = talk.abstract if abstract is _UNCHANGED else abstract
        changes.append("details")
    old_speakers = list(talk.speakers)
    if speaker_ids is not None and speaker_ids != {speaker.id for speaker in old_speakers}:
        talk.speakers = db.session.scalars(
            sa.select(Speaker).where(Speaker.id.in_(speaker_ids))
        ).all()
        changes.append("speakers")
    # Kind and track are not part of any calendar: saved without telling anyone.
    if kind is not _UNCHANGED:
        talk.kind = kind
    if track is not _UNCHANGED:
        talk.track_id = track_id

    if not changes:
        return 0
    talk.revision = (talk.revision or 0) + 1
    db.session.flush()
    if {"time", "room", "speakers"} & set(changes):
        _refuse_conflicts(talk)

    stamp = utcnow()
    notified = _Notified()
    if talk.start_at is not None:
        current = {speaker.id for speaker in talk.speakers}
        previous = {speaker.id for speaker in old_speakers}
        for speaker in old_speakers:
            if speaker.id not in current:
                notified.add(speaker.email, notifications.speaker_removed(speaker, talk, stamp))
        for speaker in talk.speakers:
            if speaker.id in previous:
                person = notifications.speaker_person(speaker)
                sent = notifications.session_updated(person, talk, changes, stamp)
            else:
                sent = notifications.speaker_invited(speaker, talk, stamp)
            notified.add(speaker.email, sent)
        speaker_addresses = {s.email.lower() for s in talk.speakers + old_speakers if s.email}
        for registration in _seat_holders(talk):
            if registration.email.lower() in speaker_addresses:
                continue  # a speaker who also registered gets the speaker's message only
            person = notifications.attendee(registration)
            notified.add(
                registration.email, notifications.session_updated(person, talk, changes, stamp)
            )
    _update_conference_span(conference, window_before, stamp, notified)
    return len(notified.addresses)


def cancel_talk(talk: Talk) -> int:
    """Cancel a session: attendees holding a seat and speakers get METHOD:CANCEL.

    Seats are kept (the session stays visible as cancelled); cancelling twice does nothing.
    """
    notified = _apply_cancel(talk)
    db.session.commit()
    return notified


def _apply_cancel(talk: Talk) -> int:
    talk_id = talk.id
    begin_write()
    _lock_conference(talk.conference_id)
    talk = _locked(talk_id)
    if talk.cancelled:
        return 0
    conference = talk.conference
    window_before = conference_window(conference)
    talk.status = "cancelled"
    talk.revision = (talk.revision or 0) + 1
    db.session.flush()

    stamp = utcnow()
    notified = _Notified()
    if talk.start_at is not None:
        for speaker in talk.speakers:
            person = notifications.speaker_person(speaker)
            notified.add(speaker.email, notifications.session_cancelled(person, talk, stamp))
        speaker_addresses = {s.email.lower() for s in talk.speakers if s.email}
        for registration in _seat_holders(talk):
            if registration.email.lower() in speaker_addresses:
                continue
            person = notifications.attendee(registration)
            notified.add(registration.email, notifications.session_cancelled(person, talk, stamp))
    _update_conference_span(conference, window_before, stamp, notified)
    return len(notified.addresses)


def create_talk(
    conference: Conference,
    *,
    title: str,
    abstract: str = "",
    kind: str = "talk",
    track: Track | None = None,
    speakers: list[Speaker] | tuple = (),
    capacity: int | None = None,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    room: Room | None = None,
) -> Talk:
    """Add a session, scheduled (start, end, maybe a room) or not yet (no time).

    A scheduled session's speakers get its invite; attendees have no seat in it yet.
    Conflicts are refused as for :func:`update_talk`.
    """
    unscheduled = start_at is None and end_at is None
    _check(
        conference.id,
        start_at=_UNCHANGED if unscheduled else start_at,
        end_at=_UNCHANGED if unscheduled else end_at,
        room=room,
        title=title,
        speakers=list(speakers),
        kind=kind,
        track=track,
    )
    if capacity is not None and (not isinstance(capacity, int) or capacity < 0):
        raise ScheduleError(_l("Seats must be a whole number, zero or more."))
    speaker_ids = [speaker.id for speaker in speakers]
    room_id = room.id if room is not None else None
    track_id = track.id if track is not None else None
    try:
        begin_write()
        conference = _lock_conference(conference.id)
        window_before = conference_window(conference)
        talk = Talk(
            conference=conference,
            title=title.strip(),
            abstract=abstract or "",
            kind=kind,
            track_id=track_id,
            room_id=room_id,
            capacity=capacity,
            start_at=start_at,
            end_at=end_at,
            speakers=list(
                db.session.scalars(sa.select(Speaker).where(Speaker.id.in_(speaker_ids)))
            ),
        )
        db.session.add(talk)
        db.session.flush()
        if talk.start_at is not None:
            _refuse_conflicts(talk)
            stamp = utcnow()
            for speaker in talk.speakers:
                notifications.speaker_invited(speaker, talk, stamp)
            _update_conference_span(conference, window_before, stamp, _Notified())
    except ScheduleError:
        db.session.rollback()
        raise
    db.session.commit()
    return talk


def invite_speakers(conference: Conference) -> int:
    """Send each speaker the invite of every scheduled session they speak in.

    Safe to run again: the same UID and SEQUENCE with a newer DTSTAMP is just a refresh.
    Returns the number of invites recorded.
    """
    stamp = utcnow()
    talks = db.session.scalars(
        sa.select(Talk)
        .where(
            Talk.conference_id == conference.id,
            Talk.start_at.is_not(None),
            Talk.status == "scheduled",
        )
        .options(selectinload(Talk.speakers), selectinload(Talk.room))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    sent = 0
    for talk in talks:
        for speaker in talk.speakers:
            sent += notifications.speaker_invited(speaker, talk, stamp)
    db.session.commit()
    return sent


def _locked(talk_id: int) -> Talk:
    """The session, locked against concurrent changes (row lock on PostgreSQL; on SQLite
    ``begin_write`` already holds the database's write lock)."""
    talk = db.session.scalar(
        sa.select(Talk)
        .where(Talk.id == talk_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if talk is None:
        raise ScheduleError(_l("This session no longer exists."))
    return talk


def _lock_conference(conference_id: int) -> Conference:
    """Hold the conference's row lock, taken before any session's (the order the
    registration service uses too), so two changes cannot book one room or one speaker
    twice at once."""
    return db.session.scalars(
        sa.select(Conference)
        .where(Conference.id == conference_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _refuse_conflicts(talk: Talk) -> None:
    """Raise ScheduleError naming the other session when the (flushed) session leaves the
    conference's days, double-books its room, or puts a speaker in two places at once."""
    conference = talk.conference
    tz = conference.tz
    if conflicts.outside_dates(
        talk.start_at, talk.end_at, conference.start_date, conference.end_date, tz
    ):
        raise ScheduleError(
            _l(
                "“%(title)s” must take place during the conference, from %(first)s to %(last)s.",
                title=talk.title,
                first=format_day(conference.start_date),
                last=format_day(conference.end_date),
            )
        )
    slot = _slot(talk.id, talk.title, talk.start_at, talk.end_at, talk.room_id, talk.speakers)
    others = _overlapping_slots(conference.id, talk)
    for clash in conflicts.clashes_with(slot, others):
        when = format_clock_range(clash.other.start, clash.other.end, tz)
        if clash.kind == "room":
            raise ScheduleError(
                _l(
                    "%(room)s is already taken at that time by “%(other)s” (%(when)s).",
                    room=talk.room.name,
                    other=clash.other.title,
                    when=when,
                )
            )
        names = ", ".join(s.name for s in talk.speakers if s.id in clash.speaker_ids)
        raise ScheduleError(
            _l(
                "%(speakers)s would be in two places at once: also in “%(other)s” (%(when)s).",
                speakers=names,
                other=clash.other.title,
                when=when,
            )
        )


def _overlapping_slots(conference_id: int, talk: Talk) -> list[conflicts.Slot]:
    rows = db.session.scalars(
        sa.select(Talk)
        .where(
            Talk.conference_id == conference_id,
            Talk.id != talk.id,
            Talk.status == "scheduled",
            Talk.start_at < talk.end_at,
            Talk.end_at > talk.start_at,
        )
        .options(selectinload(Talk.speakers))
        .order_by(Talk.start_at, Talk.id)
    ).all()
    return [_slot(t.id, t.title, t.start_at, t.end_at, t.room_id, t.speakers) for t in rows]


def _slot(talk_id, title, start, end, room_id, speakers) -> conflicts.Slot:
    return conflicts.Slot(
        talk_id, title, start, end, room_id, frozenset(speaker.id for speaker in speakers)
    )


def _seat_holders(talk: Talk) -> list[Registration]:
    """Attendees whose calendars hold the session: a confirmed seat, an address, and a
    registration that is not cancelled."""
    return db.session.scalars(
        sa.select(Registration)
        .join(SessionSignup, SessionSignup.registration_id == Registration.id)
        .where(
            SessionSignup.talk_id == talk.id,
            SessionSignup.status == "confirmed",
            Registration.status != "cancelled",
            Registration.email.is_not(None),
        )
        .order_by(Registration.id)
    ).all()


def _update_conference_span(conference, window_before, stamp, notified: _Notified) -> None:
    if conference_window(conference) == window_before:
        return
    conference.revision = (conference.revision or 0) + 1
    db.session.flush()
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == "confirmed",
            Registration.email.is_not(None),
        )
        .order_by(Registration.id)
    ).all()
    for registration in registrations:
        notified.add(registration.email, notifications.conference_updated(registration, stamp))


def _check(conference_id, *, start_at, end_at, room, title, speakers, kind, track) -> None:
    """Refuse impossible changes before anything is locked or written."""
    if (start_at is _UNCHANGED) != (end_at is _UNCHANGED):
        raise ScheduleError(_l("A new time needs both a start and an end."))
    if start_at is not _UNCHANGED:
        if start_at is None or end_at is None:
            raise ScheduleError(_l("A new time needs both a start and an end."))
        if start_at.tzinfo is None or end_at.tzinfo is None:
            raise ScheduleError(_l("Times must include their time zone."))
        if end_at <= start_at:
            raise ScheduleError(_l("A session must end after it starts."))
    if isinstance(room, Room) and room.conference_id != conference_id:
        raise ScheduleError(_l("That room belongs to another conference."))
    if isinstance(track, Track) and track.conference_id != conference_id:
        raise ScheduleError(_l("That track belongs to another conference."))
    if title is not _UNCHANGED and not (title or "").strip():
        raise ScheduleError(_l("A session needs a title."))
    if title is not _UNCHANGED and len(title) > 250:
        raise ScheduleError(_l("The title is too long (at most 250 characters)."))
    if speakers is not _UNCHANGED and any(s.conference_id != conference_id for s in speakers):
        raise ScheduleError(_l("A speaker belongs to another conference."))
    if kind is not _UNCHANGED and kind not in TALK_KINDS:
        raise ScheduleError(_l("Unknown kind of session."))
