"""A visitor in a real browser: from the front page to a session, on a desktop and a phone."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Speaker, Talk
from eventreg.core.extensions import db
from eventreg.demo import load_demo
from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.browser

TITLE = "Transnational Innovation in Biotech: Shenzhen-Italy Healthcare Special"
KEYNOTE = "Shenzhen and Europe: building a biotech bridge"


@pytest.fixture
def demo(app):
    conference = load_demo()
    return conference.slug


def is_phone(page: Page) -> bool:
    return page.viewport_size["width"] < 700


def assert_fits_the_screen(page: Page) -> None:
    """Nothing makes the page scroll sideways (the grid scrolls inside its own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_visitor_goes_from_the_front_page_to_a_session(page: Page, demo):
    page.goto("/")
    expect(page).to_have_title("Conferences · eventreg")
    assert_fits_the_screen(page)

    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("link", name="Register")).to_be_visible()
    assert_fits_the_screen(page)

    page.get_by_role("link", name="View the schedule").click()
    expect(page).to_have_url(re.compile(rf"/c/{demo}/schedule$"))
    expect(
        page.get_by_text("All times are in the conference's time zone: CST (Asia/Shanghai).")
    ).to_be_visible()
    grid = page.locator("table.schedule-grid").first
    phone_list = page.locator("ol.session-list").first
    if is_phone(page):
        # A phone gets the list: the grid would need sideways scrolling.
        expect(grid).to_be_hidden()
        expect(phone_list).to_be_visible()
        expect(
            phone_list.get_by_text("09:15–10:00 CST (Asia/Shanghai) · Main Hall")
        ).to_be_visible()
    else:
        expect(grid).to_be_visible()
        expect(phone_list).to_be_hidden()
        expect(grid.get_by_role("columnheader", name="Main Hall")).to_be_visible()
    assert_fits_the_screen(page)

    # Only the visible copy of the link (grid or list) is offered to the visitor.
    page.get_by_role("link", name=KEYNOTE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(KEYNOTE)
    expect(page.get_by_text("09:15–10:00 CST (Asia/Shanghai)")).to_be_visible()
    expect(page.get_by_role("link", name="Sun Xiaoyu")).to_be_visible()
    assert_fits_the_screen(page)

    page.get_by_role("link", name="Sun Xiaoyu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sun Xiaoyu")
    expect(page.get_by_text("Chief Representative")).to_be_visible()


def test_list_view_and_day_links(page: Page, demo):
    page.goto(f"/c/{demo}/schedule")
    page.get_by_role("navigation", name="Schedule views").get_by_role("link", name="List").click()

    expect(page).to_have_url(re.compile(r"view=list$"))
    expect(page.locator("table")).to_have_count(0)
    days = page.get_by_role("navigation", name="Days").get_by_role("link")
    expect(days).to_have_count(2)
    days.nth(1).click()
    expect(page).to_have_url(re.compile(r"#day-2$"))
    expect(page.locator("#day-2 h2")).to_be_in_viewport()


def test_cancelled_session_stays_visible_and_is_marked(page: Page, app, demo):
    panel = db.session.scalar(
        sa.select(Talk).filter_by(title="Sharing health data under GDPR and PIPL")
    )
    panel.status = "cancelled"
    db.session.commit()

    page.goto(f"/c/{demo}/schedule")

    # The grid's card on a desktop, the list's on a phone: whichever the visitor sees.
    card = page.locator(".session.is-cancelled:visible")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Sharing health data under GDPR and PIPL")
    expect(card.get_by_text("Cancelled")).to_be_visible()
    decoration = card.get_by_role("link").evaluate(
        "link => getComputedStyle(link).textDecorationLine"
    )
    assert decoration == "line-through"


def test_skip_link_leads_keyboard_users_to_the_content(desktop_page: Page, demo):
    desktop_page.goto(f"/c/{demo}/")
    desktop_page.keyboard.press("Tab")

    skip = desktop_page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    desktop_page.keyboard.press("Enter")
    expect(desktop_page).to_have_url(re.compile(r"#main$"))


@pytest.mark.parametrize(
    "address",
    [
        "/",
        "/c/{slug}/",
        "/c/{slug}/schedule",
        "/c/{slug}/schedule?view=list",
        "/c/{slug}/sessions/{talk}",
        "/c/{slug}/speakers/{speaker}",
        "/no-such-page",
    ],
    ids=["index", "conference", "grid", "list", "session", "speaker", "not-found"],
)
def test_public_pages_have_no_serious_accessibility_problems(page: Page, app, demo, address):
    workshop = db.session.scalar(sa.select(Talk).filter_by(kind="workshop"))
    speaker = db.session.scalar(sa.select(Speaker).filter_by(name="Sun Xiaoyu"))
    url = address.format(slug=demo, talk=workshop.id, speaker=speaker.id)

    response = page.goto(url)

    assert response.status == (404 if address == "/no-such-page" else 200)
    assert_accessible(page)
