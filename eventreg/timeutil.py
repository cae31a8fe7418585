"""Converting stored UTC instants to a conference's wall clock, and naming the zone."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_time
from flask_babel import get_locale


def is_valid_timezone(name: str) -> bool:
    return name in available_timezones()


def local_instant(day: date, wall_clock: time, tz: ZoneInfo) -> datetime:
    """The instant at which clocks in ``tz`` show ``wall_clock`` on ``day``.

    On the autumn fold the first occurrence is taken; a time in the spring gap is moved
    forward the way zoneinfo normalises it.
    """
    return datetime.combine(day, wall_clock, tzinfo=tz)


def zone_abbreviation(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).tzname() or tz.key


def format_clock(instant: datetime, tz: ZoneInfo) -> str:
    """``09:30`` in the zone, formatted for the current locale."""
    # 24-hour clock everywhere: conference programmes in China and Italy are written that way.
    return format_time(instant.astimezone(tz), "HH:mm", tzinfo=tz, locale=str(get_locale()))


def format_clock_with_zone(instant: datetime, tz: ZoneInfo) -> str:
    """``09:30 CST (Asia/Shanghai)``: the wall clock with the zone named both ways."""
    return f"{format_clock(instant, tz)} {zone_abbreviation(instant, tz)} ({tz.key})"


def format_day(day: date | datetime, tz: ZoneInfo | None = None, fmt: str = "full") -> str:
    if isinstance(day, datetime):
        day = day.astimezone(tz).date()
    return format_date(day, fmt, locale=str(get_locale()))


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()
