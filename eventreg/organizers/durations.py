"""Durations as organizers type and read them: "1 day, 1 hour" is ``[1440, 60]`` minutes.

The words are those of the page's language (``ngettext`` of "%(num)d day" and its kin) and,
always, the English ones and their abbreviations (d, h, min), so a typed value never depends
on the language the workspace happens to show. A list separates its durations with commas
(or semicolons, or their CJK forms); one duration may combine units ("1 hour 30 minutes").
"""

import re

from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import StringField

# The units offered, largest first, with their length in minutes; weeks are read, not written.
_UNITS = (("day", 24 * 60), ("hour", 60), ("minute", 1))
_ENGLISH = {
    "w": 7 * 24 * 60,
    "wk": 7 * 24 * 60,
    "week": 7 * 24 * 60,
    "weeks": 7 * 24 * 60,
    "d": 24 * 60,
    "day": 24 * 60,
    "days": 24 * 60,
    "h": 60,
    "hr": 60,
    "hrs": 60,
    "hour": 60,
    "hours": 60,
    "m": 1,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
}
_SEPARATORS = re.compile(r"[,;，；、]")
_AMOUNT = re.compile(r"\s*(\d{1,6})\s*([^\d\s]+)\s*")


def _count(unit: str, number: int) -> str:
    if unit == "day":
        return ngettext("%(num)d day", "%(num)d days", number)
    if unit == "hour":
        return ngettext("%(num)d hour", "%(num)d hours", number)
    return ngettext("%(num)d minute", "%(num)d minutes", number)


def format_duration(minutes: int) -> str:
    """``90`` → "1 hour 30 minutes", in the current language; ``0`` → "0 minutes"."""
    parts = []
    left = minutes
    for unit, size in _UNITS:
        number, left = divmod(left, size)
        if number:
            parts.append(_count(unit, number))
    return " ".join(parts) or _count("minute", 0)


def format_durations(values: list[int]) -> str:
    return ", ".join(format_duration(minutes) for minutes in values)


def _unit_words() -> dict[str, int]:
    """Every word read as a unit: the English ones and the current language's forms."""
    words = dict(_ENGLISH)
    for unit, size in _UNITS:
        for number in (1, 2, 5):  # enough to meet every plural form of our languages
            word = _count(unit, number).replace(str(number), "").strip().casefold()
            if word:
                words.setdefault(word, size)
    return words


def parse_duration(text: str, words: dict[str, int] | None = None) -> int:
    """Minutes in ``text`` ("1 hour 30 minutes", "2d"); ValueError with a message to show."""
    words = words or _unit_words()
    position, total = 0, 0
    text = text.strip()
    while position < len(text):
        found = _AMOUNT.match(text, position)
        if found is None or found.group(2).casefold() not in words:
            raise ValueError(
                _(
                    "“%(text)s” is not a duration: write a number and a unit, "
                    "such as “1 day” or “30 minutes”.",
                    text=text,
                )
            )
        total += int(found.group(1)) * words[found.group(2).casefold()]
        position = found.end()
    return total


def parse_durations(text: str) -> list[int]:
    """``"1 day, 1 hour"`` → ``[1440, 60]``; empty text is an empty list."""
    words = _unit_words()
    items = [item.strip() for item in _SEPARATORS.split(text or "")]
    return [parse_duration(item, words) for item in items if item]


class DurationListField(StringField):
    """A text field holding durations in minutes: a list, or with ``single`` one duration
    or None (left empty)."""

    def __init__(self, *args: object, single: bool = False, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.single = single

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None or self.data == []:
            return ""
        if self.single:
            return format_duration(self.data)
        return format_durations(list(self.data))

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        values = parse_durations(valuelist[0])
        if not self.single:
            self.data = values
            return
        if len(values) > 1:
            self.data = None
            raise ValueError(_("Give one duration only."))
        self.data = values[0] if values else None
