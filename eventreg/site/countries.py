"""The countries a registration form offers, named and ordered in the reader's language.

CLDR (through Babel) names them, but Babel has no collation, and sorting the names by code
point puts Chinese ones in the order of a character table and "Åland" after "Zimbabwe".
So: Chinese names by their pinyin, the way Chinese forms and dictionaries list them, and
every other language by the name with case and accents set aside. (A full Unicode
collation would need ICU, which this project does not install.)
"""

import unicodedata
from collections.abc import Callable
from functools import cache

from babel import Locale
from pypinyin import lazy_pinyin

# Territory codes in CLDR that are not countries.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


def countries(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of every country, in the order a reader of ``locale`` looks for it."""
    return _countries(str(Locale.parse(locale)))


@cache
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    found = [
        (code, name)
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    ]
    key = sort_key_for(locale)
    return tuple(sorted(found, key=lambda item: (key(item[1]), item[1])))


def sort_key_for(locale: str) -> Callable[[str], str]:
    """The key that orders names the way a reader of ``locale`` expects."""
    if Locale.parse(locale).language == "zh":
        return pinyin_key
    return letters_key


def pinyin_key(name: str) -> str:
    """中国 → zhong guo: Chinese names in the order of their pronunciation."""
    return letters_key(" ".join(lazy_pinyin(name)))


def letters_key(name: str) -> str:
    """Österreich → osterreich: the letters without their accents, case folded."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
