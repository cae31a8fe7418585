"""An organizer ticks attendees on the badges page and downloads their badges: a PDF that
opens, with the Chinese name in Chinese glyphs."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.registration.test_badges import text_of

pytestmark = pytest.mark.browser


@pytest.fixture
def conference(app):
    conference = make_conference(slug="rome", title="Shenzhen–Italy Conference")
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference, "organizer")
    make_registration(conference, full_name="张伟", affiliation="深圳市外事办", locale="zh")
    make_registration(conference, full_name="Niccolò Bellincampi", locale="it")
    make_registration(conference, full_name="Ada Lovelace")
    return conference


def log_in(page: Page) -> None:
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")


def test_an_organizer_downloads_the_badges_of_the_people_ticked(desktop_page: Page, conference):
    page = desktop_page
    log_in(page)
    page.goto("/manage/c/rome/badges")
    expect(page.get_by_role("heading", name="Badges", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("A6, one badge per page").check()
    page.get_by_label("The people ticked below").check()
    page.get_by_label("张伟").check()
    page.get_by_label("Niccolò Bellincampi").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the badges (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "badges-rome-a6.pdf"
    pdf = Path(download.path()).read_bytes()

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2  # one A6 badge per page, for the two people ticked
    text = text_of(pdf)
    assert "张伟" in text and "深圳市外事办" in text
    assert "Niccolò Bellincampi" in text and "Ada" not in text


def test_the_badges_page_is_accessible_on_a_phone_and_in_chinese(phone_page: Page, conference):
    page = phone_page
    log_in(page)
    page.goto("/manage/c/rome/badges?lang=zh")
    expect(page.get_by_role("row", name="张伟")).to_be_visible()
    assert_accessible(page)
