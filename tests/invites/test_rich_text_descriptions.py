"""Calendars get the plain text of Markdown abstracts and descriptions, in every parser."""

import json
import subprocess
from pathlib import Path

import icalendar
import pytest
import vobject

from tests.factories import make_conference, make_talk
from tests.invites.parsers import ROOT, parse_agreed

ICALJS_DESCRIPTIONS = Path(__file__).with_name("icaljs_descriptions.mjs")

# As a browser sends it: CRLF line ends.
ABSTRACT = (
    "Why **Shenzhen** and Italy work together.\r\n\r\n"
    "- clinical research\r\n"
    "- [pharmaceutical development](https://example.org/pharma)"
)
ABSTRACT_PLAIN = (
    "Why Shenzhen and Italy work together.\n\n"
    "- clinical research\n"
    "- pharmaceutical development (https://example.org/pharma)"
)


def descriptions(data: bytes) -> dict[str, str]:
    """DESCRIPTION by UID, after checking icalendar, vobject and ical.js read the same."""
    parse_agreed(data)
    by_icalendar = {
        str(event["UID"]): str(event["DESCRIPTION"])
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT")
    }
    by_vobject = {
        event.uid.value: event.description.value
        for event in vobject.readOne(data.decode()).contents["vevent"]
    }
    result = subprocess.run(
        ["node", str(ICALJS_DESCRIPTIONS)], input=data, capture_output=True, cwd=ROOT, check=True
    )
    by_icaljs = json.loads(result.stdout)
    assert by_icalendar == by_vobject == by_icaljs
    return by_icalendar


@pytest.fixture
def conference(app):
    return make_conference(
        slug="rich",
        description="Two days of **exchange** in [Shenzhen](https://example.org).\r\n\r\nMore.",
    )


def test_a_session_description_holds_the_abstract_as_plain_text(client, conference):
    talk = make_talk(conference, title="A bridge", abstract=ABSTRACT)

    (description,) = descriptions(client.get(f"/c/rich/sessions/{talk.id}.ics").data).values()

    assert description.startswith(ABSTRACT_PLAIN + "\n\n")
    assert "**" not in description and "](" not in description and "\r" not in description


def test_the_conference_event_opens_with_the_first_paragraph_as_plain_text(client, conference):
    (description,) = descriptions(client.get("/c/rich/schedule.ics").data).values()

    assert description.startswith("Two days of exchange in Shenzhen (https://example.org).\n\n")
    assert "More." not in description
