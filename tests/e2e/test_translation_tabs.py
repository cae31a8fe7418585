"""The organizers' language tabs in a real browser: reached and switched by keyboard, clean
for axe, and a Chinese title typed in its tab is what a Chinese reader then sees."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference, make_talk
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def talk(app):
    conference = make_conference(slug="sz", published=True)
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    return make_talk(conference, title="AI in radiology", abstract="One year on.")


def log_in(page: Page) -> None:
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")


def test_the_language_tabs_work_by_keyboard_and_save_a_chinese_title(desktop_page: Page, talk):
    page = desktop_page
    log_in(page)
    page.goto(f"/manage/c/sz/sessions/{talk.id}")

    english = page.get_by_role("tab", name="English")
    chinese = page.get_by_role("tab", name="Chinese")
    expect(english).to_have_attribute("aria-selected", "true")
    expect(chinese).to_contain_text("2 missing")
    expect(page.get_by_label("Title (Chinese)")).to_be_hidden()
    assert_accessible(page)

    english.focus()
    page.keyboard.press("ArrowRight")
    expect(chinese).to_be_focused()
    expect(chinese).to_have_attribute("aria-selected", "true")
    expect(english).to_have_attribute("aria-selected", "false")
    expect(page.get_by_label("Title", exact=True)).to_be_hidden()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Italian")).to_be_focused()
    page.keyboard.press("ArrowRight")  # round to the first
    expect(english).to_be_focused()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(chinese).to_be_focused()
    assert_accessible(page)

    page.keyboard.press("Tab")  # into the open panel, then its first field
    page.keyboard.press("Tab")
    expect(page.get_by_label("Title (Chinese)")).to_be_focused()
    page.keyboard.type("放射科里的人工智能")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("“AI in radiology” has been saved")).to_be_visible()

    page.goto(f"/manage/c/sz/sessions/{talk.id}")
    chinese = page.get_by_role("tab", name="Chinese")
    expect(chinese).to_contain_text("1 missing")
    chinese.click()
    expect(page.get_by_label("Title (Chinese)")).to_have_value("放射科里的人工智能")

    page.goto(f"/c/sz/sessions/{talk.id}?lang=zh")
    expect(page.get_by_role("heading", level=1)).to_have_text("放射科里的人工智能")


def test_without_javascript_every_language_is_shown_under_its_heading(browser, live_server, talk):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page)
        page.goto(f"/manage/c/sz/sessions/{talk.id}")
        expect(page.get_by_role("tablist")).to_be_hidden()
        expect(page.get_by_role("heading", name="Chinese")).to_be_visible()
        expect(page.get_by_label("Title (Chinese)")).to_be_visible()
        expect(page.get_by_label("Title (Italian)")).to_be_visible()
    finally:
        context.close()
