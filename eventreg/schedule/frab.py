"""The schedule in the frab interchange format (``schedule.xml`` and ``schedule.json``).

It is the format frab, pretalx and osem publish and that conference apps (Giggity,
EventFahrplan, …) import. Both documents are built from one plain description
(:func:`build_schedule`) so the XML and the JSON can never disagree.

A day runs from ``DAY_CHANGE`` to ``DAY_CHANGE`` the next morning, as frab and pretalx
publish it: a session at 01:00 after the evening's last talk belongs to the evening's day,
the way apps list it.

Cancelled sessions are left out: the format has no status field, and an app that imported a
cancelled session would list it and remind people of it as if it were happening. A session
that disappears from the export is what frab and pretalx publish when a talk is dropped, so
apps that sync already handle it.
"""

import re
import uuid
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict, cast

import sqlalchemy as sa
from lxml import etree
from slugify import slugify

from eventreg.conferences.models import Conference, Speaker, Talk, talk_speaker
from eventreg.core.extensions import db
from eventreg.core.links import id_links, url_builder
from eventreg.core.richtext import to_plain
from eventreg.core.timeutil import local_instant
from eventreg.core.translations import reader_language, text_in

GENERATOR = "eventreg"
# Apps show sessions snapped to this grid; five minutes fits every start time we allow.
TIMESLOT_DURATION = "00:05"
ACRONYM_MIN_LENGTH = 4
# The JSON schema accepts only Area/City names (or UTC) as the zone name.
ZONE_NAME_PATTERN = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# Local time at which one conference day ends and the next begins (frab's "day change"):
# late-night sessions stay on the evening's day.
DAY_CHANGE = time(4, 0)


@dataclass
class FrabEvent:
    id: int
    guid: str
    title: str
    kind: str
    start: datetime  # in the conference's zone
    end: datetime
    # Elapsed time, not the difference of the two wall clocks: they differ across a DST change.
    duration: timedelta
    room: str
    track: str | None
    abstract: str
    slug: str
    url: str
    persons: list["FrabPerson"]
    # The language it is given in (its first, when it has several; frab has room for one).
    language: str | None = None


class FrabPerson(TypedDict):
    id: int
    guid: str
    name: str
    biography: str
    url: str


class FrabTrack(TypedDict):
    name: str
    color: str


@dataclass
class FrabRoom:
    name: str
    guid: str
    description: str
    capacity: int | None
    events: list[FrabEvent] = field(default_factory=list)


@dataclass
class FrabDay:
    index: int
    date: date
    start: datetime
    end: datetime
    rooms: list[FrabRoom]


@dataclass
class FrabSchedule:
    version: str
    url: str
    base_url: str
    title: str
    acronym: str
    start: date
    end: date
    time_zone_name: str
    tracks: list["FrabTrack"]
    rooms: list[FrabRoom]
    days: list[FrabDay]
    last_changed: datetime  # UTC: when the conference's feed_revision last moved
    # eventreg keeps no conference logo yet; both formats leave it out until one is known.
    logo: str | None = None


def acronym_for(slug: str) -> str:
    """The conference's frab acronym: its slug in the characters both schemas accept.

    Hyphens become underscores (the JSON schema allows a hyphen only in a ``-2026-name``
    suffix) and short slugs are padded, since apps require four characters at least.
    """
    acronym = re.sub(r"[^a-z0-9_]", "_", slug.lower())
    return acronym.ljust(ACRONYM_MIN_LENGTH, "_")


def room_guid(conference: Conference, room_id: int | None) -> str:
    """A stable UUID for a room, derived from the conference's so it never changes."""
    return str(uuid.uuid5(uuid.UUID(conference.uuid), f"room:{room_id or 'venue'}"))


def format_duration(length: timedelta) -> str:
    minutes = int(length.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_version(conference: Conference) -> str:
    """Changes whenever something in the export changes, so apps know to refresh: the
    moment of the last change and the conference's ``feed_revision`` (two changes within
    one second still differ)."""
    return f"{conference.updated_at:%Y-%m-%dT%H:%M:%SZ} r{conference.feed_revision}"


def conference_day(start: datetime) -> date:
    """The conference day of a local start time: before ``DAY_CHANGE`` it is the day before."""
    if start.time() < DAY_CHANGE:
        return start.date() - timedelta(days=1)
    return start.date()


def build_schedule(conference: Conference) -> FrabSchedule:
    """The programme in the reader's language (the current locale), else the conference's
    main language: titles, abstracts, rooms, tracks and biographies."""
    tz = conference.tz
    main = conference.main_language
    acronym = acronym_for(conference.slug)
    link = url_builder()  # absolute links from BASE_URL, never from the request's host
    talk_url = id_links(link, "schedule.talk", "talk_id", slug=conference.slug)
    # Once, not per text: asking Flask-Babel for the locale thousands of times showed.
    language = reader_language()
    # Plain rows, not ORM objects: an export has thousands of sessions and needs a few
    # columns of each (loading them as objects cost most of the export's time).
    talks = db.session.execute(
        sa.select(
            Talk.id,
            Talk.uuid,
            Talk.title,
            Talk.kind,
            Talk.start_at,
            Talk.end_at,
            Talk.room_id,
            Talk.track_id,
            Talk.abstract,
            Talk.translations,
            Talk.languages,
        )
        .where(
            Talk.conference_id == conference.id,
            Talk.start_at.is_not(None),
            Talk.status != "cancelled",
        )
        .order_by(Talk.start_at, Talk.id)
    ).all()
    persons = _persons_by_talk(conference, link, language)
    track_names = {track.id: text_in(track, "name") for track in conference.tracks}

    rooms: dict[int | None, FrabRoom] = {
        room.id: FrabRoom(
            text_in(room, "name"), room_guid(conference, room.id), room.description, room.seats
        )
        for room in conference.rooms
    }
    # Sessions without a room (a break for everyone) take place at the venue as a whole.
    venue = FrabRoom(
        text_in(conference, "venue") or text_in(conference, "title"),
        room_guid(conference, None),
        "",
        None,
    )
    venue_used = False
    events_by_day: dict[date, list[tuple[FrabRoom, FrabEvent]]] = {}
    for row in talks:
        talk_id, guid, main_title, kind, start_at, end_at, room_id, track_id = row[:8]
        texts = _Texts(row.translations, title=main_title, abstract=row.abstract)
        title, abstract = text_in(texts, "title", language), text_in(texts, "abstract", language)
        room = rooms.get(room_id, venue)
        venue_used = venue_used or room is venue
        # Scheduled sessions only: both times are set.
        start_at, end_at = cast(datetime, start_at), cast(datetime, end_at)
        start = start_at.astimezone(tz)
        event = FrabEvent(
            id=talk_id,
            guid=guid,
            title=title,
            kind=kind,
            start=start,
            end=end_at.astimezone(tz),
            duration=end_at - start_at,  # both UTC: the real elapsed time
            room=room.name,
            track=track_names.get(track_id) if track_id else None,
            # Plain text: apps (and pretalx's own export, which passes the Markdown source
            # through) show these fields as text, where Markdown syntax would be noise.
            abstract=to_plain(abstract),
            # From the main-language title: recordings are filed by slug, which must not
            # change with the reader's language.
            slug=f"{acronym}-{talk_id}-{slugify(main_title, max_length=60) or 'session'}",
            url=talk_url(talk_id),
            persons=persons.get(talk_id, []),
            # Unset: given in the conference's main language.
            language=(row.languages or [main])[0],
        )
        events_by_day.setdefault(conference_day(start), []).append((room, event))

    all_rooms = [*rooms.values()] + ([venue] if venue_used else [])
    dates = sorted(
        set(_dates_between(conference.start_date, conference.end_date)) | set(events_by_day)
    )
    days = []
    for index, day in enumerate(dates, start=1):
        day_rooms = {
            room.guid: FrabRoom(room.name, room.guid, room.description, room.capacity)
            for room in all_rooms
        }
        for room, event in events_by_day.get(day, []):
            day_rooms[room.guid].events.append(event)
        days.append(
            FrabDay(
                index=index,
                date=day,
                start=local_instant(day, DAY_CHANGE, tz).astimezone(tz),
                end=local_instant(day + timedelta(days=1), DAY_CHANGE, tz).astimezone(tz),
                rooms=list(day_rooms.values()),
            )
        )
    return FrabSchedule(
        version=schedule_version(conference),
        url=link("frab.schedule_xml_view", slug=conference.slug),
        base_url=link("schedule.schedule", slug=conference.slug),
        title=text_in(conference, "title"),
        acronym=acronym,
        start=conference.start_date,
        end=conference.end_date,
        time_zone_name=conference.timezone,
        tracks=[
            {"name": track_names[track.id], "color": track.color} for track in conference.tracks
        ],
        rooms=all_rooms,
        days=days,
        last_changed=conference.updated_at,
    )


def _persons_by_talk(
    conference: Conference, link: Callable[..., str], language: str | None
) -> dict[int, list[FrabPerson]]:
    """Each session's speakers (by name, as the programme lists them), each speaker's
    entry made once however many sessions they speak in."""
    made: dict[int, FrabPerson] = {}
    speaker_url = id_links(link, "schedule.speaker", "speaker_id", slug=conference.slug)
    by_talk: dict[int, list[FrabPerson]] = {}
    rows = db.session.execute(
        sa.select(
            talk_speaker.c.talk_id,
            Speaker.id,
            Speaker.uuid,
            Speaker.name,
            Speaker.bio,
            Speaker.translations,
        )
        .join(Speaker, Speaker.id == talk_speaker.c.speaker_id)
        .where(Speaker.conference_id == conference.id)
        .order_by(Speaker.name, Speaker.id)
    )
    for talk_id, speaker_id, guid, name, bio, translations in rows:
        person = made.get(speaker_id)
        if person is None:
            person = made[speaker_id] = {
                "id": speaker_id,
                "guid": guid,
                "name": name,
                "biography": to_plain(text_in(_Texts(translations, bio=bio), "bio", language)),
                "url": speaker_url(speaker_id),
            }
        by_talk.setdefault(talk_id, []).append(person)
    return by_talk


class _Texts:
    """A row's translatable texts, as ``text_in`` reads them."""

    def __init__(self, translations: dict[str, Any] | None, **texts: str | None):
        self.translations = translations or {}
        for name, text in texts.items():
            setattr(self, name, text or "")


def _dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def schedule_json(schedule: FrabSchedule) -> dict[str, Any]:
    conference = {
        "acronym": schedule.acronym,
        "title": schedule.title,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "daysCount": len(schedule.days),
        "timeslot_duration": TIMESLOT_DURATION,
        "url": schedule.base_url,
        "tracks": schedule.tracks,
        "rooms": [
            {
                "name": room.name,
                "guid": room.guid,
                "description": room.description or None,
                "capacity": room.capacity,
            }
            for room in schedule.rooms
        ],
        "days": [
            {
                "index": day.index,
                "date": day.date.isoformat(),
                "day_start": day.start.isoformat(),
                "day_end": day.end.isoformat(),
                "rooms": {room.name: [_event_json(e) for e in room.events] for room in day.rooms},
            }
            for day in schedule.days
        ],
    }
    if ZONE_NAME_PATTERN.search(schedule.time_zone_name):
        conference["time_zone_name"] = schedule.time_zone_name
    if schedule.logo:
        conference["logo"] = schedule.logo
    return {
        "generator": {"name": GENERATOR},
        "schedule": {
            "version": schedule.version,
            "base_url": schedule.base_url,
            "conference": conference,
        },
    }


def _event_json(event: FrabEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "guid": event.guid,
        "date": event.start.isoformat(),
        "start": event.start.strftime("%H:%M"),
        "end": event.end.isoformat(),
        "duration": format_duration(event.duration),
        "room": event.room,
        "slug": event.slug,
        "url": event.url,
        "title": event.title,
        "subtitle": "",
        "track": event.track,
        "type": event.kind,
        "language": event.language,
        # eventreg keeps one text per session; apps show "description" as the session's text.
        "abstract": event.abstract,
        "description": event.abstract,
        "logo": "",
        # Nobody has been asked about recording, so neither consent nor a licence is claimed.
        "do_not_record": None,
        "recording_license": "",
        "persons": [_person_json(person) for person in event.persons],
        "links": [],
        "attachments": [],
    }


def _person_json(person: FrabPerson) -> dict[str, Any]:
    # "name" for current readers, "public_name" for frab-era ones. The schema accepts a person
    # as frab's (id + public_name) or pretalx's (name), never both, so the numeric id is left
    # to the XML; the guid identifies the person.
    return {
        "guid": person["guid"],
        "name": person["name"],
        "public_name": person["name"],
        "biography": person["biography"],
        "url": person["url"],
    }


def schedule_xml(schedule: FrabSchedule) -> bytes:
    root = etree.Element("schedule")
    etree.SubElement(root, "generator", name=GENERATOR)
    _text(root, "url", schedule.url)
    _text(root, "version", schedule.version)
    conference = etree.SubElement(root, "conference")
    _text(conference, "title", schedule.title)
    _text(conference, "acronym", schedule.acronym)
    _text(conference, "start", schedule.start.isoformat())
    _text(conference, "end", schedule.end.isoformat())
    _text(conference, "days", str(len(schedule.days)))
    _text(conference, "timeslot_duration", TIMESLOT_DURATION)
    _text(conference, "base_url", schedule.base_url)
    if schedule.logo:
        _text(conference, "logo", schedule.logo)
    _text(conference, "url", schedule.base_url)
    _text(conference, "time_zone_name", schedule.time_zone_name)
    for track in schedule.tracks:
        etree.SubElement(conference, "track", name=track["name"], color=track["color"])
    for day in schedule.days:
        day_element = etree.SubElement(
            root,
            "day",
            index=str(day.index),
            date=day.date.isoformat(),
            start=day.start.isoformat(),
            end=day.end.isoformat(),
        )
        for room in day.rooms:
            room_element = etree.SubElement(day_element, "room", name=room.name, guid=room.guid)
            for event in room.events:
                _event_xml(room_element, event)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


# The children of an <event> that carry text, in the order they are written.
_EVENT_TEXTS = (
    "date",
    "start",
    "duration",
    "room",
    "slug",
    "url",
    "title",
    "subtitle",
    "track",
    "type",
    "abstract",
    "description",
    "language",
    "logo",
)


def _event_template() -> Any:
    template = etree.Element("event")
    for tag in (*_EVENT_TEXTS, "persons", "links", "attachments"):
        etree.SubElement(template, tag)
    # No <recording>: its <optout> must be true or false, and nobody has been asked.
    return template


# Every event is a copy of this one, its texts filled in: copying it takes half the time of
# making each child anew, and an export of 1,000 sessions has some 15,000 of them.
_EVENT_TEMPLATE = _event_template()


# lxml is untyped here: its elements are ``Any``.
def _event_xml(parent: Any, event: FrabEvent) -> None:
    element = deepcopy(_EVENT_TEMPLATE)
    element.set("id", str(event.id))
    element.set("guid", event.guid)
    texts = (  # in the order of _EVENT_TEXTS
        event.start.isoformat(),
        event.start.strftime("%H:%M"),
        format_duration(event.duration),
        event.room,
        event.slug,
        event.url,
        event.title,
        "",
        event.track or "",
        event.kind,
        event.abstract,
        event.abstract,
        event.language or "",
        "",
    )
    for child, text in zip(element, texts, strict=False):
        child.text = text
    if not event.language:
        element.remove(element.find("language"))
    persons = element.find("persons")
    for person in event.persons:
        _text(persons, "person", person["name"], id=str(person["id"]), guid=person["guid"])
    parent.append(element)


def _text(parent: Any, tag: str, text: str, **attributes: str) -> Any:
    element = etree.SubElement(parent, tag, **attributes)
    element.text = text
    return element
