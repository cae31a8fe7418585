"""The rule for content in several languages: the reader's, else the main one, never blank."""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale

from eventreg.core.translations import (
    missing_languages,
    text_and_language,
    text_in,
    with_translation,
)


@dataclass
class Item:
    title: str = "Opening keynote"
    abstract: str = ""
    choices: list[str] = field(default_factory=list)
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)


def test_the_reader_gets_their_language_else_the_main_one():
    item = Item(translations={"zh": {"title": "开幕主旨演讲"}})
    assert text_in(item, "title", "zh") == "开幕主旨演讲"
    assert text_in(item, "title", "it") == "Opening keynote"
    assert text_and_language(item, "title", "it", main="en") == ("Opening keynote", "en")


def test_a_blank_main_text_falls_back_to_any_language_that_has_it():
    item = Item(translations={"it": {"abstract": "Una sessione."}, "zh": {"abstract": "  "}})
    assert text_and_language(item, "abstract", "zh", main="en") == ("Una sessione.", "it")
    assert text_in(Item(), "abstract", "zh") == ""


def test_the_current_locale_is_the_default_reader(app):
    item = Item(translations={"it": {"title": "Discorso di apertura"}})
    with app.test_request_context(), force_locale("it"):
        assert text_in(item, "title") == "Discorso di apertura"


def test_lists_count_as_missing_only_when_every_entry_is_blank():
    item = Item(choices=["Vegetarian", "None"], translations={"zh": {"choices": ["", ""]}})
    assert text_in(item, "choices", "zh") == ["Vegetarian", "None"]
    assert missing_languages(item, ["title", "choices"], ["en", "zh", "it"], "en") == {
        "zh": ["title", "choices"],
        "it": ["title", "choices"],
    }


def test_setting_a_translation_returns_a_new_mapping_and_drops_blanks():
    before = {"zh": {"title": "旧"}}
    after = with_translation(before, "zh", "title", "新")
    assert after == {"zh": {"title": "新"}} and before == {"zh": {"title": "旧"}}
    assert with_translation(after, "zh", "title", " ") == {}
