"""Words that read right in each language: a conference's places are seats (not locations),
an attendee's name is a person's name, and the examples a help text gives can be typed."""

import re

import pytest
from flask import render_template_string
from flask_babel import force_locale

from eventreg.organizers.durations import parse_duration
from eventreg.organizers.forms import ConferenceForm
from tests.factories import make_conference
from tests.registration.helpers import latest_link_for, page_text, register


@pytest.mark.parametrize(
    ("language", "word", "wrong"), [("zh", "名额", "地点"), ("it", "Posti", "Luoghi")]
)
def test_the_conference_capacity_is_called_seats_not_locations(client, app, language, word, wrong):
    make_conference(slug="expo", capacity=120)

    text = page_text(client.get(f"/c/expo/?lang={language}"))

    assert f"{word} 120" in text
    assert wrong not in text


def test_the_management_page_names_the_person_with_a_persons_name(app, client):
    conference = make_conference(capacity=10)
    register(app.test_client(), conference, full_name="王小明", email="wang@example.org")

    text = page_text(client.get(latest_link_for("wang@example.org") + "?lang=zh"))

    assert "姓名 王小明" in text
    assert "名称" not in text


QUOTED = re.compile(r"[“«]([^”»]+)[”»]")


@pytest.mark.parametrize("language", ["en", "zh", "it"])
@pytest.mark.parametrize("field", ["conference_reminder_minutes", "session_reminder_minutes"])
def test_every_example_of_a_reminder_help_can_be_typed(app, language, field):
    with app.test_request_context(), force_locale(language):
        help_text = str(getattr(ConferenceForm, field).kwargs["description"])
        examples = QUOTED.findall(help_text)
        assert examples, help_text
        for example in examples:
            for duration in re.split(r"[,，]", example):
                assert parse_duration(duration) > 0, (language, duration)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Li Na, Marco Rossi, and Anna Bianchi"),
        ("zh", "Li Na、Marco Rossi和Anna Bianchi"),
        ("it", "Li Na, Marco Rossi e Anna Bianchi"),
    ],
)
def test_names_in_a_sentence_are_joined_as_the_readers_language_joins_them(app, language, expected):
    names = ["Li Na", "Marco Rossi", "Anna Bianchi"]
    with app.test_request_context(f"/?lang={language}"), force_locale(language):
        assert render_template_string("{{ names|list_text }}", names=names) == expected
