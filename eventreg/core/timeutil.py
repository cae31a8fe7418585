"""Converting stored UTC instants to a conference's wall clock, and naming the zone."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_interval, format_skeleton, get_timezone_location
from flask_babel import get_locale

# Reading the zone names walks the tz database on disk: once per process is enough.
known_timezones = cache(available_timezones)


# The instants every zone's clock can show, with a day to spare for "the day after": Python's
# dates stop at the years 1 and 9999, and a UTC offset or a day's step beyond them overflows
# (an OverflowError, not a refusal). Input outside this span is refused with a message.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def within_calendar(instant: datetime) -> bool:
    """Whether an aware instant lies where every conversion and day's step still works."""
    try:
        return EARLIEST <= instant.astimezone(UTC) <= LATEST
    except OverflowError:  # its offset takes it beyond the year 1 or 9999
        return False


def day_within_calendar(day: date) -> bool:
    return EARLIEST.date() <= day <= LATEST.date()


def is_valid_timezone(name: str) -> bool:
    return name in known_timezones()


def local_instant(day: date, wall_clock: time, tz: ZoneInfo) -> datetime:
    """The instant at which clocks in ``tz`` show ``wall_clock`` on ``day``, for times the
    program chooses itself (midnight, a default day's start).

    On the autumn fold the first occurrence is taken; a time in the spring gap is moved
    forward the way zoneinfo normalises it. Times a person typed go through
    :func:`instants_on_clock` instead, which says when a time does not exist or exists twice.
    """
    return datetime.combine(day, wall_clock, tzinfo=tz)


def instants_on_clock(day: date, wall_clock: time, tz: ZoneInfo) -> tuple[datetime, ...]:
    """Every instant at which clocks in ``tz`` show ``wall_clock`` on ``day``, earliest
    first, each as an aware datetime in ``tz``: usually one; none for a time the clocks skip
    (02:30 on the night Rome springs forward); two for a time they show twice (02:30 on the
    autumn night, first in summer time, then in winter time)."""
    naive = datetime.combine(day, wall_clock)
    found: list[datetime] = []
    for fold in (0, 1):
        # zoneinfo reads a skipped time with one offset or the other; only a reading whose
        # instant shows the same clock again really exists.
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if _wall_clock(instant, tz) == naive and instant not in found:
            found.append(instant)
    return tuple(instant.astimezone(tz) for instant in sorted(found))


def exists_on_clock(instant: datetime) -> bool:
    """Whether an aware datetime names a wall clock its zone really shows (it may not, when
    built with ``tzinfo=ZoneInfo(...)`` at a skipped time). Fixed offsets always exist."""
    tz = instant.tzinfo
    if not isinstance(tz, ZoneInfo):
        return True
    return _wall_clock(instant.astimezone(UTC), tz) == instant.replace(tzinfo=None)


def skipped_clocks(day: date, wall_clock: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """For a time the clocks skip: the local (naive) clock at which they jump and the one
    they jump to, ``02:00`` and ``03:00`` on the night Rome springs forward."""
    naive = datetime.combine(day, wall_clock)
    # Read with the offset in force after the jump, the skipped time lands before the jump;
    # read with the one before it, after the jump. The jump is found between the two.
    before = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    low, high = 0, int((after - before).total_seconds())  # clocks jump on a whole second
    while low < high:
        middle = (low + high) // 2
        if _wall_clock(before + timedelta(seconds=middle), tz) > naive:
            high = middle
        else:
            low = middle + 1
    jump = before + timedelta(seconds=low)
    last_before = _wall_clock(jump - timedelta(seconds=1), tz) + timedelta(seconds=1)
    return last_before, _wall_clock(jump, tz)


def _wall_clock(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def format_offset(instant: datetime, tz: ZoneInfo) -> str:
    """``+02:00``: the zone's offset from UTC at ``instant``."""
    offset = instant.astimezone(tz).utcoffset() or timedelta()
    sign, minutes = ("-" if offset < timedelta() else "+"), abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_clock_with_offset(instant: datetime, tz: ZoneInfo) -> str:
    """``02:30 CEST (+02:00)``: a clock that tells apart the two 02:30s of an autumn night."""
    clock, abbreviation = format_clock(instant, tz), zone_abbreviation(instant, tz)
    return f"{clock} {abbreviation} ({format_offset(instant, tz)})"


def zone_abbreviation(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).tzname() or tz.key


def zone_label(instant: datetime, tz: ZoneInfo) -> str:
    """``CST (Asia/Shanghai)``: the abbreviation in force at ``instant`` and the zone's name."""
    return f"{zone_abbreviation(instant, tz)} ({tz.key})"


def format_clock(instant: datetime, tz: ZoneInfo) -> str:
    """``09:30`` in the zone.

    A 24-hour clock in every language: programmes in China and Italy are written that way,
    and the pattern has no words to translate, so plain ``strftime`` is enough (and cheap:
    a schedule formats thousands of these per page).
    """
    return instant.astimezone(tz).strftime("%H:%M")


def format_clock_with_zone(instant: datetime, tz: ZoneInfo) -> str:
    """``09:30 CST (Asia/Shanghai)``: the wall clock with the zone named both ways."""
    return f"{format_clock(instant, tz)} {zone_label(instant, tz)}"


def format_clock_range(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """``09:30–10:15 CST (Asia/Shanghai)``, or both abbreviations when a DST change falls
    in between: ``01:30 CET – 03:30 CEST (Europe/Rome)``."""
    return clock_span(start, end, tz)[2]


def clock_span(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[str, str, str]:
    """The start clock, the end clock and the range with the zone named, from one
    conversion of each instant (a schedule page needs all three for every session)."""
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    start_clock, end_clock = local_start.strftime("%H:%M"), local_end.strftime("%H:%M")
    start_abbr, end_abbr = local_start.tzname() or tz.key, local_end.tzname() or tz.key
    if start_abbr == end_abbr:
        label = f"{start_clock}–{end_clock} {start_abbr} ({tz.key})"
    else:
        label = f"{start_clock} {start_abbr} – {end_clock} {end_abbr} ({tz.key})"
    return start_clock, end_clock, label


def format_day(day: date | datetime, tz: ZoneInfo | None = None, fmt: str = "full") -> str:
    """A calendar day in the current language; an instant is first moved into ``tz``."""
    if isinstance(day, datetime):
        day = day.astimezone(tz).date()
    return format_date(day, fmt, locale=str(get_locale()))


def format_day_short(day: date) -> str:
    """``Sun, Jan 24``: a day with its weekday, short enough for a row of links."""
    return format_skeleton("MMMEd", day, locale=str(get_locale()))


def format_date_range(start: date, end: date) -> str:
    """``Jan 24 – 25, 2027`` (or a single day), as the current language writes a span."""
    return format_interval(start, end, "yMMMd", locale=str(get_locale()))


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def zone_place(tz: ZoneInfo) -> str:
    """The zone's city in the current language (``Rome``, ``罗马``, ``Roma``)."""
    try:
        return get_timezone_location(tz, locale=str(get_locale()), return_city=True)
    except LookupError:  # a zone the CLDR names no city for
        return tz.key.rsplit("/", 1)[-1].replace("_", " ")


class ViewerClock:
    """Times of a conference shown again on the viewer's own clock: ``Rome 02:30–03:15``,
    with the viewer's day added when it is not the conference's day (a 07:30 session in
    Shenzhen is the evening before in Rome). Labels are cached per instant, as parallel
    sessions share their times."""

    def __init__(self, tz: ZoneInfo, conference_tz: ZoneInfo):
        self.tz = tz
        self.conference_tz = conference_tz
        self.place = zone_place(tz)
        self._labels: dict[tuple[datetime, ...], str] = {}

    def span(self, start: datetime, end: datetime) -> str:
        key = (start, end)
        if key not in self._labels:
            local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
            clocks = f"{local_start:%H:%M}–{local_end:%H:%M}"
            self._labels[key] = self._label(start, local_start, clocks)
        return self._labels[key]

    def instant(self, at: datetime) -> str:
        key = (at,)
        if key not in self._labels:
            local = at.astimezone(self.tz)
            self._labels[key] = self._label(at, local, f"{local:%H:%M}")
        return self._labels[key]

    def _label(self, instant: datetime, local: datetime, clocks: str) -> str:
        if local.date() != instant.astimezone(self.conference_tz).date():
            return f"{self.place} {format_day_short(local.date())} {clocks}"
        return f"{self.place} {clocks}"
