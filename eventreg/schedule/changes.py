"""A change to a session, as a value: what it changes, what stands in its way, whom it tells.

Planning only reads. :func:`plan_create`, :func:`plan_update` and :func:`plan_cancel` take a
session (none for a new one) and the proposed :class:`SessionFields` and return a
:class:`SessionPlan`: each change as "before → after" on the conference's clock, what
refuses it, and every message it would send. The organizer's preview shows a plan;
:mod:`eventreg.schedule.services` applies one, planning again under the conference's lock so
that a preview read a minute earlier can never apply an outdated change.

Every rule about a session's own fields is checked here, once: the title, the times (both
or neither, with a zone, the end after the start, within the conference's days), "a
scheduled session cannot be unscheduled", "a cancelled session cannot change", the seats
(``check_capacity``), and the clashes (a room or a speaker in two sessions at once, a
speaker outside the times they said they are available).
"""

import enum
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeGuard, TypeVar, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import Result
from sqlalchemy.orm import selectinload

from eventreg.conferences.models import (
    TALK_KINDS,
    Conference,
    Room,
    Speaker,
    SpeakerAvailability,
    Talk,
    Track,
)
from eventreg.conferences.rules import (
    check_capacity,
    clean_translations,
    content_languages,
    skipped_time_message,
)
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.text import has_forbidden_characters
from eventreg.core.timeutil import (
    exists_on_clock,
    format_clock_range,
    format_clock_with_offset,
    format_day,
    format_day_short,
    instants_on_clock,
    local_instant,
)
from eventreg.invites.events import DEFAULT_DAY_END, DEFAULT_DAY_START, conference_window
from eventreg.registration.models import Registration, SessionSignup
from eventreg.schedule import conflicts

TITLE_MAX = 250
ABSTRACT_MAX = 20000
ONLINE_URL_MAX = 500  # the column's length

KIND_LABELS = {
    "talk": _l("Talk"),
    "keynote": _l("Keynote"),
    "panel": _l("Panel"),
    "workshop": _l("Workshop"),
    "break": _l("Break"),
}

# How the preview names each field that changes.
LABELS = {
    "time": _l("Time"),
    "room": _l("Room"),
    "title": _l("Title"),
    "speakers": _l("Speakers"),
    "abstract": _l("Abstract"),
    "kind": _l("Kind"),
    "track": _l("Track"),
    "capacity": _l("Seats"),
    "status": _l("Status"),
    "online_url": _l("Online link"),
    "title_translations": _l("Title in other languages"),
    "abstract_translations": _l("Abstract in other languages"),
    "languages": _l("Spoken languages"),
    "interpretation": _l("Interpretation"),
}

# What a calendar shows of a session: changing one of these sends updates and raises the
# session's revision (its iCalendar SEQUENCE). Speakers count as well: they get invites.
# The online link is in the invites (CONFERENCE) of those who hold the session.
# A translated title is what readers of that language see in their calendars.
CALENDAR_FIELDS = frozenset(
    {"time", "room", "title", "title_translations", "speakers", "status", "online_url"}
)
# Where the session is: a change of one of these is checked against the other sessions.
PLACEMENT_FIELDS = frozenset({"time", "room", "speakers"})
# How the update mail names each calendar change (see schedule.notifications.CHANGE_LABELS).
_MAIL_CHANGES = {
    "time": "time",
    "room": "room",
    "title": "details",
    "title_translations": "details",
    "speakers": "speakers",
    "online_url": "online_link",
}
_MAIL_CHANGE_ORDER = ("time", "room", "online_link", "details", "speakers")


class _Unchanged(enum.Enum):
    UNCHANGED = "unchanged"

    def __repr__(self) -> str:
        return "UNCHANGED"


# A field the proposal leaves as it is (for a new session: its default).
UNCHANGED = _Unchanged.UNCHANGED


@dataclass(frozen=True)
class SessionFields:
    """The values proposed for a session; fields left ``UNCHANGED`` keep theirs.

    Values arrive as the front-ends parsed them and are checked by the planner, which
    answers with a message per field rather than an exception.
    """

    title: object = UNCHANGED
    abstract: object = UNCHANGED
    kind: object = UNCHANGED
    track_id: object = UNCHANGED
    room_id: object = UNCHANGED
    speaker_ids: object = UNCHANGED
    start_at: object = UNCHANGED
    end_at: object = UNCHANGED
    capacity: object = UNCHANGED
    online_url: object = UNCHANGED
    # {"zh": {"title": …, "abstract": …}}: the texts in the conference's other languages.
    translations: object = UNCHANGED
    languages: object = UNCHANGED  # spoken language codes
    interpretation: object = UNCHANGED

    def given(self) -> dict[str, object]:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not UNCHANGED
        }


@dataclass(frozen=True)
class SessionValues:
    """A session's own fields, as stored."""

    title: str = ""
    abstract: str = ""
    kind: str = "talk"
    track_id: int | None = None
    room_id: int | None = None
    speaker_ids: frozenset[int] = frozenset()
    start_at: datetime | None = None
    end_at: datetime | None = None
    capacity: int | None = None
    status: str = "scheduled"
    # Where those who hold the session join it online ("" for none); a room and a link
    # make the session hybrid.
    online_url: str = ""
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    languages: tuple[str, ...] = ()
    interpretation: bool = False

    @property
    def scheduled(self) -> bool:
        return self.start_at is not None and self.status == "scheduled"


class _Timed(Protocol):
    @property
    def start_at(self) -> datetime | None: ...
    @property
    def end_at(self) -> datetime | None: ...


def _span(timed: _Timed) -> tuple[datetime, datetime]:
    """The start and end of a session known to have a time (both are set, or neither)."""
    return cast(datetime, timed.start_at), cast(datetime, timed.end_at)


# What ``ConferenceFacts`` loads by conference.
_ConferencePart = TypeVar("_ConferencePart", Room, Track, Speaker)


def values_of(talk: Talk) -> SessionValues:
    return SessionValues(
        title=talk.title,
        abstract=talk.abstract or "",
        kind=talk.kind,
        track_id=talk.track_id,
        room_id=talk.room_id,
        speaker_ids=frozenset(speaker.id for speaker in talk.speakers),
        start_at=talk.start_at,
        end_at=talk.end_at,
        capacity=talk.capacity,
        status=talk.status,
        online_url=talk.online_url or "",
        translations=deepcopy(talk.translations or {}),
        languages=tuple(talk.languages or ()),
        interpretation=bool(talk.interpretation),
    )


@dataclass(frozen=True)
class Change:
    """One thing that changes, in words: ``label``: ``before`` → ``after``."""

    field: str  # time, room, title, abstract, speakers, kind, track, capacity, status,
    # online_url
    before: str
    after: str

    @property
    def label(self) -> str:
        return str(LABELS[self.field])

    @property
    def notifies(self) -> bool:
        return self.field in CALENDAR_FIELDS

    def __str__(self) -> str:
        return f"{self.before} → {self.after}"


# Who a notice goes to.
SPEAKER, SEAT_HOLDER, ATTENDEE = "speaker", "seat holder", "attendee"


@dataclass(frozen=True)
class Notice:
    """One message the change sends: ``kind`` names the schedule notification."""

    kind: str  # session_updated, session_cancelled, speaker_invited, speaker_removed,
    # conference_updated
    email: str  # lower-cased
    name: str
    role: str  # SPEAKER, SEAT_HOLDER (of the session) or ATTENDEE (of the conference)
    speaker_id: int | None = None
    registration_id: int | None = None


@dataclass(frozen=True)
class SessionPlan:
    """What applying a proposal would do; made by reading only."""

    action: str  # create, update or cancel
    conference_id: int
    talk_id: int | None
    before: SessionValues | None  # None for a new session
    after: SessionValues
    changes: tuple[Change, ...] = ()
    # What refuses the proposal, by field ("" for the proposal as a whole).
    errors: Mapping[str, str] = field(default_factory=dict)
    # Whether the refusal comes from the state of other data (a Conflict) rather than
    # from the input itself.
    conflict: bool = False
    # Clashes of the resulting place in the schedule. They refuse the proposal only when
    # it moves the session (or adds it); an edit that leaves the session where it is
    # saves, and the schedule overview keeps showing what it still clashes with.
    clashes: Mapping[str, str] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    # The conference's own event moves (its first or last session changes).
    span_moves: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.errors)

    def refusal(self) -> Invalid | None:
        """The refusal to raise, or None when the plan can be applied."""
        if not self.errors:
            return None
        return (Conflict if self.conflict else Invalid)(dict(self.errors))

    def changed(self, name: str) -> bool:
        return any(change.field == name for change in self.changes)

    @property
    def calendar_changed(self) -> bool:
        return any(change.notifies for change in self.changes)

    @property
    def mail_changes(self) -> list[str]:
        """How the update mail names the changes: time, room, online link, details,
        speakers."""
        named = {_MAIL_CHANGES[c.field] for c in self.changes if c.field in _MAIL_CHANGES}
        return [name for name in _MAIL_CHANGE_ORDER if name in named]

    @property
    def recipients(self) -> frozenset[str]:
        return frozenset(notice.email for notice in self.notices)

    @property
    def notified(self) -> int:
        """How many people are told (each address once, whatever it is sent)."""
        return len(self.recipients)

    @property
    def speakers_told(self) -> list[str]:
        return sorted({n.name for n in self.notices if n.role == SPEAKER})

    @property
    def seat_holders_told(self) -> int:
        return len({n.email for n in self.notices if n.role == SEAT_HOLDER})

    @property
    def attendees_told(self) -> int:
        """Attendees told that the conference's own times change."""
        return len({n.email for n in self.notices if n.role == ATTENDEE})


# --- planning ---------------------------------------------------------------------------


def plan_create(
    conference: Conference,
    proposal: SessionFields,
    *,
    notify: bool = True,
    facts: "ConferenceFacts | None" = None,
) -> SessionPlan:
    """A new session. Without ``notify`` the plan tells nobody (bulk loading, before
    anyone holds a seat); every rule is checked all the same. Plans of many new sessions
    share one ``facts`` (see :class:`ConferenceFacts`)."""
    return _plan("create", conference, None, proposal, notify=notify, facts=facts)


def plan_update(
    talk: Talk, proposal: SessionFields, *, facts: "ConferenceFacts | None" = None
) -> SessionPlan:
    """A change of a session; ``facts`` replaces what the plan knows of the rest of the
    conference (the schedule draft plans against the other sessions' draft places)."""
    conference = talk.conference
    if talk.cancelled:
        before = values_of(talk)
        return SessionPlan(
            "update",
            conference.id,
            talk.id,
            before,
            before,
            errors={"": _("A cancelled session cannot be changed.")},
            conflict=True,
        )
    return _plan("update", conference, talk, proposal, notify=True, facts=facts)


def plan_cancel(talk: Talk) -> SessionPlan:
    """Cancelling: speakers and seat holders get a cancellation. Cancelling a cancelled
    session plans nothing."""
    conference = talk.conference
    before = values_of(talk)
    if talk.cancelled:
        return SessionPlan("cancel", conference.id, talk.id, before, before)
    after = replace(before, status="cancelled")
    change = Change("status", _("Scheduled"), _("Cancelled"))
    facts = ConferenceFacts(conference)
    notices: list[Notice] = []
    if before.start_at is not None:
        speakers = facts.speakers(before.speaker_ids)
        notices += [_speaker_notice("session_cancelled", s) for s in speakers if s.email]
        taken = {s.email.lower() for s in speakers if s.email}
        notices += _seat_holder_notices(talk.id, "session_cancelled", taken)
    span_moves = before.start_at is not None and _span_moves(conference, talk.id, after)
    if span_moves:
        notices += _span_notices(conference)
    return SessionPlan(
        "cancel",
        conference.id,
        talk.id,
        before,
        after,
        changes=(change,),
        notices=tuple(notices),
        span_moves=span_moves,
    )


def _plan(
    action: str,
    conference: Conference,
    talk: Talk | None,
    proposal: SessionFields,
    *,
    notify: bool,
    facts: "ConferenceFacts | None",
) -> SessionPlan:
    facts = facts or ConferenceFacts(conference)
    before = values_of(talk) if talk is not None else None
    after, errors = _proposed(facts, before, proposal)
    talk_id = talk.id if talk is not None else None
    if errors:
        return SessionPlan(action, conference.id, talk_id, before, after, errors=errors)
    changes = tuple(_changes(facts, before, after))
    clashes = _clashes(facts, talk_id, after) if after.scheduled else {}
    moves = before is None or any(change.field in PLACEMENT_FIELDS for change in changes)
    if clashes and moves:
        return SessionPlan(
            action,
            conference.id,
            talk_id,
            before,
            after,
            changes,
            errors=clashes,
            conflict=True,
            clashes=clashes,
        )
    notices: list[Notice] = []
    span_moves = False
    if notify and any(change.notifies for change in changes):
        notices = _session_notices(facts, talk_id, before, after)
        timed = after.start_at is not None or (before is not None and before.start_at is not None)
        span_moves = timed and _span_moves(conference, talk_id, after)
        if span_moves:
            notices += _span_notices(conference)
    return SessionPlan(
        action,
        conference.id,
        talk_id,
        before,
        after,
        changes,
        clashes=clashes,
        notices=tuple(notices),
        span_moves=span_moves,
    )


def _proposed(
    facts: "ConferenceFacts", before: SessionValues | None, proposal: SessionFields
) -> tuple[SessionValues, dict[str, str]]:
    """The session's values once the proposal is applied, and what is wrong with them."""
    given = proposal.given()
    current = before or SessionValues()
    errors: dict[str, str] = {}
    # Checked field by field below, then handed to ``replace``.
    values: dict[str, Any] = {}

    if "title" in given or before is None:
        title = given.get("title", "")
        title = title.strip() if isinstance(title, str) else ""
        if not title:
            errors["title"] = _("A session needs a title.")
        elif has_forbidden_characters(title, multiline=False):
            errors["title"] = _("Please use a single line without control characters.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _(
                "The title is too long (at most %(max)d characters).", max=TITLE_MAX
            )
        values["title"] = title
    if "abstract" in given:
        abstract = given["abstract"]
        if not isinstance(abstract, str):
            errors["abstract"] = _("The abstract must be text.")
        elif has_forbidden_characters(abstract, multiline=True):
            errors["abstract"] = _("Please remove the control characters from this text.")
        elif len(abstract) > ABSTRACT_MAX:
            errors["abstract"] = _(
                "The abstract is too long (at most %(max)d characters).", max=ABSTRACT_MAX
            )
        else:
            values["abstract"] = abstract
    if "kind" in given:
        if given["kind"] not in TALK_KINDS:
            errors["kind"] = _("Unknown kind of session.")
        else:
            values["kind"] = given["kind"]
    if "track_id" in given:
        track_id = given["track_id"]
        if track_id is not None and facts.track(track_id) is None:
            errors["track_id"] = _("This conference has no track %(id)s.", id=track_id)
        else:
            values["track_id"] = track_id
    if "room_id" in given:
        room_id = given["room_id"]
        if room_id is not None and facts.room(room_id) is None:
            errors["room_id"] = _("This conference has no room %(id)s.", id=room_id)
        else:
            values["room_id"] = room_id
    if "speaker_ids" in given:
        wanted = _ids(given["speaker_ids"])
        missing = sorted(wanted - {speaker.id for speaker in facts.speakers(wanted)}, key=str)
        if missing:
            errors["speaker_ids"] = _(
                "This conference has no speaker %(ids)s.", ids=", ".join(map(str, missing))
            )
        else:
            values["speaker_ids"] = frozenset(wanted)
    if "capacity" in given:
        try:
            values["capacity"] = check_capacity(given["capacity"])
        except Invalid as refused:
            errors.update(refused.errors)
    if "online_url" in given:
        online_url, refusal = _checked_online_url(given["online_url"])
        if refusal:
            errors["online_url"] = refusal
        else:
            values["online_url"] = online_url
    _check_languages(facts.conference, given, values, errors)
    errors.update(_check_times(current, given, values))
    return replace(current, **values), errors


def _check_languages(
    conference: Conference, given: dict[str, object], values: dict[str, Any], errors: dict[str, str]
) -> None:
    """The session's texts in other languages, its spoken languages and interpretation."""
    if "translations" in given:
        try:
            values["translations"] = clean_translations(
                given["translations"],
                {"title": TITLE_MAX, "abstract": ABSTRACT_MAX},
                main_language=conference.main_language,
                multiline=("abstract",),
            )
        except Invalid as refused:
            errors.update(refused.errors)
    if "languages" in given:
        spoken = given["languages"]
        known = content_languages()
        if not isinstance(spoken, list | tuple) or not all(
            isinstance(code, str) and code in known for code in spoken
        ):
            errors["languages"] = _(
                "Give the spoken languages as a list of: %(languages)s.",
                languages=", ".join(known),
            )
        else:
            values["languages"] = tuple(dict.fromkeys(spoken))
    if "interpretation" in given:
        if not isinstance(given["interpretation"], bool):
            errors["interpretation"] = _("Say true or false.")
        else:
            values["interpretation"] = given["interpretation"]


def _checked_online_url(value: object) -> tuple[str, str | None]:
    """The join link as stored ("" removes it), or why it is refused.

    It goes into invites and e-mails that calendar and mail apps turn into a button, so
    only a plain web address will do: ``javascript:`` or ``data:`` would run in the
    reader's app, and a space or a control character would break the line it is on."""
    refused = _(
        "Give the online link as a full web address starting with https:// (or http://), "
        "without spaces."
    )
    if not isinstance(value, str):
        return "", refused
    link = value.strip()
    if not link:
        return "", None
    if len(link) > ONLINE_URL_MAX:
        return "", _(
            "The online link is too long (at most %(max)d characters).", max=ONLINE_URL_MAX
        )
    if any(character.isspace() for character in link) or has_forbidden_characters(
        link, multiline=False
    ):
        return "", refused
    try:
        parts = urlsplit(link)
        host = parts.hostname  # raises for a malformed [IPv6] part
    except ValueError:
        return "", refused
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "", refused
    return link, None


def _check_times(
    current: SessionValues, given: dict[str, object], values: dict[str, Any]
) -> dict[str, str]:
    if "start_at" not in given and "end_at" not in given:
        return {}
    start, end = given.get("start_at", UNCHANGED), given.get("end_at", UNCHANGED)
    both = _("A new time needs both a start and an end.")
    if start is UNCHANGED or (start is None and end is not None):
        return {"start_at": both}
    if end is UNCHANGED or (end is None and start is not None):
        return {"end_at": both}
    if start is None:  # and end is None: no time
        if current.start_at is not None:
            return {
                "start_at": _(
                    "A scheduled session cannot be taken off the schedule; cancel it instead."
                )
            }
        values["start_at"] = values["end_at"] = None
        return {}
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return {"start_at": _("Give the times as dates with a time of day.")}
    if start.utcoffset() is None or end.utcoffset() is None:
        return {"start_at": _("Times must include their time zone.")}
    skipped = {
        name: _("That time does not exist in %(zone)s: the clocks skip it.", zone=str(at.tzinfo))
        for name, at in (("start_at", start), ("end_at", end))
        if not exists_on_clock(at)
    }
    if skipped:
        return skipped
    # As instants: two datetimes in one zone compare as wall clocks, so 02:30 CEST would
    # come before 02:15 CET of the same autumn night.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return {"end_at": _("A session must end after it starts.")}
    values["start_at"], values["end_at"] = start, end
    return {}


# Which of the two readings of a clock the autumn night shows twice: the first (still in
# summer time) or the second.
FIRST, SECOND = "first", "second"


def session_times(
    tz: ZoneInfo,
    day: date,
    start: time | None,
    end: time | None,
    start_occurrence: str | None = None,
    end_occurrence: str | None = None,
) -> tuple[datetime | None, datetime | None]:
    """The instants of a session typed as a day and two clocks of the conference's zone.

    A clock the zone skips that day is refused, naming the times around the jump; a clock
    it shows twice needs ``FIRST`` or ``SECOND`` to say which, or is refused naming both.
    Refusals are ``Invalid`` on ``start_at`` / ``end_at``."""
    instants: dict[str, datetime | None] = {}
    errors: dict[str, str] = {}
    for name, clock, occurrence in (
        ("start_at", start, start_occurrence),
        ("end_at", end, end_occurrence),
    ):
        instants[name] = None
        if clock is None:
            continue
        found = instants_on_clock(day, clock, tz)
        if not found:
            errors[name] = skipped_time_message(day, clock, tz)
        elif len(found) == 1:
            instants[name] = found[0].astimezone(UTC)
        elif occurrence in (FIRST, SECOND):
            # In UTC: a datetime in the repeated hour never equals one in another zone.
            instants[name] = (found[0] if occurrence == FIRST else found[1]).astimezone(UTC)
        else:
            errors[name] = _(
                "%(clock)s happens twice on %(day)s in %(zone)s, as the clocks go back: "
                "choose %(first)s or %(second)s.",
                clock=clock.strftime("%H:%M"),
                day=format_day_short(day),
                zone=tz.key,
                first=format_clock_with_offset(found[0], tz),
                second=format_clock_with_offset(found[1], tz),
            )
    if errors:
        raise Invalid(errors)
    return instants["start_at"], instants["end_at"]


def _outside_dates(conference: Conference, after: SessionValues) -> str | None:
    start, end = _span(after)
    if not conflicts.outside_dates(
        start, end, conference.start_date, conference.end_date, conference.tz
    ):
        return None
    return _(  # type: ignore[no-any-return]  # flask_babel is untyped
        "“%(title)s” must take place during the conference, from %(first)s to %(last)s.",
        title=after.title,
        first=format_day(conference.start_date),
        last=format_day(conference.end_date),
    )


def _ids(value: object) -> frozenset[object]:
    """The ids given, as a set; what is not a collection of ids is one (unknown) id."""
    try:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            return frozenset({value})
        return frozenset(value)
    except TypeError:  # unhashable
        return frozenset({repr(value)})


def _clashes(facts: "ConferenceFacts", talk_id: int | None, after: SessionValues) -> dict[str, str]:
    """Outside the conference's days, or another session in the same room or with one of
    the same speakers at that time."""
    outside = _outside_dates(facts.conference, after)
    if outside:
        return {"start_at": outside}
    slot = conflicts.Slot(talk_id, after.title, *_span(after), after.room_id, after.speaker_ids)
    tz = facts.conference.tz
    found: dict[str, list[str]] = {}
    for clash in conflicts.clashes_with(slot, facts.overlapping(talk_id, after)):
        when = format_clock_range(clash.other.start, clash.other.end, tz)
        if clash.kind == "room":
            message = _(
                "%(room)s is already taken at that time by “%(other)s” (%(when)s).",
                # The clash is in this session's room, so it has one.
                room=cast(Room, facts.room(after.room_id)).name,
                other=clash.other.title,
                when=when,
            )
            found.setdefault("room_id", []).append(message)
        else:
            names = ", ".join(s.name for s in facts.speakers(clash.speaker_ids))
            message = _(
                "%(speakers)s would be in two places at once: also in “%(other)s” (%(when)s).",
                speakers=names,
                other=clash.other.title,
                when=when,
            )
            found.setdefault("speaker_ids", []).append(message)
    unavailable = _unavailable(facts, after)
    if unavailable:
        message = _(
            "%(speakers)s said they are not available at that time.",
            speakers=", ".join(speaker.name for speaker in unavailable),
        )
        found.setdefault("speaker_ids", []).append(message)
    return {name: " ".join(messages) for name, messages in found.items()}


def _unavailable(facts: "ConferenceFacts", after: SessionValues) -> list[Speaker]:
    """The session's speakers who stated when they are available and whose spans do not
    cover the session's whole time. A speaker who stated nothing is available always."""
    start, end = _span(after)
    spans = facts.availability(after.speaker_ids)
    return [
        speaker
        for speaker in facts.speakers(after.speaker_ids)
        if spans.get(speaker.id) and not covers(spans[speaker.id], start, end)
    ]


def covers(spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether the spans together (adjacent or overlapping ones joined) cover start–end."""
    reached = start
    for span_start, span_end in sorted(spans):
        if span_start > reached:
            break
        reached = max(reached, span_end)
        if reached >= end:
            return True
    return False


# --- the changes, in words ----------------------------------------------------------------


def _changes(
    facts: "ConferenceFacts", before: SessionValues | None, after: SessionValues
) -> Iterator[Change]:
    """Each field that differs, as the conference's organizers read it. A new session lists
    what it is given (each from "—")."""
    if before is None:
        for change in _changes(facts, SessionValues(), after):
            yield replace(change, before="—")
        return
    old = before
    tz = facts.conference.tz
    if (old.start_at, old.end_at) != (after.start_at, after.end_at):
        same_day = (
            old.start_at is not None
            and after.start_at is not None
            and old.start_at.astimezone(tz).date() == after.start_at.astimezone(tz).date()
        )
        yield Change(
            "time",
            _when(old.start_at, old.end_at, tz, with_day=not same_day),
            _when(after.start_at, after.end_at, tz, with_day=not same_day),
        )
    if old.room_id != after.room_id:
        yield Change("room", facts.room_name(old.room_id), facts.room_name(after.room_id))
    if old.title != after.title:
        yield Change("title", _quoted(old.title), _quoted(after.title))
    if old.speaker_ids != after.speaker_ids:
        yield Change(
            "speakers",
            facts.speaker_names(old.speaker_ids),
            facts.speaker_names(after.speaker_ids),
        )
    if old.abstract != after.abstract:
        yield Change("abstract", _excerpt(old.abstract), _excerpt(after.abstract))
    if old.kind != after.kind:
        yield Change("kind", str(KIND_LABELS[old.kind]), str(KIND_LABELS[after.kind]))
    if old.track_id != after.track_id:
        yield Change(
            "track",
            facts.track_name(old.track_id),
            facts.track_name(after.track_id),
        )
    if old.capacity != after.capacity:
        yield Change("capacity", _seats(old.capacity), _seats(after.capacity))
    if old.online_url != after.online_url:
        yield Change("online_url", old.online_url or "—", after.online_url or "—")
    for text in ("title", "abstract"):
        was, now = _translated(old, text), _translated(after, text)
        if was != now:
            yield Change(f"{text}_translations", _texts_in(was, text), _texts_in(now, text))
    if old.languages != after.languages:
        yield Change(
            "languages", ", ".join(old.languages) or "—", ", ".join(after.languages) or "—"
        )
    if old.interpretation != after.interpretation:
        yield Change("interpretation", _offered(old.interpretation), _offered(after.interpretation))


def _translated(values: SessionValues, text: str) -> dict[str, str]:
    return {
        language: texts[text]
        for language, texts in sorted(values.translations.items())
        if texts.get(text)
    }


def _texts_in(texts: dict[str, str], text: str) -> str:
    """Translations as the preview names them: "zh: “…”" (excerpts of abstracts)."""
    if not texts:
        return "—"
    shown = _quoted if text == "title" else _excerpt
    return "; ".join(f"{language}: {shown(value)}" for language, value in texts.items())


def _offered(offered: bool) -> str:
    return _("Offered") if offered else _("Not offered")  # type: ignore[no-any-return]


def _when(start: datetime | None, end: datetime | None, tz: ZoneInfo, *, with_day: bool) -> str:
    if start is None:
        return _("Not scheduled")  # type: ignore[no-any-return]  # flask_babel is untyped
    end = cast(datetime, end)  # a session has both times or neither
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    clocks = f"{local_start:%H:%M}–{local_end:%H:%M}"
    if _shown_twice(local_start, tz) or _shown_twice(local_end, tz):
        # Which 02:30 of the autumn night: the abbreviation in force says it.
        clocks = f"{local_start:%H:%M} {local_start:%Z}–{local_end:%H:%M} {local_end:%Z}"
    if not with_day:
        return clocks
    return f"{format_day_short(start.astimezone(tz).date())} {clocks}"


def _shown_twice(local: datetime, tz: ZoneInfo) -> bool:
    return len(instants_on_clock(local.date(), local.time(), tz)) > 1


def _quoted(title: str) -> str:
    return f"“{title}”" if title else "—"


def _excerpt(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    if not text:
        return "—"
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _seats(capacity: int | None) -> str:
    return _("No limit") if capacity is None else str(capacity)


# --- whom it reaches ----------------------------------------------------------------------


def _speaker_notice(kind: str, speaker: Speaker) -> Notice:
    email = cast(str, speaker.email)  # callers pass speakers who have an address
    return Notice(kind, email.lower(), speaker.name, SPEAKER, speaker_id=speaker.id)


def _session_notices(
    facts: "ConferenceFacts",
    talk_id: int | None,
    before: SessionValues | None,
    after: SessionValues,
) -> list[Notice]:
    """Speakers and seat holders of a session that (still) has a time."""
    if after.start_at is None:
        return []
    if before is None:  # a new session: its speakers are invited; nobody holds a seat yet
        return [
            _speaker_notice("speaker_invited", s)
            for s in facts.speakers(after.speaker_ids)
            if s.email
        ]
    notices = []
    everyone = facts.speakers(before.speaker_ids | after.speaker_ids)
    for speaker in everyone:
        if not speaker.email:
            continue
        if speaker.id not in after.speaker_ids:
            notices.append(_speaker_notice("speaker_removed", speaker))
        elif speaker.id in before.speaker_ids:
            notices.append(_speaker_notice("session_updated", speaker))
        else:
            notices.append(_speaker_notice("speaker_invited", speaker))
    # A speaker who also registered gets the speaker's message only.
    taken = {speaker.email.lower() for speaker in everyone if speaker.email}
    talk_id = cast(int, talk_id)  # an existing session (``before`` is set) has an id
    return notices + _seat_holder_notices(talk_id, "session_updated", taken)


def _seat_holder_notices(talk_id: int, kind: str, skip: set[str]) -> list[Notice]:
    """Attendees whose calendars hold the session: a confirmed seat, an address, and a
    registration that is not cancelled."""
    # NULL addresses are left out, so every row has one.
    rows = cast(
        "Result[int, str, str]",
        db.session.execute(
            sa.select(Registration.id, Registration.email, Registration.full_name)
            .join(SessionSignup, SessionSignup.registration_id == Registration.id)
            .where(
                SessionSignup.talk_id == talk_id,
                SessionSignup.status == "confirmed",
                Registration.status != "cancelled",
                Registration.email.is_not(None),
            )
            .order_by(Registration.id)
        ),
    )
    return [
        Notice(kind, email.lower(), name, SEAT_HOLDER, registration_id=registration_id)
        for registration_id, email, name in rows
        if email.lower() not in skip
    ]


def _span_moves(conference: Conference, talk_id: int | None, after: SessionValues) -> bool:
    return _window_after(conference, talk_id, after) != conference_window(conference)


def _span_notices(conference: Conference) -> list[Notice]:
    """The conference's own event moves with its first or last session: every confirmed
    attendee gets its update."""
    # NULL addresses are left out, so every row has one.
    rows = cast(
        "Result[int, str, str]",
        db.session.execute(
            sa.select(Registration.id, Registration.email, Registration.full_name)
            .where(
                Registration.conference_id == conference.id,
                Registration.status == "confirmed",
                Registration.email.is_not(None),
            )
            .order_by(Registration.id)
        ),
    )
    return [
        Notice("conference_updated", email.lower(), name, ATTENDEE, registration_id=rid)
        for rid, email, name in rows
    ]


def _window_after(
    conference: Conference, talk_id: int | None, after: SessionValues
) -> tuple[datetime, datetime]:
    """The conference's span (see ``invites.events.conference_window``) once the session
    has ``after``'s time and status."""
    query = sa.select(sa.func.min(Talk.start_at), sa.func.max(Talk.end_at)).where(
        Talk.conference_id == conference.id,
        Talk.start_at.is_not(None),
        Talk.status == "scheduled",
    )
    if talk_id is not None:
        query = query.where(Talk.id != talk_id)
    first, last = db.session.execute(query).one()
    if after.scheduled:
        start, end = _span(after)
        first = start if first is None else min(first, start)
        last = end if last is None else max(last, end)
    if first is None:
        tz = conference.tz
        return (
            local_instant(conference.start_date, DEFAULT_DAY_START, tz),
            local_instant(conference.end_date, DEFAULT_DAY_END, tz),
        )
    return first, cast(datetime, last)  # the first start comes with a last end


class ConferenceFacts:
    """What plans look up about a conference: its rooms and tracks (loaded once), its
    speakers (as asked for), and the sessions a new time could clash with.

    Plans of many new sessions in one transaction share one, with ``in_memory`` set: the
    scheduled sessions are then read once and each planned session is added with
    :meth:`add`, instead of one query per plan.
    """

    def __init__(self, conference: Conference, *, in_memory: bool = False):
        self.conference = conference
        self._rooms: dict[int, Room] | None = None
        self._tracks: dict[int, Track] | None = None
        self._speakers: dict[int, Speaker] = {}
        self._slots: list[conflicts.Slot] | None = None
        self._longest = timedelta(0)
        # Each speaker's stated availability, as read (no entry: not read yet).
        self._availability: dict[int, list[tuple[datetime, datetime]]] = {}
        if in_memory:
            self._speakers = {s.id: s for s in self._of_conference(Speaker)}
            self._read_availability(self._speakers.keys())
            self._slots = []
            for slot in self._query_slots(None, None):
                self._remember(slot)

    def room(self, room_id: object) -> Room | None:
        if self._rooms is None:
            self._rooms = {r.id: r for r in self._of_conference(Room)}
        return self._rooms.get(room_id) if _is_row_id(room_id) else None

    def track(self, track_id: object) -> Track | None:
        if self._tracks is None:
            self._tracks = {t.id: t for t in self._of_conference(Track)}
        return self._tracks.get(track_id) if _is_row_id(track_id) else None

    def speakers(self, ids: Iterable[object]) -> list[Speaker]:
        """This conference's speakers among ``ids``, by name; ids that are not are left out."""
        wanted = {i for i in ids if _is_row_id(i)} - self._speakers.keys()
        if wanted:
            for speaker in self._of_conference(Speaker, Speaker.id.in_(wanted)):
                self._speakers[speaker.id] = speaker
        found = [self._speakers[i] for i in ids if i in self._speakers]
        return sorted(found, key=lambda speaker: (speaker.name, speaker.id))

    def availability(self, ids: Iterable[object]) -> dict[int, list[tuple[datetime, datetime]]]:
        """The stated availability (UTC spans) of the speakers among ``ids`` (none stated:
        an empty list, available always)."""
        wanted = {i for i in ids if _is_row_id(i)}
        self._read_availability(wanted - self._availability.keys())
        return {i: self._availability[i] for i in wanted if i in self._availability}

    def _read_availability(self, ids: Iterable[int]) -> None:
        ids = set(ids)
        if not ids:
            return
        for speaker_id in ids:
            self._availability[speaker_id] = []
        rows = db.session.execute(
            sa.select(
                SpeakerAvailability.speaker_id,
                SpeakerAvailability.start_at,
                SpeakerAvailability.end_at,
            )
            .where(SpeakerAvailability.speaker_id.in_(ids))
            .order_by(SpeakerAvailability.start_at)
        )
        for speaker_id, start, end in rows:
            self._availability[speaker_id].append((start, end))

    def room_name(self, room_id: int | None) -> str:
        if room_id is None:
            return _("No room")  # type: ignore[no-any-return]  # flask_babel is untyped
        room = self.room(room_id)
        return room.name if room is not None else "—"

    def track_name(self, track_id: int | None) -> str:
        if track_id is None:
            return _("No track")  # type: ignore[no-any-return]  # flask_babel is untyped
        track = self.track(track_id)
        return track.name if track is not None else "—"

    def speaker_names(self, ids: Iterable[int]) -> str:
        return ", ".join(speaker.name for speaker in self.speakers(ids)) or "—"

    def overlapping(self, talk_id: int | None, after: SessionValues) -> list[conflicts.Slot]:
        """Live scheduled sessions, other than ``talk_id``, whose time overlaps ``after``'s."""
        if self._slots is None:
            return self._query_slots(talk_id, after)
        start, end = _span(after)
        starts = [slot.start for slot in self._slots]
        first = bisect_left(starts, start - self._longest)
        last = bisect_left(starts, end)
        return [
            slot
            for slot in self._slots[first:last]
            if slot.end > start and (slot.id is None or slot.id != talk_id)
        ]

    def add(self, plan: "SessionPlan") -> None:
        """Count a planned new session in (``in_memory`` only)."""
        after = plan.after
        if self._slots is not None and after.scheduled:
            self._remember(
                conflicts.Slot(None, after.title, *_span(after), after.room_id, after.speaker_ids)
            )

    def _remember(self, slot: conflicts.Slot) -> None:
        slots = cast(list[conflicts.Slot], self._slots)  # kept ``in_memory`` only
        insort(slots, slot, key=lambda s: s.start)
        self._longest = max(self._longest, slot.end - slot.start)

    def _of_conference(
        self, model: type[_ConferencePart], *criteria: sa.ColumnElement[bool]
    ) -> Sequence[_ConferencePart]:
        return db.session.scalars(
            sa.select(model).where(model.conference_id == self.conference.id, *criteria)
        ).all()

    def _query_slots(
        self, talk_id: int | None, after: SessionValues | None
    ) -> list[conflicts.Slot]:
        query = (
            sa.select(Talk)
            .where(
                Talk.conference_id == self.conference.id,
                Talk.status == "scheduled",
                Talk.start_at.is_not(None),
            )
            .options(selectinload(Talk.speakers))
            .order_by(Talk.start_at, Talk.id)
        )
        if after is not None:
            query = query.where(Talk.start_at < after.end_at, Talk.end_at > after.start_at)
        if talk_id is not None:
            query = query.where(Talk.id != talk_id)
        return [
            conflicts.Slot(t.id, t.title, *_span(t), t.room_id, frozenset(s.id for s in t.speakers))
            for t in db.session.scalars(query)
        ]


def _is_row_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1
