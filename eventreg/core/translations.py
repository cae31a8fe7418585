"""Content in several languages: what organizers write, in each language they write it.

A translatable model keeps its text in the conference's main language in its own columns
(``Talk.title``) and the other languages in one JSON column, ``translations``, shaped
``{"zh": {"title": "…", "abstract": "…"}, "it": {…}}``. Readers get their language, else the
main language, else any language that has the text: never a blank while some language has it.

Keeping the main language in the columns means everything that knows nothing of languages
(sorting, clash messages, the audit log, old data) still reads real text.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from flask_babel import get_locale


class Translatable(Protocol):
    translations: dict[str, dict[str, Any]]


def reader_language() -> str | None:
    """The language of the current request or ``force_locale`` block (None outside both)."""
    locale = get_locale()
    return locale.language if locale is not None else None


def text_in(obj: Translatable, field: str, language: str | None = None) -> Any:
    """``field`` of ``obj`` for a reader of ``language`` (default: the current one)."""
    return text_and_language(obj, field, language)[0]


def text_and_language(
    obj: Translatable, field: str, language: str | None = None, main: str | None = None
) -> tuple[Any, str | None]:
    """``field`` for a reader of ``language`` and the language it is actually in (``main``
    for the columns' own text, when given), so pages can mark text in another language
    with ``lang=`` for screen readers and fonts."""
    language = language or reader_language()
    translations: Mapping[str, Mapping[str, Any]] = obj.translations or {}
    own = translations.get(language or "", {}).get(field)
    if language != main and _present(own):
        return own, language
    base = getattr(obj, field)
    if _present(base):
        return base, main
    for other, texts in sorted(translations.items()):
        if _present(texts.get(field)):
            return texts[field], other
    return base, main


def missing_languages(
    obj: Translatable, fields: Iterable[str], languages: Iterable[str], main: str
) -> dict[str, list[str]]:
    """For each language other than ``main``, the fields that have text in the main language
    but none in that language (what the organizer's forms mark as missing)."""
    translations = obj.translations or {}
    result: dict[str, list[str]] = {}
    for language in languages:
        if language == main:
            continue
        result[language] = [
            field
            for field in fields
            if _present(getattr(obj, field))
            and not _present(translations.get(language, {}).get(field))
        ]
    return result


def with_translation(
    translations: Mapping[str, Mapping[str, Any]] | None, language: str, field: str, value: Any
) -> dict[str, dict[str, Any]]:
    """A copy of ``translations`` with ``field`` in ``language`` set (or removed when
    blank), as a new object so that the ORM sees the JSON column change."""
    result = {lang: dict(texts) for lang, texts in (translations or {}).items()}
    texts = result.setdefault(language, {})
    if _present(value):
        texts[field] = value
    else:
        texts.pop(field, None)
    return {lang: texts for lang, texts in result.items() if texts}


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple):
        return any(_present(item) for item in value)
    return True
