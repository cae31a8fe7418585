"""Every marked string has a finished translation in every catalogue.

The strings are extracted afresh from the code and templates (the same map and keywords as
`make messages`), so a string added without running `make messages`, or merged in but not
yet translated, fails here with its text and the catalogue to fix.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "eventreg" / "translations"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
    # One English word with two meanings ("Name" of a person, of a room) is told apart by
    # a context: pgettext("person", "Name").
    "pgettext": ((1, "c"), 2),
}
LANGUAGES = ["zh", "it"]
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")


# A catalogue entry is found by its msgid and its context (None for most strings).
Key = tuple[str, str | None]


def marked_strings() -> dict[Key, str | tuple[str, str]]:
    """Every marked string of the code and templates, keyed by its msgid and context."""
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    strings = {}
    for _filename, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        key = (msgid, context)
        # A string used both alone and with a plural is one plural entry in the catalogue
        # (gettext falls back to its singular form); keep the plural use.
        if msgid and not isinstance(strings.get(key), tuple):
            strings[key] = message
    return strings


@pytest.fixture(scope="module")
def strings():
    found = marked_strings()
    assert len(found) > 500, "the extraction found the marked strings"
    return found


def load_catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated(strings, language):
    problems = translation_problems(load_catalogue(language), strings)
    assert not problems, f"{language} catalogue:\n" + "\n".join(problems)


def translation_problems(catalogue, strings) -> list[str]:
    problems = []
    for key, message in strings.items():
        entry = catalogue.get(*key)
        name = describe(key)
        if entry is None:
            problems.append(f"missing (run `make messages`): {name}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {name}")
        elif isinstance(message, tuple) and not isinstance(entry.id, tuple):
            problems.append(f"plural forms out of date (run `make messages`): {name}")
        else:
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if len(forms) != catalogue.num_plurals and isinstance(entry.id, tuple):
                problems.append(f"needs {catalogue.num_plurals} plural forms: {name}")
            if not all(forms):
                problems.append(f"untranslated: {name}")
    return problems


def describe(key: Key) -> str:
    msgid, context = key
    return f"{msgid!r} (context {context!r})" if context else repr(msgid)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    catalogue = load_catalogue(language)
    problems = []
    for entry in catalogue:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        expected = placeholders(ids[-1])
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for form in forms:
            if form and placeholders(form) != expected:
                problems.append(f"{ids[0]!r} -> {form!r}")
    assert not problems, f"{language} placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_header_is_usable(language):
    catalogue = load_catalogue(language)
    assert not catalogue.fuzzy, "a fuzzy catalogue is skipped by pybabel compile"
    assert str(catalogue.locale) == language
    assert catalogue.num_plurals == (1 if language == "zh" else 2)


def test_the_check_notices_missing_untranslated_and_fuzzy_strings(strings):
    catalogue = load_catalogue("it")
    already = set(translation_problems(catalogue, strings))  # e.g. strings added since
    plain_keys = [
        key for key in strings if not isinstance(strings[key], tuple) and catalogue.get(*key)
    ]
    catalogue.delete(*plain_keys[0])
    catalogue.get(*plain_keys[1]).string = ""
    catalogue.get(*plain_keys[2]).flags.add("fuzzy")
    new_problems = [p for p in translation_problems(catalogue, strings) if p not in already]
    assert new_problems == [
        f"missing (run `make messages`): {describe(plain_keys[0])}",
        f"untranslated: {describe(plain_keys[1])}",
        f"fuzzy: {describe(plain_keys[2])}",
    ]


def test_the_check_knows_a_word_by_its_context(strings):
    """ "Name" of a person and "Name" of a room are two entries: one translated does not
    hide the other missing."""
    catalogue = load_catalogue("zh")
    assert ("Name", "person") in strings
    assert catalogue.get("Name", "person").string == "姓名"
    assert catalogue.get("Name").string == "名称"
    catalogue.delete("Name", "person")
    assert "missing (run `make messages`): 'Name' (context 'person')" in translation_problems(
        catalogue, strings
    )
