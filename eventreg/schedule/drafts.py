"""The schedule editor's draft: places of sessions decided, not yet told anyone.

While a conference is published, the editor's drops collect here (one ``TalkDraft`` row per
session: its new start, end and room, or the tray, or ``cancel``), so dragging a session
three times tells nobody three times. The organizer reviews the difference from what is
published (:func:`draft_changes`) and releases it in one step (:func:`release`): every row
is applied in ONE transaction through the same path as a single change
(``services.apply_update`` / ``apply_cancel``), so each person gets exactly the mail that
change would send, once per session. Before a conference is published nobody holds an
invite and a drop applies at once (:func:`save_place`).

Every proposed place is checked by planning it (``changes.plan_update``, a dry run): the
same rules and clashes as the session form, against the schedule as the draft leaves it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import Conference, Talk, TalkDraft
from eventreg.core import audit
from eventreg.core.db import write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.invites.events import conference_window
from eventreg.registration import services as registration
from eventreg.registration.models import Registration, SessionSignup
from eventreg.schedule import changes, conflicts
from eventreg.schedule import services as schedule
from eventreg.schedule.changes import (
    SessionFields,
    SessionPlan,
    SessionValues,
    plan_cancel,
    plan_update,
)

# What a draft row does to its session, as the draft page groups them.
MOVED, SCHEDULED, TRAY, CANCELLED = "moved", "scheduled", "tray", "cancelled"


@dataclass(frozen=True)
class Place:
    """Where a session is to be: both times (UTC-aware) or neither (the tray), and a room."""

    start_at: datetime | None
    end_at: datetime | None
    room_id: int | None

    def proposal(self) -> SessionFields:
        return SessionFields(start_at=self.start_at, end_at=self.end_at, room_id=self.room_id)


@dataclass(frozen=True)
class PlaceSaved:
    plan: SessionPlan
    applied: bool  # applied at once (not published, or "apply now"), else kept in the draft
    drafted: int  # rows in the conference's draft afterwards


@dataclass(frozen=True)
class DraftChange:
    """One row of the draft, compared with what is published."""

    draft: TalkDraft
    talk: Talk
    kind: str  # MOVED, SCHEDULED, TRAY or CANCELLED
    plan: SessionPlan
    seat_holders: int
    waiting: int

    @property
    def speakers(self) -> int:
        return len(self.talk.speakers)


@dataclass(frozen=True)
class Released:
    saved: tuple[schedule.SessionSaved, ...]
    told: frozenset[str]  # the addresses told about the sessions (each once per session)
    span_told: frozenset[str] = frozenset()  # attendees told the conference's times moved

    @property
    def sessions(self) -> int:
        return len(self.saved)


# --- checking -----------------------------------------------------------------------------


def check_place(talk: Talk, place: Place) -> SessionPlan:
    """What putting ``talk`` at ``place`` would do, by planning it (reads only): refusals
    (a clash, outside the dates or a speaker's availability, a bad time) are in
    ``plan.errors``. In a published conference the plan sees the schedule as the draft
    leaves it: the other sessions at their draft places, those to be cancelled gone."""
    conference = talk.conference
    others = [row for row in _rows(conference.id) if row.talk_id != talk.id]
    if not conference.published or not others:
        return plan_update(talk, place.proposal())
    # The planner itself, with the draft's view of the other sessions: every rule it
    # checks stays in changes.py.
    return plan_update(talk, place.proposal(), facts=_DraftFacts(others))


class _DraftFacts(changes.ConferenceFacts):
    """The conference's facts, with the other sessions where the draft puts them."""

    def __init__(self, rows: list[TalkDraft]):
        super().__init__(rows[0].talk.conference)
        self._rows = rows
        self._drafted = {row.talk_id for row in rows}

    def overlapping(self, talk_id: int | None, after: SessionValues) -> list[conflicts.Slot]:
        found = [
            slot for slot in super().overlapping(talk_id, after) if slot.id not in self._drafted
        ]
        start, end = after.start_at, after.end_at
        if start is None or end is None:
            return found
        for row in self._rows:
            if row.cancel or row.start_at is None or row.end_at is None:
                continue
            if row.talk_id == talk_id or row.talk.status != "scheduled":
                continue
            if row.start_at < end and row.end_at > start:
                speakers = frozenset(speaker.id for speaker in row.talk.speakers)
                found.append(
                    conflicts.Slot(
                        row.talk_id, row.talk.title, row.start_at, row.end_at, row.room_id, speakers
                    )
                )
        return found


# --- saving -------------------------------------------------------------------------------


def save_place(actor: audit.Actor, talk: Talk, place: Place) -> PlaceSaved:
    """Put a session at ``place``: at once while the conference is not published (nobody
    holds an invite), else into the draft. Refusals raise ``Invalid`` / ``Conflict``."""
    conference = talk.conference
    if not conference.published:
        saved = schedule.update_session(actor, talk, place.proposal())
        return PlaceSaved(saved.plan, applied=True, drafted=0)
    talk_id = talk.id
    with write_transaction(), registration.conference_write(conference.id) as conference:
        talk = registration.locked_talk(talk_id)
        plan = check_place(talk, place)
        _raise(plan)
        if not plan.changes:  # back where it is published: nothing left to release
            row = db.session.get(TalkDraft, talk_id)
            if row is not None:
                db.session.delete(row)
        else:
            row = _draft_row(conference, talk_id)
            row.start_at, row.end_at, row.room_id = place.start_at, place.end_at, place.room_id
            row.cancel = False
            row.user_id = _user_id(actor)
        audit.log(
            actor,
            "schedule.draft_saved",
            talk,
            conference_id=conference.id,
            summary=talk.title,
            after={"draft": [str(change) for change in plan.changes]},
        )
        db.session.flush()
        drafted = _count(conference.id)
    return PlaceSaved(plan, applied=False, drafted=drafted)


def _draft_row(conference: Conference, talk_id: int) -> TalkDraft:
    """The session's draft row, new if it has none yet (the caller sets what it says)."""
    row = db.session.get(TalkDraft, talk_id)
    if row is None:
        row = TalkDraft(talk_id=talk_id, conference_id=conference.id)
        db.session.add(row)
    return row


def draft_cancel(actor: audit.Actor, talk: Talk) -> int:
    """Mark a session to be cancelled when the draft is released. Returns the draft's rows."""
    talk_id = talk.id
    with write_transaction(), registration.conference_write(talk.conference_id) as conference:
        talk = registration.locked_talk(talk_id)
        if talk.cancelled:
            raise Conflict.about(_("“%(title)s” is already cancelled.", title=talk.title))
        row = _draft_row(conference, talk_id)
        row.start_at, row.end_at, row.room_id = talk.start_at, talk.end_at, talk.room_id
        row.cancel = True
        row.user_id = _user_id(actor)
        audit.log(
            actor,
            "schedule.draft_saved",
            talk,
            conference_id=conference.id,
            summary=talk.title,
            after={"draft": "cancel"},
        )
        db.session.flush()
        return _count(conference.id)


# --- reading ------------------------------------------------------------------------------


def draft_rows(conference: Conference) -> list[TalkDraft]:
    return _rows(conference.id)


def draft_changes(conference: Conference) -> list[DraftChange]:
    """Each row of the draft against what is published: what changes and who is affected."""
    rows = _rows(conference.id)
    counts = _signup_counts([row.talk_id for row in rows])
    found = []
    for row in rows:
        talk = row.talk
        if row.cancel:
            plan, kind = plan_cancel(talk), CANCELLED
        else:
            place = Place(row.start_at, row.end_at, row.room_id)
            plan = check_place(talk, place)
            if row.start_at is None:
                kind = TRAY
            elif talk.start_at is None:
                kind = SCHEDULED
            else:
                kind = MOVED
        seats = counts.get(talk.id, {})
        found.append(
            DraftChange(row, talk, kind, plan, seats.get("confirmed", 0), seats.get("waiting", 0))
        )
    return found


def draft_recipients(changes: Sequence[DraftChange]) -> int:
    """How many different people releasing the draft would tell (at most)."""
    return len({email for change in changes for email in change.plan.recipients})


# --- releasing and discarding ---------------------------------------------------------------


def release(actor: audit.Actor, conference: Conference, talk_id: int | None = None) -> Released:
    """Apply the whole draft (or only ``talk_id``'s row: "apply now") in ONE transaction.

    Cancellations first, then the places, each planned again under the lock; a place the
    draft frees only later is tried again once that one is applied. If a row stays refused,
    nothing is applied and ``Conflict`` names the session and the reason. The conference's
    own event, when it moves, is updated once for each attendee at the end."""
    with write_transaction(), registration.conference_write(conference.id) as conference:
        rows = [row for row in _rows(conference.id) if talk_id is None or row.talk_id == talk_id]
        if not rows:
            raise Invalid.about(_("There is nothing in the draft to release."))
        window = conference_window(conference)
        span_moved = False
        saved: list[schedule.SessionSaved] = []
        pending = sorted(rows, key=lambda row: (not row.cancel, row.talk_id))
        while pending:
            refused: dict[str, str] = {}
            left = []
            for row in pending:
                talk = registration.locked_talk(row.talk_id)
                if row.cancel:
                    plan = plan_cancel(talk)
                else:
                    plan = plan_update(
                        talk, Place(row.start_at, row.end_at, row.room_id).proposal()
                    )
                if plan.refused:
                    refused[talk.title] = " ".join(plan.errors.values())
                    left.append(row)
                    continue
                span_moved = span_moved or plan.span_moves
                plan = _without_span_notices(plan)
                apply = schedule.apply_cancel if row.cancel else schedule.apply_update
                saved.append(apply(actor, conference, talk, plan))
                db.session.delete(row)
            if len(left) == len(pending):
                title, reason = next(iter(refused.items()))
                raise Conflict.about(
                    _(
                        "The draft cannot be released: “%(title)s”: %(reason)s",
                        title=title,
                        reason=reason,
                    )
                )
            pending = left
        span_told: frozenset[str] = frozenset()
        if span_moved and conference_window(conference) != window:
            span_told = schedule.tell_span_moved(conference)
        audit.log(
            actor,
            "schedule.draft_released",
            conference,
            conference_id=conference.id,
            summary=", ".join(one.talk.title for one in saved),
        )
        db.session.flush()
    told = frozenset(email for one in saved for email in one.plan.recipients)
    return Released(tuple(saved), told, span_told)


def discard(actor: audit.Actor, conference: Conference, talk_id: int | None = None) -> int:
    """Forget the whole draft (or one session's row); returns the rows discarded."""
    with write_transaction(), registration.conference_write(conference.id) as conference:
        rows = [row for row in _rows(conference.id) if talk_id is None or row.talk_id == talk_id]
        for row in rows:
            db.session.delete(row)
        if rows:
            audit.log(
                actor,
                "schedule.draft_discarded",
                conference,
                conference_id=conference.id,
                summary=", ".join(row.talk.title for row in rows),
            )
        return len(rows)


# --- helpers ------------------------------------------------------------------------------


def _rows(conference_id: int) -> list[TalkDraft]:
    return list(
        db.session.scalars(
            sa.select(TalkDraft)
            .where(TalkDraft.conference_id == conference_id)
            .options(selectinload(TalkDraft.talk).selectinload(Talk.speakers))
            .order_by(TalkDraft.talk_id)
        )
    )


def _count(conference_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(TalkDraft).filter_by(conference_id=conference_id)
        )
        or 0
    )


def _signup_counts(talk_ids: list[int]) -> dict[int, dict[str, int]]:
    if not talk_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(SessionSignup.talk_id, SessionSignup.status, sa.func.count())
        .join(Registration, Registration.id == SessionSignup.registration_id)
        .where(SessionSignup.talk_id.in_(talk_ids), Registration.status != "cancelled")
        .group_by(SessionSignup.talk_id, SessionSignup.status)
    )
    for talk_id, status, number in rows:
        counts.setdefault(talk_id, {})[status] = number
    return counts


def _without_span_notices(plan: SessionPlan) -> SessionPlan:
    """The plan without its update of the conference's own event: the release sends that
    once, at the end, for the span all the changes make together."""
    notices = tuple(n for n in plan.notices if n.kind != "conference_updated")
    return replace(plan, notices=notices, span_moves=False)


def _raise(plan: SessionPlan) -> None:
    refusal = plan.refusal()
    if refusal is not None:
        raise refusal


def _user_id(actor: audit.Actor) -> int | None:
    return None if actor is None or isinstance(actor, str) else actor.id
