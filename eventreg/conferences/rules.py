"""Rules about a conference's data that more than one action checks, each written once."""

from flask_babel import gettext as _

from eventreg.core.errors import Invalid


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
