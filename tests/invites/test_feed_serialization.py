"""Feed events are written by a fast path that must match the icalendar library byte for byte."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from eventreg.invites.ical import CalendarEvent, event_component, feed, feed_event

BASE = CalendarEvent(
    uid="0b7e1c7a-3f4e-4c1e-9a55-5c2d4e7f9a10@eventreg",
    sequence=3,
    stamp=datetime(2027, 3, 1, 8, 15, 30, 123456, tzinfo=UTC),
    start=datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
    end=datetime(2027, 3, 28, 2, 30, tzinfo=UTC),
    summary="Opening",
    location="Sala Verdi, Palazzo dei Congressi, Roma",
    description="An abstract.\n\nSpeakers: Giulia Rossi",
    url="https://example.org/c/expo/sessions/4",
    organizer_name="Expo Team",
    organizer_email="team@example.org",
)

# Anything people type: accents, CJK, emoji, the characters iCalendar escapes, long lines.
words = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=300
)


def library_bytes(event: CalendarEvent) -> bytes:
    return event_component(event).to_ical()


@given(
    summary=words,
    location=words,
    description=words,
    organizer_name=words,
    online_label=words,
    url=st.sampled_from(["", "https://example.org/a?b=1,2;c", "https://例え.jp/" + "x" * 90]),
    online_url=st.sampled_from(["", "https://meet.example.org/room,1", "https://v.example/" * 6]),
    cancelled=st.booleans(),
    tentative=st.booleans(),
    sequence=st.integers(min_value=0, max_value=10**6),
)
def test_a_feed_event_is_what_the_library_writes(**fields):
    event = replace(BASE, **fields)
    assert feed_event(event) == library_bytes(event)


def test_an_event_with_an_alarm_goes_through_the_library():
    event = replace(BASE, alarm_before=timedelta(minutes=15))
    assert feed_event(event) == library_bytes(event)
    assert b"BEGIN:VALARM" in feed_event(event)


def test_a_feed_puts_the_events_where_the_library_puts_subcomponents():
    from icalendar import Calendar

    events = [BASE, replace(BASE, uid="second@eventreg", summary="Closing, with; marks")]
    body = feed(
        [feed_event(event) for event in events],
        name="Expo, 2027; Rome",
        description="The programme",
        uid="feed@eventreg",
        refresh=timedelta(hours=1),
    )
    parsed = Calendar.from_ical(body)
    assert [str(e["SUMMARY"]) for e in parsed.walk("VEVENT")] == [
        "Opening",
        "Closing, with; marks",
    ]
    assert body.endswith(b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert str(parsed["X-WR-CALNAME"]) == "Expo, 2027; Rome"


def test_lines_around_the_folding_limit_fold_as_the_library_folds():
    # Every length around 75 octets, in one- and several-byte characters, and escapes
    # (a backslash pair is never split) falling on the boundary.
    for length in range(55, 160):
        for text in ("x" * length, "é" * (length // 2), "中" * (length // 3), "a\\," * length):
            event = replace(BASE, summary=text, location=text[:length], description=text)
            assert feed_event(event) == library_bytes(event), (length, text)
