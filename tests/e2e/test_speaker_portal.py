"""A speaker serves themselves in the browser: the organizer sends their private link, the
speaker confirms their session through it (in Chinese too), and the organizer sees the
answer. Every page is checked with axe-core."""

import re

import pytest
from playwright.sync_api import Page, expect

from eventreg.core.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference, make_speaker, make_talk
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.registration.helpers import outbox, readable_text

pytestmark = pytest.mark.browser

LINK = re.compile(r"https?://[^\s\"'<>]+(/c/[^/\s]+/speaker/[A-Za-z0-9_\-]+/)")


def _speaker_link() -> str:
    [message] = outbox(kind="speaker_link")
    match = LINK.search(readable_text(message))
    assert match, "no speaker link in the message"
    return match.group(1)


def test_a_speaker_confirms_a_session_through_their_link(page: Page, app):
    conference = make_conference(slug="forum", title="Health Forum")
    speaker = make_speaker(conference, name="Giulia Rossi", email="rossi@example.org")
    make_talk(conference, title="Digital health", speakers=[speaker])
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    speaker_id = speaker.id
    db.session.commit()

    page.goto(f"/manage/login?next=/manage/c/forum/speakers/{speaker_id}")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Not answered yet")).to_be_visible()
    page.get_by_role("button", name="Send the speaker their link").click()
    page.get_by_role("dialog").get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("A new private link is on its way to Giulia Rossi")).to_be_visible()
    assert_accessible(page)

    link = _speaker_link()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your speaker page")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm “Digital health”").click()
    expect(page.get_by_text("Thank you: you have confirmed this session.")).to_be_visible()
    expect(page.locator("#session-1 [data-response]")).to_have_attribute(
        "data-response", "confirmed"
    )
    assert_accessible(page)

    # The same pages in Chinese pass axe as well.
    for path in ("", "profile", "availability"):
        page.goto(f"{link}{path}?lang=zh")
        expect(page.locator("html")).to_have_attribute("lang", re.compile("^zh"))
        assert_accessible(page)
    page.goto(f"{link}profile?lang=en")
    assert_accessible(page)
    page.goto(f"{link}availability?lang=en")
    page.get_by_label("Day").first.select_option(index=1)
    page.get_by_label("From").first.fill("09:00")
    page.get_by_label(re.compile(r"^To\b")).first.fill("12:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your availability is saved.")).to_be_visible()

    page.goto(f"/manage/c/forum/speakers/{speaker_id}")
    expect(page.get_by_text("Digital health: Confirmed")).to_be_visible()
    expect(page.get_by_text("09:00–12:00")).to_be_visible()
    page.goto("/manage/c/forum/speakers")
    expect(page.get_by_role("row", name=re.compile("Giulia Rossi"))).to_contain_text(
        "Digital health: Confirmed"
    )
    assert_accessible(page)
