"""What text people type may contain: no control characters, which would end up in e-mail
headers and calendar files (and which PostgreSQL refuses outright, in the case of NUL)."""

import unicodedata
from collections.abc import Iterable

from babel.lists import format_list
from flask_babel import get_locale

# Invisible characters that reorder text: a classic way to disguise a name or a link.
DIRECTION_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_forbidden_characters(text: str, *, multiline: bool) -> bool:
    """Whether ``text`` holds a control character, a lone surrogate, a direction override,
    or (unless ``multiline``) a line break; tabs and line breaks are fine in paragraphs."""
    allowed = "\n\t" if multiline else ""
    for char in text.replace("\r\n", "\n") if multiline else text:
        if char in allowed:
            continue
        # Cc: control characters (CR, LF, NUL, ...); Zl/Zp: Unicode line and paragraph breaks.
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp", "Cs") or char in DIRECTION_OVERRIDES:
            return True
    return False


def list_text(items: Iterable[object]) -> str:
    """Items joined as the reader's language joins a list: "A, B, and C" in English,
    "A、B和C" in Chinese, "A, B e C" in Italian (CLDR's patterns, through Babel)."""
    return format_list([str(item) for item in items], locale=get_locale() or "en")
