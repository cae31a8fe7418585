"""Scheduling conflicts, decided from plain data: which sessions cannot share their time.

Two sessions clash when their times overlap and they are in the same room or share a
speaker. Cancelled and unscheduled sessions clash with nothing. The functions take plain
``Slot`` values, so the same rules serve the save check (one session against the others)
and the schedule overview (every pair at once).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Slot:
    id: int | None  # None for a session not yet saved
    title: str
    start: datetime
    end: datetime
    room_id: int | None
    speaker_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Clash:
    kind: str  # "room" or "speaker"
    other: Slot
    speaker_ids: frozenset[int] = frozenset()


def overlaps(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


def clashes_with(slot: Slot, others: list[Slot]) -> list[Clash]:
    """What stands in the way of ``slot``: one entry per other session and reason."""
    found = []
    for other in others:
        if other.id is not None and other.id == slot.id:
            continue
        if not overlaps(slot, other):
            continue
        if slot.room_id is not None and slot.room_id == other.room_id:
            found.append(Clash("room", other))
        shared = slot.speaker_ids & other.speaker_ids
        if shared:
            found.append(Clash("speaker", other, frozenset(shared)))
    return found


def all_clashes(slots: list[Slot]) -> dict[int, list[Clash]]:
    """For the overview: every session id with the clashes it is part of."""
    ordered = sorted(slots, key=lambda s: (s.start, s.id or 0))
    found: dict[int, list[Clash]] = {}
    for index, slot in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if later.start >= slot.end:
                break
            # The overview lays out saved sessions, which have ids.
            slot_id, later_id = cast(int, slot.id), cast(int, later.id)
            for clash in clashes_with(slot, [later]):
                found.setdefault(slot_id, []).append(clash)
                found.setdefault(later_id, []).append(Clash(clash.kind, slot, clash.speaker_ids))
    return found


def outside_dates(start: datetime, end: datetime, first: date, last: date, tz: ZoneInfo) -> bool:
    """Whether the session leaves the conference's days (on its own wall clock).

    A session ending exactly at midnight still belongs to the day before.
    """
    local_start = start.astimezone(tz)
    local_end = (end - timedelta(microseconds=1)).astimezone(tz)
    return local_start.date() < first or local_end.date() > last
