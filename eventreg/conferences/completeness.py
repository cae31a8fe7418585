"""How completely a conference is written in each of its languages: for each language other
than the main one, how many of the texts the main language has are written in it too, and
which are missing (the dashboard lists them with links to their forms)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.conferences.rules import content_languages
from eventreg.core.extensions import db
from eventreg.core.translations import missing_languages


@dataclass(frozen=True)
class MissingTexts:
    """The texts of one row that a language lacks."""

    kind: str  # conference, room, track, speaker, session or question
    row_id: int
    label: str  # the row's name in the main language
    fields: tuple[str, ...]


@dataclass(frozen=True)
class LanguageCompleteness:
    language: str
    written: int
    total: int
    missing: tuple[MissingTexts, ...]

    @property
    def complete(self) -> bool:
        return self.written == self.total


def conference_rows(conference: Conference) -> list[tuple[str, Any]]:
    """The conference and what belongs to it that has texts, as (kind, row)."""
    rows: list[tuple[str, Any]] = [("conference", conference)]
    for kind, model, order in (
        ("room", Room, (Room.position, Room.id)),
        ("track", Track, (Track.name,)),
        ("speaker", Speaker, (Speaker.name,)),
        ("session", Talk, (Talk.start_at, Talk.id)),
    ):
        found = db.session.scalars(
            sa.select(model).filter_by(conference_id=conference.id).order_by(*order)
        )
        rows += [(kind, row) for row in found]
    return rows


def completeness(
    conference: Conference, extra_rows: Iterable[tuple[str, Any]] = ()
) -> list[LanguageCompleteness]:
    """Each language other than the main one, in the configured order. ``extra_rows`` adds
    rows of the layers above (the registration questions)."""
    main = conference.main_language
    languages = [language for language in content_languages() if language != main]
    rows = conference_rows(conference) + list(extra_rows)
    totals = dict.fromkeys(languages, 0)
    written = dict.fromkeys(languages, 0)
    missing: dict[str, list[MissingTexts]] = {language: [] for language in languages}
    for kind, row in rows:
        fields = row.translated_fields
        present = [field for field in fields if _present(getattr(row, field))]
        lacking = missing_languages(row, fields, languages, main)
        for language in languages:
            totals[language] += len(present)
            written[language] += len(present) - len(lacking[language])
            if lacking[language]:
                missing[language].append(
                    MissingTexts(kind, row.id, _label(row), tuple(lacking[language]))
                )
    return [
        LanguageCompleteness(
            language, written[language], totals[language], tuple(missing[language])
        )
        for language in languages
    ]


def _label(row: Any) -> str:
    for attribute in ("name", "label", "title"):
        value = getattr(row, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _present(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(isinstance(item, str) and item.strip() for item in value)
    return value is not None
