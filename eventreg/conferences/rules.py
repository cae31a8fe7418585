"""Rules about a conference's data that more than one action checks, each written once."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from eventreg.core.errors import Invalid
from eventreg.core.timeutil import format_day_short, skipped_clocks


def check_capacity(value: object, field: str = "capacity") -> int | None:
    """A number of seats: a whole number, 0 or more, or None for "no limit".

    Conferences, sessions and rooms all use this rule; the database's CHECK constraints
    back it. ``True`` is not 1: a JSON boolean is refused like any other non-number.
    """
    if value is None:
        return None
    # Beyond 2**31 - 1 the integer column could not store it (PostgreSQL would refuse it).
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise Invalid({field: _("Give a number of seats (0 or more), or leave it empty.")})
    return value


def skipped_time_message(day: date, clock: time, tz: ZoneInfo) -> str:
    """Why a clock the zone skips that day cannot be a time, and which ones can."""
    jump, landing = skipped_clocks(day, clock, tz)
    last = jump - timedelta(minutes=1)

    def named(local: datetime) -> str:
        # The day as well when the jump crosses midnight (a zone that skips a whole day).
        shown = local.strftime("%H:%M")
        return shown if local.date() == day else f"{shown} ({format_day_short(local.date())})"

    return _(  # type: ignore[no-any-return]  # flask_babel is untyped
        "%(clock)s does not exist on %(day)s in %(zone)s: clocks go from %(jump)s to "
        "%(landing)s; choose %(last)s or earlier, or %(landing)s or later.",
        clock=clock.strftime("%H:%M"),
        day=format_day_short(day),
        zone=tz.key,
        jump=named(jump),
        landing=named(landing),
        last=named(last),
    )
