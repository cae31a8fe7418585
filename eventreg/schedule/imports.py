"""Importing a programme: sessions, speakers, rooms and tracks from a CSV file or from a
frab schedule (``schedule.xml`` / ``schedule.json``, as frab, pretalx and our own export
publish it).

Three steps:

1. :func:`parse_upload` reads the file into :class:`ImportRow` values, each with its row
   number (CSV: as a spreadsheet numbers it, the header being row 1; frab: the event's
   place in the file) and what could not be read in it. A file that is not one of the
   formats at all, too large or too long is :class:`FileRefused`. Pure: no database.
2. :func:`plan_import` says what the import would create, reading only: rooms and tracks
   matched by name (case aside) or new, speakers matched by e-mail address, then by name,
   or new, and each session planned by the schedule's own planner
   (:func:`eventreg.schedule.changes.plan_create`) against the existing sessions and the
   file's earlier rows, so that the refusals (end before start, outside the conference's
   days, a room or a speaker taken twice) are the rules of every other path.
3. :func:`import_programme` plans again under the conference's lock and creates
   everything in one transaction with one audit entry, or nothing when a row is refused
   (:class:`ImportRefused`, carrying the new plan).

Nobody is mailed: nobody holds a seat in a new session, and speakers are sent their
invites afterwards (``flask invite-speakers``), as after the demo loader.
"""

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from lxml import etree

from eventreg.conferences.models import (
    COLOR_PATTERN,
    TALK_KINDS,
    Conference,
    Room,
    Speaker,
    Talk,
    Track,
)
from eventreg.conferences.rules import content_languages
from eventreg.core import audit
from eventreg.core.db import write_transaction
from eventreg.core.emails import normalise_email
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.spreadsheets import FileRefused, csv_records, decode_text
from eventreg.core.text import has_forbidden_characters
from eventreg.core.timeutil import local_instant
from eventreg.registration import services as registration
from eventreg.schedule.changes import ConferenceFacts, SessionFields, SessionPlan, plan_create
from eventreg.schedule.changes import session_times as clock_times

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
CSV_COLUMNS = (
    "title",
    "kind",
    "day",
    "start",
    "end",
    "duration",
    "room",
    "track",
    "speakers",
    "speaker_emails",
    "abstract",
    "languages",
    "capacity",
)
# The header the template offers (one of end/duration is enough).
TEMPLATE_COLUMNS = tuple(column for column in CSV_COLUMNS if column != "duration")
NAME_MAX = {"room": 120, "track": 120, "speaker": 200}
DEFAULT_TRACK_COLOR = "#5a6b7b"
# frab's free-form event types, as far as we have a kind for them (others are talks).
FRAB_KINDS = {
    "lecture": "talk",
    "talk": "talk",
    "keynote": "keynote",
    "panel": "panel",
    "podium": "panel",
    "workshop": "workshop",
    "break": "break",
    "pause": "break",
    "lunch": "break",
}
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


class ImportRefused(Conflict):
    """Planned again under the lock, some row is refused: nothing was created."""

    def __init__(self, plan: "ImportPlan"):
        super().__init__({"": _("Nothing was imported: some rows are refused.")})
        self.plan = plan


# --- what the file says -------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakerRef:
    name: str
    email: str | None = None  # normalised
    bio: str = ""


@dataclass(frozen=True)
class RoomRef:
    name: str
    seats: int | None = None
    description: str = ""


@dataclass(frozen=True)
class ImportRow:
    number: int
    title: str
    kind: str = "talk"
    start_at: datetime | None = None  # UTC
    end_at: datetime | None = None
    room: str = ""
    track: str = ""
    speakers: tuple[SpeakerRef, ...] = ()
    abstract: str = ""
    languages: tuple[str, ...] = ()
    capacity: int | None = None
    problems: tuple[str, ...] = ()  # what could not be read


@dataclass(frozen=True)
class ParsedFile:
    source: str  # "csv", "xml" or "json"
    rows: tuple[ImportRow, ...]
    rooms: tuple[RoomRef, ...] = ()  # the rooms a frab file lists, sessions or not
    track_colors: Mapping[str, str] = field(default_factory=dict)  # by name

    def row_label(self, number: int) -> str:
        if self.source == "csv":
            return _("Row %(number)d", number=number)  # type: ignore[no-any-return]
        return _("Event %(number)d", number=number)  # type: ignore[no-any-return]


def parse_upload(data: bytes, tz: ZoneInfo) -> ParsedFile:
    """A CSV file or a frab schedule (XML or JSON, told apart by their first character);
    times without an offset are on ``tz``, the conference's clock."""
    if len(data) > MAX_BYTES:
        raise FileRefused(
            _(
                "The file is too large: at most %(size)s MB can be imported at once.",
                size=f"{MAX_BYTES / (1024 * 1024):g}",
            ),
            too_large=True,
        )
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"<"):
        parsed = parse_frab_xml(data, tz)
    elif start.startswith((b"{", b"[")):
        parsed = parse_frab_json(_decode(data), tz)
    else:
        parsed = parse_csv(_decode(data), tz)
    if len(parsed.rows) > MAX_ROWS:
        raise FileRefused(
            _(
                "The file has %(count)d sessions: at most %(max)d can be imported at once.",
                count=len(parsed.rows),
                max=MAX_ROWS,
            )
        )
    return parsed


def _decode(data: bytes) -> str:
    return decode_text(
        data, _("This is not a text file: upload a CSV file (UTF-8) or a frab schedule.")
    )


# --- CSV ------------------------------------------------------------------------------------


def parse_csv(text: str, tz: ZoneInfo) -> ParsedFile:
    rows: list[ImportRow] = []
    header: list[str] | None = None
    for number, record in csv_records(text):
        if header is None:
            header = _header(record)
        elif len(rows) >= MAX_ROWS:  # counted without reading the rest
            rows.append(ImportRow(number, ""))
        else:
            rows.append(_csv_row(number, header, record, tz))
    if header is None:
        raise FileRefused(_("The file is empty."))
    return ParsedFile("csv", tuple(rows))


def _header(record: list[str]) -> list[str]:
    names = [cell.strip().lower().replace(" ", "_") for cell in record]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    if unknown or "title" not in names or len(set(names)) != len(names):
        raise FileRefused(
            _(
                "This is not a programme CSV file: its first row must name the columns "
                "(%(columns)s, with at least “title”); found “%(found)s”.",
                columns=", ".join(CSV_COLUMNS),
                found=", ".join(record)[:200],
            )
        )
    return names


def _csv_row(number: int, header: list[str], record: list[str], tz: ZoneInfo) -> ImportRow:
    problems: list[str] = []
    if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
        problems.append(_("This row has more cells than the header has columns."))
    cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}
    kind = cells.get("kind", "").lower() or "talk"
    if kind not in TALK_KINDS:
        problems.append(
            _(
                "Unknown kind “%(kind)s”: use one of %(kinds)s.",
                kind=cells["kind"],
                kinds=", ".join(TALK_KINDS),
            )
        )
    start_at, end_at = _csv_times(cells, tz, problems)
    speakers = _csv_speakers(cells, problems)
    capacity = None
    if cells.get("capacity"):
        capacity = _whole(cells["capacity"])
        if capacity is None:
            problems.append(
                _("The capacity “%(value)s” is not a whole number.", value=cells["capacity"])
            )
    languages = tuple(
        code.strip().lower()
        for code in re.split(r"[;,]", cells.get("languages", ""))
        if code.strip()
    )
    room, track = cells.get("room", ""), cells.get("track", "")
    _check_name(room, "room", problems)
    _check_name(track, "track", problems)
    return ImportRow(
        number,
        title=cells.get("title", ""),
        kind=kind,
        start_at=start_at,
        end_at=end_at,
        room=room,
        track=track,
        speakers=speakers,
        abstract=cells.get("abstract", ""),
        languages=languages,
        capacity=capacity,
        problems=tuple(problems),
    )


def _csv_times(
    cells: dict[str, str], tz: ZoneInfo, problems: list[str]
) -> tuple[datetime | None, datetime | None]:
    day_text, start_text = cells.get("day", ""), cells.get("start", "")
    end_text, duration_text = cells.get("end", ""), cells.get("duration", "")
    if not (day_text or start_text or end_text or duration_text):
        return None, None  # not scheduled yet
    found = len(problems)
    day = end = None
    with contextlib.suppress(ValueError):
        day = date.fromisoformat(day_text) if len(day_text) == 10 else None
    if day is None:
        problems.append(_("“%(value)s” is not a day: write it as YYYY-MM-DD.", value=day_text))
    clock = _clock(start_text)
    if clock is None:
        problems.append(_("“%(value)s” is not a time: write it as HH:MM.", value=start_text))
    minutes = None
    if end_text:
        end = _clock(end_text)
        if end is None:
            problems.append(_("“%(value)s” is not a time: write it as HH:MM.", value=end_text))
    elif 0 < (_whole(duration_text) or 0) <= 24 * 60:
        minutes = _whole(duration_text)
    elif duration_text:
        problems.append(
            _("The duration “%(value)s” is not a number of minutes.", value=duration_text)
        )
    else:
        problems.append(_("Give the end (HH:MM) or the duration in minutes."))
    if len(problems) > found or day is None or clock is None:
        return None, None
    try:
        start_at, end_at = clock_times(tz, day, clock, end)
    except Invalid as refused:
        problems.extend(refused.errors.values())
        return None, None
    if minutes is not None and start_at is not None:
        end_at = start_at + timedelta(minutes=minutes)  # elapsed time, across a DST change too
    return start_at, end_at


def _whole(text: str) -> int | None:
    """A whole number written in ASCII digits (``"²".isdigit()`` is true, too)."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _clock(text: str) -> time | None:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return time(hours, minutes, seconds)


def _csv_speakers(cells: dict[str, str], problems: list[str]) -> tuple[SpeakerRef, ...]:
    names = [name.strip() for name in cells.get("speakers", "").split(";")]
    emails = [email.strip() for email in cells.get("speaker_emails", "").split(";")]
    while names and not names[-1]:
        names.pop()
    while emails and not emails[-1]:
        emails.pop()
    if len(emails) > len(names):
        problems.append(_("There are more speaker e-mail addresses than speakers."))
        return ()
    speakers = []
    for index, name in enumerate(names):
        email = emails[index] if index < len(emails) else ""
        if not name:
            problems.append(_("A speaker's name is empty."))
            continue
        _check_name(name, "speaker", problems)
        normalised = None
        if email:
            try:
                normalised = normalise_email(email)
            except Invalid as refused:
                problems.extend(f"{email}: {message}" for message in refused.errors.values())
        speakers.append(SpeakerRef(name, normalised))
    return tuple(speakers)


def _check_name(name: str, what: str, problems: list[str]) -> None:
    if not name:
        return
    if has_forbidden_characters(name, multiline=False):
        problems.append(
            _("“%(name)s”: please use a single line without control characters.", name=name[:60])
        )
    elif len(name) > NAME_MAX[what]:
        problems.append(
            _(
                "“%(name)s…” is too long (at most %(max)d characters).",
                name=name[:40],
                max=NAME_MAX[what],
            )
        )


# --- frab -----------------------------------------------------------------------------------


def _not_frab() -> FileRefused:
    return FileRefused(
        _("This file is not a frab schedule (schedule.xml or schedule.json) nor a CSV file.")
    )


def parse_frab_json(text: str, tz: ZoneInfo) -> ParsedFile:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise FileRefused(_("The JSON file cannot be read: %(why)s", why=error)) from None
    try:
        conference = document["schedule"]["conference"]
        days = conference["days"]
        if not isinstance(days, list):
            raise TypeError
        zone = _zone(conference.get("time_zone_name"), tz)
        rooms = [
            RoomRef(
                _text(room.get("name")),
                room.get("capacity") if _is_count(room.get("capacity")) else None,
                _text(room.get("description"))[:300],
            )
            for room in conference.get("rooms") or []
        ]
        colors = {
            _text(track.get("name")): _text(track.get("color"))
            for track in conference.get("tracks") or []
        }
        events = [
            (event, room_name)
            for day in days
            for room_name, room_events in (day.get("rooms") or {}).items()
            for event in room_events
        ]
        rows = tuple(
            _json_event(number, event, room_name, zone)
            for number, (event, room_name) in enumerate(events, start=1)
        )
    except (KeyError, TypeError, AttributeError):
        raise _not_frab() from None
    return ParsedFile("json", rows, tuple(r for r in rooms if r.name), colors)


def _json_event(number: int, event: dict[str, Any], room_name: str, tz: ZoneInfo) -> ImportRow:
    persons = []
    for person in event.get("persons") or []:
        name = _text(person.get("name") or person.get("public_name"))
        if name:
            persons.append(SpeakerRef(name, None, _text(person.get("biography"))))
    return _frab_row(
        number,
        tz,
        title=_text(event.get("title")),
        when=_text(event.get("date")),
        duration=_text(event.get("duration")),
        room=_text(event.get("room")) or room_name,
        track=_text(event.get("track")),
        kind=_text(event.get("type")),
        language=_text(event.get("language")),
        abstract=_text(event.get("abstract")),
        description=_text(event.get("description")),
        persons=persons,
    )


def parse_frab_xml(data: bytes, tz: ZoneInfo) -> ParsedFile:
    """Read safely: no DTD, no entities, nothing fetched from the network."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise FileRefused(_("The XML file cannot be read: %(why)s", why=error)) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise FileRefused(_("XML files with a document type (DTD) are not accepted."))
    if root.tag != "schedule":
        raise _not_frab()
    zone = _zone(root.findtext("conference/time_zone_name"), tz)
    colors = {
        _text(track.get("name")): _text(track.get("color"))
        for track in root.iterfind("conference/track")
    }
    rooms: dict[str, RoomRef] = {}
    rows: list[ImportRow] = []
    for day in root.iterfind("day"):
        for room in day.iterfind("room"):
            room_name = _text(room.get("name"))
            if room_name:
                rooms.setdefault(room_name, RoomRef(room_name))
            for event in room.iterfind("event"):
                rows.append(_xml_event(len(rows) + 1, event, room_name, day.get("date"), zone))
    return ParsedFile("xml", tuple(rows), tuple(rooms.values()), colors)


def _xml_event(number: int, event: Any, room_name: str, day: str | None, tz: ZoneInfo) -> ImportRow:
    when = _text(event.findtext("date"))
    if not when and day and event.findtext("start"):
        when = f"{day}T{_text(event.findtext('start'))}"
    return _frab_row(
        number,
        tz,
        title=_text(event.findtext("title")),
        when=when,
        duration=_text(event.findtext("duration")),
        room=_text(event.findtext("room")) or room_name,
        track=_text(event.findtext("track")),
        kind=_text(event.findtext("type")),
        language=_text(event.findtext("language")),
        abstract=_text(event.findtext("abstract")),
        description=_text(event.findtext("description")),
        persons=[
            SpeakerRef(_text(person.text))
            for person in event.iterfind("persons/person")
            if _text(person.text)
        ],
    )


def _frab_row(
    number: int,
    tz: ZoneInfo,
    *,
    title: str,
    when: str,
    duration: str,
    room: str,
    track: str,
    kind: str,
    language: str,
    abstract: str,
    description: str,
    persons: list[SpeakerRef],
) -> ImportRow:
    problems: list[str] = []
    start_at = end_at = None
    try:
        start = datetime.fromisoformat(when)
    except ValueError:
        problems.append(_("“%(value)s” is not a date and time.", value=when))
    else:
        if start.utcoffset() is None:
            start = local_instant(start.date(), start.time(), tz)
        length = _duration(duration)
        if length is None:
            problems.append(_("“%(value)s” is not a duration (HH:MM).", value=duration))
        else:
            start_at, end_at = start.astimezone(UTC), (start + length).astimezone(UTC)
    _check_name(room, "room", problems)
    _check_name(track, "track", problems)
    for person in persons:
        _check_name(person.name, "speaker", problems)
    text = abstract or description
    if abstract and description and description.strip() != abstract.strip():
        text = f"{abstract}\n\n{description}"
    code = language.strip().lower()
    return ImportRow(
        number,
        title=title,
        kind=FRAB_KINDS.get(kind.strip().lower(), "talk"),
        start_at=start_at,
        end_at=end_at,
        room=room,
        track=track,
        speakers=tuple(persons),
        abstract=text,
        # Languages the site does not offer are left out (frab names any language).
        languages=(code,) if code in content_languages() else (),
        problems=tuple(problems),
    )


def _duration(text: str) -> timedelta | None:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    length = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return length if length > timedelta(0) else None


def _zone(name: object, default: ZoneInfo) -> ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31 - 1


# --- the plan -------------------------------------------------------------------------------


@dataclass
class Part:
    """A room, track or speaker the import uses: an existing one (its id) or a new one (a
    negative stand-in id until it is created)."""

    id: int
    name: str
    existing: bool
    email: str | None = None
    bio: str = ""
    seats: int | None = None
    description: str = ""
    color: str = DEFAULT_TRACK_COLOR


@dataclass(frozen=True)
class PlannedSession:
    row: ImportRow
    label: str  # "Row 5", "Event 5"
    room: Part | None
    track: Part | None
    speakers: tuple[Part, ...]
    plan: SessionPlan | None  # None when the row could not be read
    problems: tuple[str, ...]

    @property
    def refused(self) -> bool:
        return bool(self.problems)


@dataclass(frozen=True)
class ImportPlan:
    source: str
    rooms: tuple[Part, ...]
    tracks: tuple[Part, ...]
    speakers: tuple[Part, ...]
    sessions: tuple[PlannedSession, ...]

    @property
    def refused(self) -> tuple[PlannedSession, ...]:
        return tuple(session for session in self.sessions if session.refused)

    def new(self, what: str) -> tuple[Part, ...]:
        parts: tuple[Part, ...] = getattr(self, what)
        return tuple(part for part in parts if not part.existing)

    def summary(self) -> str:
        """``3 rooms, 5 speakers, 20 sessions`` (what is created)."""
        return ", ".join(
            (
                ngettext("%(num)d room", "%(num)d rooms", len(self.new("rooms"))),
                ngettext("%(num)d track", "%(num)d tracks", len(self.new("tracks"))),
                ngettext("%(num)d speaker", "%(num)d speakers", len(self.new("speakers"))),
                ngettext("%(num)d session", "%(num)d sessions", len(self.sessions)),
            )
        )


class _ImportFacts(ConferenceFacts):
    """The conference's facts, plus the rooms, tracks and speakers the import would add,
    as unsaved objects under their negative stand-in ids (never added to the session)."""

    def __init__(
        self,
        conference: Conference,
        rooms: Iterable[Part],
        tracks: Iterable[Part],
        speakers: Iterable[Part],
    ):
        super().__init__(conference, in_memory=True)
        self._new_rooms = {p.id: Room(id=p.id, name=p.name) for p in rooms if not p.existing}
        self._new_tracks = {p.id: Track(id=p.id, name=p.name) for p in tracks if not p.existing}
        self._new_speakers = {
            p.id: Speaker(id=p.id, name=p.name, email=p.email) for p in speakers if not p.existing
        }

    def room(self, room_id: object) -> Room | None:
        if isinstance(room_id, int) and room_id in self._new_rooms:
            return self._new_rooms[room_id]
        return super().room(room_id)

    def track(self, track_id: object) -> Track | None:
        if isinstance(track_id, int) and track_id in self._new_tracks:
            return self._new_tracks[track_id]
        return super().track(track_id)

    def speakers(self, ids: Iterable[object]) -> list[Speaker]:
        ids = list(ids)
        new = [self._new_speakers[i] for i in ids if isinstance(i, int) and i in self._new_speakers]
        return sorted([*super().speakers(ids), *new], key=lambda s: (s.name, s.id))


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Parts:
    """Rooms, tracks and speakers by name, the existing ones first."""

    def __init__(self, conference: Conference, parsed: ParsedFile):
        self._next = -1
        self.rooms: dict[str, Part] = {}
        self.tracks: dict[str, Part] = {}
        self.speakers: list[Part] = []
        self._rooms = {_key(r.name): r for r in _of(conference, Room)}
        self._tracks = {_key(t.name): t for t in _of(conference, Track)}
        existing = _of(conference, Speaker)
        self._by_email = {s.email.casefold(): s for s in existing if s.email}
        self._by_name = {_key(s.name): s for s in existing}
        self._colors = {_key(name): color for name, color in parsed.track_colors.items()}
        self._made: dict[int, Part] = {}  # existing speakers used, by id

    def _stand_in(self) -> int:
        self._next -= 1
        return self._next + 1

    def room(self, name: str, info: RoomRef | None = None) -> Part | None:
        if not name:
            return None
        key = _key(name)
        if key not in self.rooms:
            room = self._rooms.get(key)
            if room is not None:
                self.rooms[key] = Part(room.id, room.name, True)
            else:
                info = info or RoomRef(name)
                self.rooms[key] = Part(
                    self._stand_in(), name, False, seats=info.seats, description=info.description
                )
        return self.rooms[key]

    def track(self, name: str) -> Part | None:
        if not name:
            return None
        key = _key(name)
        if key not in self.tracks:
            track = self._tracks.get(key)
            if track is not None:
                self.tracks[key] = Part(track.id, track.name, True)
            else:
                color = self._colors.get(key, "")
                if not COLOR_PATTERN.fullmatch(color):
                    color = DEFAULT_TRACK_COLOR
                self.tracks[key] = Part(self._stand_in(), name, False, color=color.lower())
        return self.tracks[key]

    def speaker(self, ref: SpeakerRef) -> Part:
        """By e-mail address, then by name (unless both have a different address)."""
        email = ref.email.casefold() if ref.email else None
        key = _key(ref.name)
        found = self._by_email.get(email) if email else None
        if found is None:
            by_name = self._by_name.get(key)
            if by_name is not None and not (email and by_name.email):
                found = by_name
        if found is not None:
            if found.id not in self._made:
                part = Part(found.id, found.name, True, email=found.email)
                self._made[found.id] = part
                self.speakers.append(part)
            return self._made[found.id]
        for part in self.speakers:
            if part.existing:
                continue
            same_email = email and part.email and part.email.casefold() == email
            same_name = _key(part.name) == key and not (email and part.email)
            if same_email or same_name:
                part.email = part.email or ref.email
                part.bio = part.bio or ref.bio
                return part
        part = Part(self._stand_in(), ref.name, False, email=ref.email, bio=ref.bio)
        self.speakers.append(part)
        return part


def _of(conference: Conference, model: type[Room | Track | Speaker]) -> list[Any]:
    return list(
        db.session.scalars(
            sa.select(model).where(model.conference_id == conference.id).order_by(model.id)
        )
    )


def plan_import(conference: Conference, parsed: ParsedFile) -> ImportPlan:
    """What importing ``parsed`` would create, and what refuses each row; reads only."""
    parts = _Parts(conference, parsed)
    for info in parsed.rooms:
        parts.room(info.name, info)
    resolved = []
    for row in parsed.rows:
        resolved.append(
            (
                row,
                parts.room(row.room),
                parts.track(row.track),
                tuple(dict.fromkeys(parts.speaker(ref).id for ref in row.speakers)),
            )
        )
    speakers_by_id = {part.id: part for part in parts.speakers}
    facts = _ImportFacts(conference, parts.rooms.values(), parts.tracks.values(), parts.speakers)
    sessions = []
    for row, room, track, speaker_ids in resolved:
        label = parsed.row_label(row.number)
        speakers = tuple(speakers_by_id[i] for i in speaker_ids)
        if row.problems:
            sessions.append(PlannedSession(row, label, room, track, speakers, None, row.problems))
            continue
        proposal = SessionFields(
            title=row.title,
            abstract=row.abstract,
            kind=row.kind,
            room_id=room.id if room else None,
            track_id=track.id if track else None,
            speaker_ids=frozenset(speaker_ids),
            start_at=row.start_at,
            end_at=row.end_at,
            capacity=row.capacity,
            languages=list(row.languages),
        )
        plan = plan_create(conference, proposal, notify=False, facts=facts)
        problems = tuple(dict.fromkeys(str(message) for message in plan.errors.values()))
        if not problems:
            facts.add(plan)  # the file's later rows are checked against this one
        sessions.append(PlannedSession(row, label, room, track, speakers, plan, problems))
    return ImportPlan(
        parsed.source,
        tuple(parts.rooms.values()),
        tuple(parts.tracks.values()),
        tuple(parts.speakers),
        tuple(sessions),
    )


# --- doing it -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    plan: ImportPlan
    talks: tuple[Talk, ...]


def import_programme(actor: audit.Actor, conference: Conference, parsed: ParsedFile) -> Imported:
    """Create the file's rooms, tracks, speakers and sessions in one transaction, with one
    audit entry; nothing at all when a row is refused (``ImportRefused``)."""
    with write_transaction(), registration.conference_write(conference.id) as conference:
        plan = plan_import(conference, parsed)
        if plan.refused:
            raise ImportRefused(plan)
        ids = _create_parts(conference, plan)
        speakers = {
            s.id: s
            for s in db.session.scalars(
                sa.select(Speaker).where(
                    Speaker.id.in_(set(ids.values()) | {p.id for p in plan.speakers if p.existing})
                )
            )
        }
        talks = []
        for session in plan.sessions:
            after = session.plan.after  # type: ignore[union-attr]  # no refused rows here
            talks.append(
                Talk(
                    conference_id=conference.id,
                    title=after.title,
                    abstract=after.abstract,
                    kind=after.kind,
                    room_id=ids.get(after.room_id, after.room_id) if after.room_id else None,
                    track_id=ids.get(after.track_id, after.track_id) if after.track_id else None,
                    capacity=after.capacity,
                    start_at=after.start_at,
                    end_at=after.end_at,
                    languages=list(after.languages),
                    speakers=[speakers[ids.get(i, i)] for i in sorted(after.speaker_ids)],
                )
            )
        db.session.add_all(talks)
        db.session.flush()
        audit.log(
            actor,
            "programme.imported",
            conference,
            conference_id=conference.id,
            summary=_("Programme imported: %(what)s", what=plan.summary()),
            after={
                "file": parsed.source,
                "rooms": [p.name for p in plan.new("rooms")],
                "tracks": [p.name for p in plan.new("tracks")],
                "speakers": [p.name for p in plan.new("speakers")],
                "sessions": len(talks),
            },
        )
    return Imported(plan, tuple(talks))


def _create_parts(conference: Conference, plan: ImportPlan) -> dict[int, int]:
    """Create the new rooms, tracks and speakers; their stand-in ids → their real ids."""
    position = db.session.scalar(
        sa.select(sa.func.max(Room.position)).where(Room.conference_id == conference.id)
    )
    made: list[tuple[Part, Room | Track | Speaker]] = []
    for index, part in enumerate(plan.new("rooms"), start=(position or 0) + 1):
        made.append(
            (
                part,
                Room(
                    conference_id=conference.id,
                    name=part.name,
                    seats=part.seats,
                    description=part.description,
                    position=index,
                ),
            )
        )
    for part in plan.new("tracks"):
        made.append((part, Track(conference_id=conference.id, name=part.name, color=part.color)))
    for part in plan.new("speakers"):
        made.append(
            (
                part,
                Speaker(
                    conference_id=conference.id, name=part.name, email=part.email, bio=part.bio
                ),
            )
        )
    db.session.add_all(obj for _part, obj in made)
    db.session.flush()
    return {part.id: obj.id for part, obj in made}


# --- the template ---------------------------------------------------------------------------


def template_csv(conference: Conference) -> str:
    """The header and one example row (on the conference's first day)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow(_example_row(conference.start_date, content_languages()[0]))
    return out.getvalue()


def _example_row(day: date, language: str) -> Iterator[str]:
    example = {
        "title": _("Opening keynote"),
        "kind": "keynote",
        "day": day.isoformat(),
        "start": "09:30",
        "end": "10:15",
        "room": _("Main Hall"),
        "track": "",
        "speakers": "Ada Li; Ben Rossi",
        "speaker_emails": "ada@example.org; ben@example.org",
        "abstract": _("What the conference is about, and who is here."),
        "languages": language,
        "capacity": "",
    }
    return (example[column] for column in TEMPLATE_COLUMNS)
