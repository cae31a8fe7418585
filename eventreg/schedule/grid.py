"""Lay a day's sessions out as a grid of rooms against time, from plain data.

The grid is built from prepared session cards (plain objects, not database rows), so the
same template can be rendered from the database or, in benchmarks, from data made in advance.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

# Marks a grid slot that a cell from an earlier row or column spans over (no <td> there).
COVERED = "covered"


@dataclass(slots=True)
class SessionCard:
    """What the schedule shows of one session, every label already formatted.

    Slots keep attribute reads cheap: a large schedule reads a dozen fields of each of
    thousands of cards while rendering.
    """

    id: int
    title: str  # in the reader's language (else the main one)
    kind: str
    cancelled: bool
    url: str
    start: datetime
    end: datetime
    day: date  # in the conference's time zone
    start_label: str
    end_label: str
    time_label: str  # the range with the zone named, e.g. "09:30–10:15 CST (Asia/Shanghai)"
    room_id: int | None
    room: str
    room_position: int  # -1 for a session that concerns every room
    track_id: int | None
    track: str
    speakers: str  # their names, comma-separated
    # The language ``title`` is in, when not the page's (for its ``lang`` mark), else None.
    title_lang: str | None = None
    # The languages it is given in, and whether interpretation is offered.
    languages: tuple[str, ...] = ()
    interpretation: bool = False
    # The languages one can follow it in (the language filter's test).
    heard_in: tuple[str, ...] = ()


@dataclass
class Cell:
    cards: list[SessionCard]
    row: int
    columns: list[int]
    rowspan: int = 1

    @property
    def colspan(self) -> int:
        return len(self.columns)


@dataclass
class Row:
    starts_at: datetime
    # One entry per column: a Cell that starts here, None for an empty slot, or COVERED.
    cells: list[Cell | str | None] = field(default_factory=list)


@dataclass
class Day:
    date: date
    cards: list[SessionCard]
    rows: list[Row]
    room_ids: list[int]  # the day's columns, in order


def build_days(
    cards: list[SessionCard], room_ids: list[int], *, leave_out_empty_rooms: bool = False
) -> list[Day]:
    """Group cards by local day and lay each day out; rooms are columns in the given order.

    The layout reads ``id``, ``day``, ``start``, ``end``, ``room_id`` and ``room_position``
    of each card. A card with no room (or a room not in ``room_ids``), such as a break,
    concerns everyone and spans the whole row. With ``leave_out_empty_rooms`` a day's
    columns are only the rooms that have a session that day (readers of the public
    schedule need no empty column; organizers placing sessions do).
    """
    by_day: dict[date, list[SessionCard]] = {}
    for card in sorted(cards, key=lambda c: (c.start, c.room_position, c.id)):
        by_day.setdefault(card.day, []).append(card)
    days = []
    for day, day_cards in by_day.items():
        columns = room_ids
        if leave_out_empty_rooms:
            used = {card.room_id for card in day_cards}
            columns = [room_id for room_id in room_ids if room_id in used]
        days.append(Day(day, day_cards, _rows(day_cards, columns), columns))
    return days


def _rows(cards: list[SessionCard], room_ids: list[int]) -> list[Row]:
    boundaries = sorted({c.start for c in cards} | {c.end for c in cards})
    index = {instant: i for i, instant in enumerate(boundaries)}
    # Looked up by each card's room, which may be none.
    column: dict[int | None, int] = {room_id: i for i, room_id in enumerate(room_ids)}
    width = max(len(room_ids), 1)
    all_columns = list(range(width))
    rows = [Row(starts_at=instant, cells=[None] * width) for instant in boundaries[:-1]]
    owner: dict[tuple[int, int], Cell] = {}

    for card in cards:
        first, last = index[card.start], index[card.end]
        room = column.get(card.room_id)
        columns = all_columns if room is None else [room]
        taken = _first_taken(rows, first, last, columns)
        if taken is None:
            cell = Cell([card], row=first, columns=columns, rowspan=last - first)
            for r in range(first, last):
                for c in columns:
                    rows[r].cells[c] = COVERED
                    owner[r, c] = cell
            rows[first].cells[columns[0]] = cell
        else:
            # Overlapping sessions in one room (a clash): never hide one, stack it instead.
            cell = owner[taken]
            cell.cards.append(card)
            _extend_down(cell, until=last, rows=rows, owner=owner)
    return rows


def _first_taken(
    rows: list[Row], first: int, last: int, columns: list[int]
) -> tuple[int, int] | None:
    for r in range(first, last):
        cells = rows[r].cells
        for c in columns:
            if cells[c] is not None:
                return r, c
    return None


def _extend_down(
    cell: Cell, until: int, rows: list[Row], owner: dict[tuple[int, int], Cell]
) -> None:
    """Let a cell grow over the free rows below it, up to row ``until`` (exclusive)."""
    below = cell.row + cell.rowspan
    while below < until and all(rows[below].cells[c] is None for c in cell.columns):
        for c in cell.columns:
            rows[below].cells[c] = COVERED
            owner[below, c] = cell
        cell.rowspan += 1
        below += 1
