"""Rules about a conference's data that more than one action checks, each written once."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from eventreg.core.errors import Invalid
from eventreg.core.text import has_forbidden_characters
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


def content_languages() -> list[str]:
    """The languages organizers may write their texts in (the site's own languages)."""
    return list(current_app.config["LANGUAGES"])


def clean_translations(
    value: object,
    limits: Mapping[str, int],
    *,
    main_language: str,
    multiline: Iterable[str] = (),
    list_lengths: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """The texts of a translatable row in its other languages, checked as strictly as the
    main-language fields: ``{"zh": {"title": "…"}}``. ``limits`` names the translatable
    fields and their longest text; ``multiline`` those that may hold paragraphs;
    ``list_lengths`` those that are lists (a question's choices) with the length the
    main-language list has. Blank texts are dropped (the reader then gets the main
    language). Refusals are raised as ``Invalid`` on ``translations.<language>.<field>``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Invalid({"translations": _("Give the translations as an object by language.")})
    languages = content_languages()
    multiline = frozenset(multiline)
    list_lengths = list_lengths or {}
    errors: dict[str, str] = {}
    cleaned: dict[str, dict[str, Any]] = {}
    for language, texts in value.items():
        where = f"translations.{language}"
        if language not in languages:
            errors[where] = _(
                "“%(language)s” is not one of this site's languages (%(languages)s).",
                language=language,
                languages=", ".join(languages),
            )
            continue
        if language == main_language:
            errors[where] = _(
                "The main language's text belongs in the fields themselves, not in the "
                "translations."
            )
            continue
        if not isinstance(texts, Mapping):
            errors[where] = _("Give the texts of a language as an object by field.")
            continue
        kept: dict[str, Any] = {}
        for field, text in texts.items():
            at = f"{where}.{field}"
            if field not in limits:
                errors[at] = _(
                    "“%(field)s” cannot be translated; these can: %(fields)s.",
                    field=field,
                    fields=", ".join(limits),
                )
            elif field in list_lengths:
                items, refusal = _clean_list(text, list_lengths[field], limits[field])
                if refusal:
                    errors[at] = refusal
                elif items:
                    kept[field] = items
            else:
                text, refusal = _clean_text(text, limits[field], field in multiline)
                if refusal:
                    errors[at] = refusal
                elif text:
                    kept[field] = text
        if kept:
            cleaned[language] = kept
    if errors:
        raise Invalid(errors)
    return cleaned


def _clean_text(value: object, limit: int, multiline: bool) -> tuple[str, str | None]:
    if value is None:
        return "", None
    if not isinstance(value, str):
        return "", _("Give the text as a string.")
    text = value.strip()
    if has_forbidden_characters(text, multiline=multiline):
        if multiline:
            return "", _("Please remove the control characters from this text.")
        return "", _("Please use a single line without control characters.")
    if len(text) > limit:
        return "", _("Use at most %(n)d characters.", n=limit)
    return text, None


def _clean_list(value: object, length: int, limit: int) -> tuple[list[str], str | None]:
    """A translated list: as many items as the main language has, in its order, or none."""
    if value is None:
        return [], None
    if not isinstance(value, list | tuple):
        return [], _("Give the choices as a list.")
    items = []
    for item in value:
        text, refusal = _clean_text(item, limit, multiline=False)
        if refusal:
            return [], refusal
        items.append(text)
    if not any(items):
        return [], None
    if len(items) != length or not all(items):
        return [], _("Give all %(n)d choices, in the same order as in the main language.", n=length)
    return items, None
