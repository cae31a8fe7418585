"""Read calendars with three independent parsers and check they agree.

icalendar wrote the data, so it proves little on its own: vobject and Mozilla's ical.js
(the parser Thunderbird uses, run under node) must read the same UTC instants.
"""

import json
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import vobject

ICALJS_SCRIPT = Path(__file__).with_name("icaljs_events.mjs")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    sequence: int
    status: str
    start: datetime
    end: datetime
    summary: str = ""
    # The RFC 7986 CONFERENCE URI (the online join link), or None.
    conference: str | None = None


def _utc(value: datetime) -> datetime:
    assert isinstance(value, datetime), f"{value!r} is a date, not a point in time"
    assert value.tzinfo is not None, f"{value!r} is floating"
    return value.astimezone(UTC)


def with_icalendar(data: bytes) -> tuple[str | None, list[ParsedEvent]]:
    calendar = icalendar.Calendar.from_ical(data)
    events = [
        ParsedEvent(
            uid=str(event["UID"]),
            sequence=int(event.get("SEQUENCE", 0)),
            status=str(event.get("STATUS", "")),
            start=_utc(event.decoded("DTSTART")),
            end=_utc(event.decoded("DTEND")),
            summary=str(event.get("SUMMARY", "")),
            conference=str(event["CONFERENCE"]) if "CONFERENCE" in event else None,
        )
        for event in calendar.walk("VEVENT")
    ]
    method = calendar.get("METHOD")
    return (str(method) if method else None), events


def with_vobject(data: bytes) -> tuple[str | None, list[ParsedEvent]]:
    calendar = vobject.readOne(data.decode("utf-8"))
    events = [
        ParsedEvent(
            uid=event.uid.value,
            sequence=int(event.sequence.value) if hasattr(event, "sequence") else 0,
            status=event.status.value if hasattr(event, "status") else "",
            start=_utc(event.dtstart.value),
            end=_utc(event.dtend.value),
            summary=event.summary.value if hasattr(event, "summary") else "",
            conference=event.conference.value if hasattr(event, "conference") else None,
        )
        for event in calendar.contents.get("vevent", [])
    ]
    method = calendar.method.value if hasattr(calendar, "method") else None
    return method, events


def with_icaljs(data: bytes) -> tuple[str | None, list[ParsedEvent]]:
    result = subprocess.run(
        ["node", str(ICALJS_SCRIPT)], input=data, capture_output=True, cwd=ROOT, check=True
    )
    parsed = json.loads(result.stdout)
    events = []
    for event in parsed["events"]:
        assert not event["floating"], f"ical.js reads {event['uid']} as floating"
        events.append(
            ParsedEvent(
                uid=event["uid"],
                sequence=event["sequence"],
                status=event["status"] or "",
                start=datetime.fromisoformat(event["start"]),
                end=datetime.fromisoformat(event["end"]),
                summary=event["summary"] or "",
                conference=event["conference"],
            )
        )
    return parsed["method"], events


def icaljs_names(data: bytes) -> dict[str, str | None]:
    """The calendar's NAME, X-WR-CALNAME and X-WR-CALDESC as ical.js reads them."""
    result = subprocess.run(
        ["node", str(ICALJS_SCRIPT)], input=data, capture_output=True, cwd=ROOT, check=True
    )
    return json.loads(result.stdout)["names"]  # type: ignore[no-any-return]


def check_wire_format(data: bytes) -> None:
    """CRLF line ends only, and no line longer than 75 octets (RFC 5545, 3.1)."""
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "a bare LF in the calendar"
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"unfolded line of {len(line)} octets: {line!r}"


def parse_agreed(data: bytes) -> tuple[str | None, dict[str, ParsedEvent]]:
    """The METHOD and events by UID, after checking that all three parsers agree."""
    check_wire_format(data)
    readings = [with_icalendar(data), with_vobject(data), with_icaljs(data)]
    methods = {method for method, _ in readings}
    assert len(methods) == 1, f"parsers disagree on METHOD: {methods}"
    by_uid = [{event.uid: event for event in events} for _, events in readings]
    assert by_uid[0] == by_uid[1] == by_uid[2], f"parsers disagree: {by_uid}"
    return methods.pop(), by_uid[0]
