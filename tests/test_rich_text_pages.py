"""Markdown texts as the public pages, the API and the frab export show them."""

import lxml.html
import pytest

from tests.factories import make_conference, make_speaker, make_talk, make_track

# Typed in a browser: CRLF line ends.
ABSTRACT = (
    "Why **Shenzhen** and Italy work together.\r\n\r\n"
    "The talk covers:\r\n\r\n"
    "- clinical research\r\n"
    "- [pharmaceutical development](https://example.org/pharma)\r\n\r\n"
    "<script>alert(1)</script>"
)
ABSTRACT_PLAIN = (
    "Why Shenzhen and Italy work together.\n\n"
    "The talk covers:\n\n"
    "- clinical research\n"
    "- pharmaceutical development (https://example.org/pharma)\n\n"
    "<script>alert(1)</script>"
)


@pytest.fixture
def talk(app):
    conference = make_conference(
        slug="rich", description="Two days of *exchange*.\r\n\r\n- talks\r\n- workshops"
    )
    make_track(conference, name="Biomedicine", description="New **medicines**.\r\n\r\nAnd more.")
    speaker = make_speaker(
        conference, name="Sun Xiaoyu", bio="Leads *the office*.\r\n\r\nSince 2020."
    )
    return make_talk(conference, title="A bridge", abstract=ABSTRACT, speakers=[speaker])


def prose(client, path: str, heading: str):
    """The rich text under the section headed ``heading``."""
    response = client.get(path)
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.data)
    (section,) = doc.xpath(f"//section[h2[normalize-space()='{heading}']]//div[@class='prose']")
    return section


def test_the_session_page_shows_the_abstract_with_its_paragraphs_and_list(client, talk):
    abstract = prose(client, f"/c/rich/sessions/{talk.id}", "Abstract")

    paragraphs = [p.text_content() for p in abstract.xpath("./p")]
    assert paragraphs == [
        "Why Shenzhen and Italy work together.",
        "The talk covers:",
        "<script>alert(1)</script>",  # shown as the words typed, never run
    ]
    assert abstract.xpath("./p[1]/strong/text()") == ["Shenzhen"]
    items = abstract.xpath("./ul/li")
    assert [item.text_content() for item in items] == [
        "clinical research",
        "pharmaceutical development",
    ]
    (link,) = items[1].xpath("./a")
    assert link.get("href") == "https://example.org/pharma"
    assert link.get("rel") == "noopener noreferrer nofollow"
    assert not abstract.xpath(".//script")


def test_the_speaker_page_shows_the_bio_in_paragraphs(client, talk):
    (speaker,) = talk.speakers
    bio = prose(client, f"/c/rich/speakers/{speaker.id}", "Biography")

    assert [p.text_content() for p in bio.xpath("./p")] == ["Leads the office.", "Since 2020."]
    assert bio.xpath("./p/em/text()") == ["the office"]


def test_the_conference_page_shows_its_description_and_track_descriptions(client, talk):
    about = prose(client, "/c/rich/", "About the conference")
    assert about.xpath("./p/em/text()") == ["exchange"]
    assert about.xpath("./ul/li/text()") == ["talks", "workshops"]

    tracks = prose(client, "/c/rich/", "Tracks")
    assert [p.text_content() for p in tracks.xpath("./p")] == ["New medicines.", "And more."]


def test_the_conference_list_shows_the_first_paragraph_as_plain_text(client, talk):
    doc = lxml.html.fromstring(client.get("/").data)

    assert doc.xpath("//p[@class='excerpt']/text()") == ["Two days of exchange."]


def test_the_api_gives_plain_text_and_sanitised_html(client, talk):
    session = client.get(f"/api/v1/conferences/rich/sessions/{talk.id}").get_json()
    assert session["abstract"] == ABSTRACT_PLAIN
    assert "<ul>\n<li>clinical research</li>" in session["abstract_html"]
    assert "&lt;script&gt;" in session["abstract_html"]

    (speaker,) = client.get("/api/v1/conferences/rich/speakers").get_json()["items"]
    assert speaker["bio"] == "Leads the office.\n\nSince 2020."
    assert speaker["bio_html"] == "<p>Leads <em>the office</em>.</p>\n<p>Since 2020.</p>"

    conference = client.get("/api/v1/conferences/rich").get_json()
    assert conference["description"] == "Two days of exchange.\n\n- talks\n- workshops"
    (track,) = client.get("/api/v1/conferences/rich/tracks").get_json()["items"]
    assert track["description_html"] == "<p>New <strong>medicines</strong>.</p>\n<p>And more.</p>"


def test_the_frab_export_carries_plain_text(client, talk):
    schedule = client.get("/c/rich/schedule.json").get_json()["schedule"]
    (event,) = [
        event
        for day in schedule["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    ]
    assert event["abstract"] == event["description"] == ABSTRACT_PLAIN
    assert event["persons"][0]["biography"] == "Leads the office.\n\nSince 2020."

    xml = lxml.etree.fromstring(client.get("/c/rich/schedule.xml").data)
    assert xml.xpath("//event/abstract/text()") == [ABSTRACT_PLAIN]
