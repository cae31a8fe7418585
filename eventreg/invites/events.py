"""What goes into a calendar: conferences and sessions as :class:`CalendarEvent` values.

Sessions are described from plain facts (:class:`SessionFacts`), which come either from a
loaded ``Talk`` (e-mails) or from a few narrow queries (feeds of thousands of sessions), so
both paths describe a session in exactly the same words.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from eventreg.conferences.models import Conference, Room, Speaker, Talk, talk_speaker
from eventreg.conferences.revisions import deployed_key
from eventreg.core.extensions import db
from eventreg.core.links import id_links, public_url, url_builder
from eventreg.core.richtext import first_paragraph, to_plain
from eventreg.core.timeutil import format_day, local_instant
from eventreg.core.translations import reader_language, text_in
from eventreg.invites.ical import CalendarEvent

# The conference event's hours when no session has been scheduled yet.
DEFAULT_DAY_START = time(9, 0)
DEFAULT_DAY_END = time(18, 0)


@dataclass(frozen=True)
class SessionFacts:
    id: int
    uuid: str
    title: str
    abstract: str
    start_at: datetime
    end_at: datetime
    cancelled: bool
    revision: int
    updated_at: datetime
    room: str
    # (name, title, affiliation) of each speaker, in display order.
    speakers: tuple[tuple[str, str, str], ...] = ()
    # The join link: only in the calendars of people who hold the session (their invites
    # and agenda), so the public feeds never load it.
    online_url: str = ""


def uid_for(stable_id: str) -> str:
    return f"{stable_id}@{current_app.config['ICAL_UID_DOMAIN']}"


def when_text(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    day_text: Callable[[date], str] = format_day,
) -> str:
    """``Monday, 28 March 2027, 01:30 CET – 03:30 CEST (Europe/Rome)``: venue wall clock."""
    start_local, end_local = start.astimezone(tz), end.astimezone(tz)
    start_zone, end_zone = start_local.tzname(), end_local.tzname()
    start_clock = start_local.strftime("%H:%M")
    end_clock = end_local.strftime("%H:%M")
    day = day_text(start_local.date())
    if start_local.date() != end_local.date():
        return (
            f"{day}, {start_clock} {start_zone} – {day_text(end_local.date())}, "
            f"{end_clock} {end_zone} ({tz.key})"
        )
    if start_zone != end_zone:
        return f"{day}, {start_clock} {start_zone} – {end_clock} {end_zone} ({tz.key})"
    return f"{day}, {start_clock}–{end_clock} {start_zone} ({tz.key})"


def utc_when_text(start: datetime, end: datetime) -> str:
    """``2027-03-28 00:30–02:30 UTC``, unambiguous for readers in any zone."""
    start, end = start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"


def location_text(conference: Conference, room: str = "") -> str:
    """Room, venue and address, in the reader's language."""
    venue = text_in(conference, "venue")
    return ", ".join(part for part in (room, venue, text_in(conference, "address")) if part)


class _Texts:
    """Translatable columns read as plain values, for ``text_in``."""

    def __init__(self, translations: dict[str, Any] | None, **texts: str):
        self.translations = translations or {}
        self.__dict__.update(texts)


def _in_language(
    language: str | None, translations: dict[str, Any] | None, **texts: str
) -> dict[str, str]:
    if not translations:  # the common case, and the answer text_in would give
        return {name: text or "" for name, text in texts.items()}
    holder = _Texts(translations, **texts)
    return {name: text_in(holder, name, language) or "" for name in texts}


def _speaker_line(name: str, title: str, affiliation: str) -> str:
    details = ", ".join(part for part in (title, affiliation) if part)
    return f"{name} ({details})" if details else name


class Wording:
    """The words and links of one conference's events, prepared once per calendar.

    Translations are looked up and the URL map bound once, and each day is formatted once:
    a feed of a thousand sessions would otherwise spend most of its time repeating them.
    """

    def __init__(self, conference: Conference):
        self.conference = conference
        self.tz = conference.tz
        self.link = url_builder()
        self.talk_url = id_links(self.link, "schedule.talk", "talk_id", slug=conference.slug)
        self.speakers = _("Speakers: %(speakers)s")
        self.local_time = _("Local time at the venue: %(when)s")
        # In the reader's (or the recipient's) language, as every text below.
        self.title = text_in(conference, "title")
        self.conference_line = _("Conference: %(title)s") % {"title": self.title}
        self.details = _("Details: %(url)s")
        self.cancelled = _("Cancelled: %(title)s")
        self.join_online = _("Join online: %(url)s")
        self.online_label = _("Join online")
        self.organizer_name = text_in(conference, "organizer_name") or self.title
        self.uid_domain = current_app.config["ICAL_UID_DOMAIN"]
        self._days: dict[date, str] = {}
        # Everything besides a session's own facts that its event is made of: a cached
        # event is reused only while all of it is the same.
        self.key = (
            str(get_locale()),
            deployed_key(),
            conference.uuid,
            conference.slug,
            self.title,
            text_in(conference, "venue"),
            text_in(conference, "address"),
            self.organizer_name,
            conference.organizer_email,
            conference.timezone,
            current_app.config["BASE_URL"],
            self.uid_domain,
        )

    def day(self, day: date) -> str:
        if day not in self._days:
            self._days[day] = format_day(day)
        return self._days[day]

    def when(self, start: datetime, end: datetime) -> str:
        return when_text(start, end, self.tz, self.day)


def session_event(
    facts: SessionFacts, wording: Wording, *, stamp: datetime | None = None
) -> CalendarEvent:
    conference = wording.conference
    url = wording.talk_url(facts.id)
    # Calendars show DESCRIPTION as plain text: the abstract without its Markdown.
    abstract = to_plain(facts.abstract)
    parts = [abstract] if abstract else []
    if facts.speakers:
        speakers = "; ".join(_speaker_line(*speaker) for speaker in facts.speakers)
        parts.append(wording.speakers % {"speakers": speakers})
    parts.append(wording.local_time % {"when": wording.when(facts.start_at, facts.end_at)})
    parts.append(wording.conference_line)
    parts.append(wording.details % {"url": url})
    # A cancelled session has nothing to join.
    online_url = "" if facts.cancelled else facts.online_url
    if online_url:
        # First, where a calendar app's preview shows it; CONFERENCE makes the button.
        parts.insert(0, wording.join_online % {"url": online_url})
    summary = facts.title
    if facts.cancelled:
        summary = wording.cancelled % {"title": facts.title}
    return CalendarEvent(
        uid=f"{facts.uuid}@{wording.uid_domain}",
        sequence=facts.revision,
        stamp=stamp or facts.updated_at,
        start=facts.start_at,
        end=facts.end_at,
        summary=summary,
        location=location_text(conference, facts.room),
        description="\n\n".join(parts),
        url=url,
        organizer_name=wording.organizer_name,
        organizer_email=conference.organizer_email,
        cancelled=facts.cancelled,
        online_url=online_url,
        online_label=wording.online_label if online_url else "",
    )


def facts_of(talk: Talk) -> SessionFacts:
    """The facts of a loaded session; it must be scheduled (invites need a time)."""
    if talk.start_at is None or talk.end_at is None:
        raise ValueError(f"session {talk.id} has no time yet and cannot go into a calendar")
    return SessionFacts(
        id=talk.id,
        uuid=talk.uuid,
        title=text_in(talk, "title"),
        abstract=text_in(talk, "abstract") or "",
        start_at=talk.start_at,
        end_at=talk.end_at,
        cancelled=talk.cancelled,
        revision=talk.revision or 0,
        updated_at=max([talk.updated_at] + [s.updated_at for s in talk.speakers]),
        room=text_in(talk.room, "name") if talk.room else "",
        speakers=tuple(
            (s.name, text_in(s, "title") or "", s.affiliation or "") for s in talk.speakers
        ),
        online_url=talk.online_url or "",
    )


def talk_event(talk: Talk, *, stamp: datetime | None = None, online: bool = True) -> CalendarEvent:
    """A session's event for a message to one person. With ``online`` it carries the join
    link, so only people who hold the session (a seat, or speaking) may be sent it."""
    facts = facts_of(talk)
    if not online:
        facts = replace(facts, online_url="")
    return session_event(facts, Wording(talk.conference), stamp=stamp)


def conference_window(conference: Conference) -> tuple[datetime, datetime]:
    """When the conference happens: from its first session to its last.

    A timed span rather than all-day dates, which calendars treat as floating days and
    would place a day early or late for people far from the venue. With no programme yet,
    the conference days from 09:00 to 18:00 at the venue.
    """
    first, last = db.session.execute(
        sa.select(sa.func.min(Talk.start_at), sa.func.max(Talk.end_at)).where(
            Talk.conference_id == conference.id,
            Talk.start_at.is_not(None),
            Talk.status == "scheduled",
        )
    ).one()
    if first is None:
        tz = conference.tz
        return (
            local_instant(conference.start_date, DEFAULT_DAY_START, tz),
            local_instant(conference.end_date, DEFAULT_DAY_END, tz),
        )
    return first, cast(datetime, last)  # the first start comes with a last end


def conference_event(conference: Conference, *, stamp: datetime | None = None) -> CalendarEvent:
    start, end = conference_window(conference)
    url = public_url("conferences.conference", slug=conference.slug)
    parts = []
    introduction = first_paragraph(text_in(conference, "description"))
    if introduction:
        parts.append(introduction)
    parts.append(_("Local time at the venue: %(when)s", when=when_text(start, end, conference.tz)))
    parts.append(_("Programme: %(url)s", url=public_url("schedule.schedule", slug=conference.slug)))
    return CalendarEvent(
        uid=uid_for(conference.uuid),
        sequence=conference.revision or 0,
        stamp=stamp or conference.updated_at,
        start=start,
        end=end,
        summary=text_in(conference, "title"),
        location=location_text(conference),
        description="\n\n".join(parts),
        url=url,
        organizer_name=text_in(conference, "organizer_name") or text_in(conference, "title"),
        organizer_email=conference.organizer_email,
    )


def _load_facts(
    conference: Conference, talk_filter: sa.ColumnElement[bool], *, with_online: bool = False
) -> list[SessionFacts]:
    """Session facts for many sessions in two narrow queries (no ORM objects), their texts
    in the reader's language (the translations are columns of the same rows). The online
    link is read only ``with_online``: for the calendar of someone who holds the sessions."""
    online_url = Talk.online_url if with_online else sa.literal("")
    rows = db.session.execute(
        sa.select(
            Talk.id,
            Talk.uuid,
            Talk.title,
            Talk.abstract,
            Talk.start_at,
            Talk.end_at,
            Talk.status,
            Talk.revision,
            Talk.updated_at,
            Talk.translations,
            Room.name,
            Room.translations,
            online_url,
        )
        .outerjoin(Room, Talk.room_id == Room.id)
        .where(Talk.conference_id == conference.id, Talk.start_at.is_not(None), talk_filter)
        .order_by(Talk.start_at, Talk.id)
    ).all()
    if not rows:
        return []
    # Asked once: Flask-Babel's lookup would otherwise be most of a large feed's time.
    language = reader_language()
    speakers = defaultdict(list)
    for talk_id, name, title, affiliation, updated_at, translations in db.session.execute(
        sa.select(
            talk_speaker.c.talk_id,
            Speaker.name,
            Speaker.title,
            Speaker.affiliation,
            Speaker.updated_at,
            Speaker.translations,
        )
        .join(Speaker, Speaker.id == talk_speaker.c.speaker_id)
        .join(Talk, Talk.id == talk_speaker.c.talk_id)
        .where(Talk.conference_id == conference.id, talk_filter)
        .order_by(Speaker.name, Speaker.id)
    ):
        title = _in_language(language, translations, title=title or "")["title"]
        speakers[talk_id].append((name, title, affiliation or "", updated_at))
    facts = []
    for row in rows:
        (tid, uuid, title, abstract, start, end, status, revision, updated) = row[:9]
        translations, room, room_translations, link = row[9:]
        texts = _in_language(language, translations, title=title, abstract=abstract or "")
        if room is not None:
            room = _in_language(language, room_translations, name=room)["name"]
        people = speakers.get(tid, [])
        facts.append(
            SessionFacts(
                id=tid,
                uuid=uuid,
                title=texts["title"],
                abstract=texts["abstract"],
                # Scheduled sessions only: both times are set.
                start_at=cast(datetime, start),
                end_at=cast(datetime, end),
                cancelled=status == "cancelled",
                revision=revision or 0,
                updated_at=max([updated] + [person[3] for person in people]),
                room=room or "",
                speakers=tuple(person[:3] for person in people),
                online_url=link or "",
            )
        )
    return facts


def schedule_facts(conference: Conference) -> list[SessionFacts]:
    """Every scheduled session, cancelled ones included (their events say CANCELLED)."""
    return _load_facts(conference, sa.true())


def talk_facts(conference: Conference, talk_id: int) -> list[SessionFacts]:
    return _load_facts(conference, Talk.id == talk_id)


def schedule_events(conference: Conference) -> list[CalendarEvent]:
    """Every scheduled session, cancelled ones included (marked CANCELLED)."""
    wording = Wording(conference)
    return [session_event(f, wording) for f in schedule_facts(conference)]


def agenda_events(
    conference: Conference, *, with_conference: bool, talk_ids: sa.Select[int] | list[int]
) -> list[CalendarEvent]:
    """A person's calendar: the conference (while they hold a seat) and the sessions with
    ``talk_ids`` (those in which they hold a seat; the registration rules say which), with
    their online links."""
    events = [conference_event(conference)] if with_conference else []
    wording = Wording(conference)
    for facts in _load_facts(conference, Talk.id.in_(talk_ids), with_online=True):
        events.append(session_event(facts, wording))
    return events


def events_with_uids(conference: Conference, uids: list[str]) -> list[CalendarEvent]:
    """The conference's current events among ``uids`` (the conference itself and sessions
    that still have a time), for a feed that must keep what it once showed."""
    wanted = set(uids)
    events = [conference_event(conference)] if uid_for(conference.uuid) in wanted else []
    suffix = f"@{current_app.config['ICAL_UID_DOMAIN']}"
    uuids = [uid.removesuffix(suffix) for uid in wanted if uid.endswith(suffix)]
    if uuids:
        wording = Wording(conference)
        events += [session_event(f, wording) for f in _load_facts(conference, Talk.uuid.in_(uuids))]
    return events
