"""Dark mode on a small phone (375 px, prefers-color-scheme: dark): the public pages and the
organizers' workspace stay readable (axe-core, colour contrast included) and the workspace
never scrolls sideways: its tables scroll in their own box, its tabs are one row."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Speaker, Talk
from eventreg.core.extensions import db
from eventreg.demo import load_demo
from eventreg.web import lang_tag
from tests.e2e.conftest import assert_accessible
from tests.mail.builders import make_registration
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser

SMALL_PHONE = {"width": 375, "height": 812}
ORGANIZER = "organizer@example.org"


@pytest.fixture
def dark_phone(phone_page: Page) -> Page:
    phone_page.set_viewport_size(SMALL_PHONE)
    phone_page.emulate_media(color_scheme="dark")
    return phone_page


@pytest.fixture
def demo(app):
    conference = load_demo()
    # Long names and addresses: the attendee table is wider than any phone.
    for n in range(3):
        make_registration(
            conference,
            full_name=f"Alessandra Mariangela Bonaventura-Castiglione {n}",
            email=f"alessandra.bonaventura-castiglione.{n}@policlinico.example.org",
            affiliation="Fondazione IRCCS Policlinico San Matteo di Pavia",
        )
    give_role(make_user(ORGANIZER, name="Lin Mei"), conference)
    return conference


def assert_fits_the_screen(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def assert_is_dark(page: Page) -> None:
    """The dark scheme is in use: the page's background is dark, not the light wash."""
    lightness = page.evaluate(
        """() => {
            const [r, g, b] = getComputedStyle(document.documentElement).backgroundColor
                .match(/\\d+/g).map(Number);
            return (r + g + b) / 3;
        }"""
    )
    assert lightness < 64, f"{page.url} has a light background in dark mode"


def log_in(page: Page) -> None:
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")


@pytest.mark.parametrize("language", ["en", "zh", "it"])
def test_public_pages_in_dark_mode_on_a_phone(dark_phone: Page, demo, language):
    workshop = db.session.scalar(sa.select(Talk).filter_by(kind="workshop"))
    speaker = db.session.scalar(sa.select(Speaker).filter_by(name="Sun Xiaoyu"))
    slug = demo.slug
    for address in [
        "/",
        f"/c/{slug}/",
        f"/c/{slug}/schedule",
        f"/c/{slug}/now",
        f"/c/{slug}/schedule/{demo.start_date.isoformat()}/print",
        f"/c/{slug}/sessions/{workshop.id}",
        f"/c/{slug}/speakers/{speaker.id}",
        f"/c/{slug}/register",
        "/no-such-page",
    ]:
        dark_phone.goto(f"{address}?lang={language}")
        assert_is_dark(dark_phone)
        assert_fits_the_screen(dark_phone)
        assert_accessible(dark_phone)


@pytest.mark.parametrize("language", ["en", "zh", "it"])
def test_workspace_pages_in_dark_mode_on_a_phone(dark_phone: Page, demo, language):
    log_in(dark_phone)
    assert_accessible(dark_phone)
    dark_phone.goto(f"/manage/c/{demo.slug}/attendees?lang={language}")
    tabs = dark_phone.locator("nav.subnav").get_by_role("link")
    addresses = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
    assert len(addresses) >= 13

    for address in addresses:
        # The language chosen with ?lang= stays for the session, as a reader's choice does.
        dark_phone.goto(address)
        assert dark_phone.locator("html").get_attribute("lang") == lang_tag(language)
        assert_is_dark(dark_phone)
        assert_fits_the_screen(dark_phone)
        assert_accessible(dark_phone)


def test_the_workspace_tabs_are_one_row_that_scrolls(dark_phone: Page, demo):
    log_in(dark_phone)
    dark_phone.goto(f"/manage/c/{demo.slug}/attendees")

    tabs = dark_phone.locator(".subnav a")
    tops = {round(box["y"]) for box in (tabs.nth(i).bounding_box() for i in range(tabs.count()))}
    assert len(tops) == 1, f"the tabs take {len(tops)} rows"
    row = dark_phone.locator(".subnav ul")
    widths = row.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] > widths[1], "the row is wider than the phone, and scrolls"
    assert_fits_the_screen(dark_phone)


def test_the_attendee_table_scrolls_in_its_own_box(dark_phone: Page, demo):
    log_in(dark_phone)
    dark_phone.goto(f"/manage/c/{demo.slug}/attendees")

    box = dark_phone.locator(".table-scroll")
    widths = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] > widths[1], "the table is wider than the phone, inside its box"
    assert_fits_the_screen(dark_phone)
    # Its box can be reached and scrolled with the keyboard, and says what it holds.
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_accessible_name("Registrations, in order of arrival")
