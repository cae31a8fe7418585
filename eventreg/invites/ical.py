"""iCalendar objects built with the icalendar library: invites (iTIP) and feeds.

Everything here works on plain :class:`CalendarEvent` values, so e-mails (built from ORM
objects) and feeds (built from narrow rows) share one serializer.

Times are written as UTC instants (``DTSTART:20271128T013000Z``), never floating and never
with a TZID: the database stores instants, every calendar app shows them in its user's own
zone, and no VTIMEZONE can be misread (see the README, "Calendar invites").
"""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from icalendar import (
    STATUS,
    TRANSP,
    Alarm,
    Calendar,
    Event,
    vCalAddress,
    vDatetime,
    vDuration,
    vInt,
    vText,
    vUri,
)
from icalendar.parser import Contentline

PRODID = "-//eventreg//eventreg conference registration//EN"

# Control characters have no place in a property parameter such as CN.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: a conference or one of its sessions, as a calendar app will show it."""

    uid: str
    sequence: int
    # DTSTAMP: in e-mails the moment the message was made; in feeds the last change.
    stamp: datetime
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    url: str
    organizer_name: str
    organizer_email: str
    cancelled: bool = False
    # Not (yet) certain, e.g. the conference for someone on its waiting list: shown as free.
    tentative: bool = False
    # Where people holding the session join it online; only in invites and personal agendas.
    online_url: str = ""
    online_label: str = ""
    # A VALARM this long before the start (invites only, when the conference asks for it).
    alarm_before: timedelta | None = None


@dataclass(frozen=True)
class Attendee:
    """The one person an invite is addressed to; nobody else is ever listed."""

    name: str
    email: str
    role: str = "REQ-PARTICIPANT"
    # Ask the calendar app for a reply (Accept / Tentative / Decline); only when the
    # ORGANIZER address is one whose replies are read (``invites.replies``).
    rsvp: bool = False


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("calendar times must be aware instants, never floating")
    return instant.astimezone(UTC).replace(microsecond=0)


def _parameter_text(value: str) -> str:
    # A double quote cannot appear in a quoted parameter, and RFC 6868's escapes are not
    # understood by every parser; a name keeps its meaning with a plain apostrophe.
    return _CONTROL.sub(" ", value).replace('"', "'").strip()


def _status(event: CalendarEvent) -> STATUS:
    if event.cancelled:
        return STATUS.CANCELLED
    return STATUS.TENTATIVE if event.tentative else STATUS.CONFIRMED


def _conference_property(event: CalendarEvent) -> vUri:
    # RFC 7986 CONFERENCE: calendar apps show a "Join" button for it.
    # A comma is percent-encoded: vobject reads an unknown property's value as a list.
    conference = vUri(event.online_url.replace(",", "%2C"))
    conference.params["VALUE"] = "URI"
    conference.params["FEATURE"] = ["AUDIO", "VIDEO"]
    if event.online_label:
        conference.params["LABEL"] = _parameter_text(event.online_label)
    return conference


def _organizer(event: CalendarEvent) -> vCalAddress:
    return vCalAddress.new(event.organizer_email, cn=_parameter_text(event.organizer_name) or None)


def event_component(event: CalendarEvent, attendee: Attendee | None = None) -> Event:
    organizer = _organizer(event)
    component = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=_utc(event.stamp),
        start=_utc(event.start),
        end=_utc(event.end),
        summary=event.summary,
        location=event.location or None,
        description=event.description or None,
        url=event.url or None,
        organizer=organizer,
        status=_status(event),
        # Sessions are time the attendee has committed to: show it as busy.
        transparency=TRANSP.TRANSPARENT if event.tentative else TRANSP.OPAQUE,
    )
    if event.online_url:
        component.add("conference", _conference_property(event))
    if attendee is not None:
        component.add(
            "attendee",
            vCalAddress.new(
                attendee.email,
                cn=_parameter_text(attendee.name) or None,
                cutype="INDIVIDUAL",
                role=attendee.role,
                # They signed up themselves: they are going. With RSVP the calendar app still
                # offers Accept / Tentative / Decline, and the answer comes back by mail.
                partstat="ACCEPTED",
                rsvp=attendee.rsvp,
            ),
        )
    if event.alarm_before is not None and not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -event.alarm_before)
        component.add_component(alarm)
    return component


def _line(name: str, value: object) -> str:
    params = getattr(value, "params", None)
    text = value.to_ical().decode()  # type: ignore[attr-defined]  # every icalendar value has it
    head = f"{name};{params.to_ical().decode()}" if params else name
    line = f"{head}:{text}"
    # Lines under 75 octets are never folded; longer ones are folded by the library.
    if len(line) < 75 and line.isascii():
        return line
    return Contentline(line).to_ical().decode()  # type: ignore[no-untyped-call,no-any-return]


def feed_event(event: CalendarEvent) -> bytes:
    """One feed VEVENT, byte for byte what ``event_component(event).to_ical()`` writes.

    A feed holds thousands of events and the library's generic component (building it,
    ordering its properties, folding every line character by character) costs three times
    what the output needs. Here the same values are written by the library's own value
    types, in the order it writes them (its canonical order, then the alphabet), and long
    lines are folded by its own folding; tests hold the two to the same bytes. Events
    with an alarm (invites only) go through the component.
    """
    if event.alarm_before is not None:
        return event_component(event).to_ical()  # type: ignore[no-any-return]
    lines = [
        "BEGIN:VEVENT",
        _line("SUMMARY", vText(event.summary)),
        _line("DTSTART", vDatetime(_utc(event.start))),
        _line("DTEND", vDatetime(_utc(event.end))),
        _line("DTSTAMP", vDatetime(_utc(event.stamp))),
        _line("UID", vText(event.uid)),
        _line("SEQUENCE", vInt(event.sequence)),
    ]
    if event.online_url:
        lines.append(_line("CONFERENCE", _conference_property(event)))
    if event.description:
        lines.append(_line("DESCRIPTION", vText(event.description)))
    if event.location:
        lines.append(_line("LOCATION", vText(event.location)))
    lines.append(_line("ORGANIZER", _organizer(event)))
    lines.append(f"STATUS:{_status(event)}")
    lines.append(f"TRANSP:{TRANSP.TRANSPARENT if event.tentative else TRANSP.OPAQUE}")
    if event.url:
        lines.append(_line("URL", vUri(event.url)))
    lines.append("END:VEVENT\r\n")
    return "\r\n".join(lines).encode()


def invite(method: str, event: CalendarEvent, attendee: Attendee) -> bytes:
    """An iTIP message (REQUEST or CANCEL) for one event, addressed to one person; or
    (PUBLISH) a copy of the event for reference, as reminders carry it.

    One UID per message: iTIP treats each UID as its own scheduling conversation, and mail
    clients act on a single event per message.
    """
    if method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    if method == "CANCEL":
        event = replace(event, cancelled=True)
    calendar = Calendar.new(
        prodid=PRODID,
        method=method,
        # RFC 5546 3.2.1: a published event lists no attendees.
        subcomponents=[event_component(event, None if method == "PUBLISH" else attendee)],
    )
    # A calendar-level UID (RFC 7986) names a whole calendar; a message is not one.
    del calendar["UID"]
    return calendar.to_ical()  # type: ignore[no-any-return]  # unannotated in icalendar


def feed(
    events: list[bytes],
    *,
    name: str,
    description: str,
    uid: str,
    refresh: timedelta,
) -> bytes:
    """A published calendar (METHOD:PUBLISH) for downloads and webcal subscriptions, from
    events serialized by :func:`feed_event` (each one can be cached on its own).

    The output depends only on its arguments, so equal data gives equal bytes.
    Feeds never list attendees: they are shared freely between people and devices.
    """
    calendar = Calendar.new(
        prodid=PRODID,
        method="PUBLISH",
        name=name,
        description=description or None,
        uid=uid,
        refresh_interval=refresh,
    )
    # RFC 7986 requires the VALUE parameter here; the library leaves it out.
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    # The library writes the calendar's name (and X-WR-CALDESC) unescaped, so a comma or a
    # semicolon in a title cuts it short in vobject. Escaped as TEXT, and saying so (ical.js
    # and icalendar do not know these properties are TEXT), every parser reads them whole.
    texts = {"NAME": name, "X-WR-CALNAME": name, "X-WR-CALDESC": description}
    for key, value in texts.items():
        if value:
            calendar[key] = vText(value)
            calendar[key].params["VALUE"] = "TEXT"
    # The same hint under the name Outlook and older clients read (X-WR-CALNAME and
    # X-WR-CALDESC are written by the library next to NAME and DESCRIPTION).
    calendar.add("x-published-ttl", vDuration(refresh))
    # The calendar's own lines, with the events where the library puts subcomponents:
    # after the properties, before END:VCALENDAR.
    head = calendar.to_ical().removesuffix(b"END:VCALENDAR\r\n")
    return b"".join([head, *events, b"END:VCALENDAR\r\n"])
