"""An organizer invites two people from a CSV file: preview, send, both mails arrive, and
one personal link opens the registration form."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.mailbox import deliver, text_body, to
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser

PEOPLE = (
    b"name,email,affiliation,language\nAda Li,ada@example.org,,en\nBen Rossi,ben@example.org,,it\n"
)
LINK = re.compile(r"https?://[^\s\"'<>]+(/c/forum/register\?invitation=[A-Za-z0-9_\-]+)")


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


def test_two_people_are_invited_and_a_link_opens_the_form(page: Page, app, smtp_server):
    conference = make_conference(slug="forum", title="Health Forum")
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)

    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")
    page.goto("/manage/c/forum/invitations")
    expect(page.get_by_role("heading", name="Invitations", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("List of people").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE}
    )
    page.get_by_role("button", name="Show who will be invited").click()
    expect(page.get_by_text("2 people will be invited.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Invite 2 people").click()
    expect(page.get_by_text("2 people invited.")).to_be_visible()
    expect(page.locator("#invitation-counts")).to_contain_text("Invited: 2")

    messages = deliver(smtp_server)
    assert len(messages) == 2
    [ada] = to(messages, "ada@example.org")
    assert to(messages, "ben@example.org")
    path = LINK.search(text_body(ada)).group(1)

    page.context.clear_cookies()
    response = page.goto(path)
    assert response is not None and response.status == 200
    # The form helper's pre-filling: the invitee's name and address are filled in.
    expect(page.locator("#full_name")).to_have_value("Ada Li")
    expect(page.locator("#email")).to_have_value("ada@example.org")
