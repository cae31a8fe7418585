"""Lay a day's sessions out as a grid of rooms against time, from plain data.

The grid is built from prepared session cards (plain dicts), so the same template can be
rendered from the database or, in benchmarks, from data made in advance.
"""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Cell:
    cards: list[dict]
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Row:
    starts_at: datetime
    # One entry per column: a Cell that starts here, None for an empty slot, or the
    # string "covered" where a cell from an earlier row or column spans over it.
    cells: list = field(default_factory=list)


@dataclass
class Day:
    date: date
    cards: list[dict]
    rows: list[Row]


def build_days(cards: list[dict], room_ids: list[int]) -> list[Day]:
    """Group cards by local day and lay each day out; rooms are columns in the given order.

    Each card needs ``day``, ``start``, ``end`` (aware datetimes) and ``room_id`` (None for
    sessions that concern every room, such as breaks: they span the whole row).
    """
    by_day: dict[date, list[dict]] = {}
    for card in sorted(cards, key=lambda c: (c["start"], c["room_position"], c["id"])):
        by_day.setdefault(card["day"], []).append(card)
    return [Day(day, day_cards, _rows(day_cards, room_ids)) for day, day_cards in by_day.items()]


def _rows(cards: list[dict], room_ids: list[int]) -> list[Row]:
    boundaries = sorted({c["start"] for c in cards} | {c["end"] for c in cards})
    index = {instant: i for i, instant in enumerate(boundaries)}
    column = {room_id: i for i, room_id in enumerate(room_ids)}
    width = max(len(room_ids), 1)
    rows = [Row(starts_at=instant, cells=[None] * width) for instant in boundaries[:-1]]
    owner: dict[tuple[int, int], Cell] = {}

    for card in cards:
        first, last = index[card["start"]], index[card["end"]]
        if card["room_id"] in column:
            columns = [column[card["room_id"]]]
        else:
            columns = list(range(width))
        spots = [(r, c) for r in range(first, last) for c in columns]
        if all(rows[r].cells[c] is None for r, c in spots):
            cell = Cell([card], rowspan=last - first, colspan=len(columns))
            for r, c in spots:
                rows[r].cells[c] = "covered"
                owner[r, c] = cell
            rows[first].cells[columns[0]] = cell
        else:
            # Overlapping sessions in one room (a clash): never hide one, stack it instead.
            taken = next((r, c) for r, c in spots if rows[r].cells[c] is not None)
            owner[taken].cards.append(card)
    return rows
