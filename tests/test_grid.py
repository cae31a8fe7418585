"""The schedule grid layout, from plain session cards: spans, breaks and clashes."""

from datetime import UTC, date, datetime, timedelta

from eventreg.schedule.grid import COVERED, Cell, SessionCard, build_days

DAY = date(2031, 5, 6)
HALL, PEARL, LAB = 11, 12, 13
ROOMS = [HALL, PEARL, LAB]
POSITIONS = {HALL: 0, PEARL: 1, LAB: 2, None: -1}
_ids = iter(range(1, 1000))


def card(start: str, end: str, room: int | None, day: date = DAY, title: str = "") -> SessionCard:
    def instant(hh_mm: str) -> datetime:
        hours, minutes = map(int, hh_mm.split(":"))
        return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=UTC)

    card_id = next(_ids)
    return SessionCard(
        id=card_id,
        title=title or f"card {card_id}",
        kind="talk",
        cancelled=False,
        url=f"/sessions/{card_id}",
        start=instant(start),
        end=instant(end),
        day=day,
        start_label=start,
        end_label=end,
        time_label=f"{start}–{end} UTC (UTC)",
        room_id=room,
        room="",
        room_position=POSITIONS[room],
        track_id=None,
        track="",
        speakers="",
    )


def layout(cards: list[SessionCard]) -> list[list]:
    """Each row as a list: card titles for a cell starting there, "" for empty, COVERED."""
    (day,) = build_days(cards, ROOMS)
    return [
        [
            [c.title for c in cell.cards] if isinstance(cell, Cell) else (cell or "")
            for cell in row.cells
        ]
        for row in day.rows
    ]


def cell_of(cards: list[SessionCard], title: str) -> Cell:
    (day,) = build_days(cards, ROOMS)
    for row in day.rows:
        for cell in row.cells:
            if isinstance(cell, Cell) and title in [c.title for c in cell.cards]:
                return cell
    raise AssertionError(f"no cell holds {title}")


def test_rows_start_at_every_start_and_end_and_long_sessions_span_them():
    cards = [
        card("09:00", "10:00", HALL, title="long"),
        card("09:00", "09:30", PEARL, title="short"),
        card("09:30", "10:00", PEARL, title="next"),
    ]

    (day,) = build_days(cards, ROOMS)

    assert [row.starts_at.strftime("%H:%M") for row in day.rows] == ["09:00", "09:30"]
    assert layout(cards) == [
        [["long"], ["short"], ""],
        [COVERED, ["next"], ""],
    ]
    assert cell_of(cards, "long").rowspan == 2
    assert cell_of(cards, "short").rowspan == 1


def test_a_session_without_a_room_spans_every_room():
    cards = [
        card("10:00", "10:30", None, title="coffee"),
        card("10:30", "11:00", LAB, title="after"),
    ]

    coffee = cell_of(cards, "coffee")

    assert (coffee.colspan, coffee.rowspan) == (3, 1)
    assert layout(cards) == [
        [["coffee"], COVERED, COVERED],
        ["", "", ["after"]],
    ]


def test_a_long_break_spans_all_rooms_and_several_rows():
    cards = [
        card("12:00", "13:30", None, title="lunch"),
        card("12:00", "12:30", HALL, title="clashing talk"),  # sorted after the room-less break
        card("13:00", "13:30", PEARL, title="late"),
    ]
    # The break starts first among equals (no room sorts before rooms), so the talk that
    # overlaps it is stacked into the break's cell instead of being dropped.
    lunch = cell_of(cards, "lunch")

    assert [c.title for c in lunch.cards] == ["lunch", "clashing talk", "late"]
    assert (lunch.colspan, lunch.rowspan) == (3, 3)


def test_clashing_sessions_in_one_room_are_stacked_not_hidden():
    cards = [
        card("14:00", "15:00", HALL, title="first"),
        card("14:15", "14:45", HALL, title="double-booked"),
    ]

    assert layout(cards) == [
        [["first", "double-booked"], "", ""],
        [COVERED, "", ""],
        [COVERED, "", ""],
    ]


def test_a_clash_that_runs_longer_stretches_the_cell_over_free_rows():
    cards = [
        card("14:00", "15:00", HALL, title="first"),
        card("14:30", "15:30", HALL, title="overrun"),
        card("15:00", "15:30", PEARL, title="neighbour"),
    ]

    first = cell_of(cards, "first")

    assert [c.title for c in first.cards] == ["first", "overrun"]
    assert first.rowspan == 3  # 14:00, 14:30 and 15:00: down to the overrun's end
    assert layout(cards)[2] == [COVERED, ["neighbour"], ""]


def test_cards_are_grouped_by_their_local_day_in_time_order():
    tomorrow = DAY + timedelta(days=1)
    cards = [
        card("09:00", "10:00", HALL, day=tomorrow, title="day two"),
        card("11:00", "12:00", PEARL, title="day one late"),
        card("09:00", "10:00", PEARL, title="day one early, second room"),
        card("09:00", "10:00", HALL, title="day one early, first room"),
    ]

    days = build_days(cards, ROOMS)

    assert [day.date for day in days] == [DAY, tomorrow]
    assert [c.title for c in days[0].cards] == [
        "day one early, first room",
        "day one early, second room",
        "day one late",
    ]
    assert [c.title for c in days[1].cards] == ["day two"]


def test_a_conference_without_rooms_still_gets_one_column():
    cards = [card("09:00", "10:00", None, title="plenary")]

    (day,) = build_days(cards, [])

    assert len(day.rows[0].cells) == 1
    assert day.rows[0].cells[0].cards[0].title == "plenary"


def test_no_cards_no_days():
    assert build_days([], ROOMS) == []


def test_rooms_without_a_session_that_day_can_be_left_out():
    tomorrow = DAY + timedelta(days=1)
    cards = [
        card("09:00", "10:00", HALL, title="hall"),
        card("09:00", "10:00", LAB, title="lab"),
        card("10:00", "10:30", None, title="coffee"),
        card("09:00", "10:00", PEARL, day=tomorrow, title="pearl tomorrow"),
    ]

    first, second = build_days(cards, ROOMS, leave_out_empty_rooms=True)

    assert (first.room_ids, second.room_ids) == ([HALL, LAB], [PEARL])
    assert [
        [c.title for c in cell.cards] if isinstance(cell, Cell) else cell
        for cell in first.rows[0].cells
    ] == [["hall"], ["lab"]]
    assert cell_of(cards[:3], "coffee").colspan == 3  # by default every room is a column
    coffee = first.rows[1].cells[0]
    assert isinstance(coffee, Cell) and coffee.colspan == 2


def test_every_room_stays_a_column_unless_asked():
    (day,) = build_days([card("09:00", "10:00", PEARL)], ROOMS)
    assert day.room_ids == ROOMS and len(day.rows[0].cells) == 3
