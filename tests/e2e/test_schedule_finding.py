"""Finding your way in the programme, in a real browser: filters and search as you type,
joining from the session page, "now and next", and what a printer gets."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Talk, Track
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.demo import load_demo
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_public_site import assert_fits_the_screen
from tests.factories import make_conference, make_room, make_talk
from tests.registration.helpers import latest_link_for, register

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app):
    return load_demo().slug


def visible_titles(page: Page) -> list[str]:
    return page.locator("[data-session]:visible > a, [data-session]:visible h3 a").all_inner_texts()


def test_filter_by_track_and_search_without_reloading(page: Page, demo):
    health_tech = db.session.scalar(sa.select(Track).filter_by(name="Health Tech"))
    in_track = db.session.scalar(
        sa.select(sa.func.count()).select_from(Talk).filter_by(track_id=health_tech.id)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Talk))
    page.goto(f"/c/{demo}/schedule")
    # A page that reloads loses this mark.
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Track", exact=True).select_option(label="Health Tech")

    expect(page.locator("[data-session]:visible")).to_have_count(in_track)
    assert "Biomaterials that help wounds heal" not in visible_titles(page)
    assert "Affordable imaging for community clinics" in visible_titles(page)
    expect(page).to_have_url(re.compile(rf"track={health_tech.id}"))
    expect(page.get_by_role("status").filter(has_text="sessions match")).to_have_text(
        f"{in_track} of {total} sessions match."
    )

    # Words of an abstract; with the track still chosen nothing matches, and the page says so.
    page.get_by_label("Search titles, abstracts and speakers").fill("hydrogels")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    page.get_by_label("Track", exact=True).select_option(label="All tracks")
    expect(page.locator("[data-session]:visible")).to_have_count(1)
    assert visible_titles(page) == ["Biomaterials that help wounds heal"]
    expect(page).to_have_url(re.compile(r"\?q=hydrogels$"))
    assert page.evaluate("window.notReloaded") is True

    # The address is the search: opened again, the server gives the same sessions.
    page.reload()
    expect(page.get_by_label("Search titles, abstracts and speakers")).to_have_value("hydrogels")
    assert visible_titles(page) == ["Biomaterials that help wounds heal"]
    # Widening beyond what the page holds asks the server again.
    page.get_by_label("Search titles, abstracts and speakers").fill("")
    page.get_by_role("button", name="Show matching sessions").click()
    expect(page.locator("[data-session]:visible")).to_have_count(total)


def test_schedule_with_filters_is_accessible_and_fits_the_screen(page: Page, demo):
    page.goto(f"/c/{demo}/schedule")
    assert_accessible(page)
    assert_fits_the_screen(page)
    page.get_by_label("Search titles, abstracts and speakers").fill("nothing of the sort")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    assert_accessible(page)


def test_join_from_the_private_session_page_and_see_it_on_the_management_page(
    desktop_page: Page, app
):
    page = desktop_page
    conference = make_conference()
    room = make_room(conference, name="Lab Studio")
    workshop = make_talk(
        conference, title="Wound-healing lab", kind="workshop", room=room, capacity=5
    )
    assert register(app.test_client(), conference, email="ada@example.org").status_code == 303
    link = latest_link_for("ada@example.org")

    page.goto(link)
    page.get_by_role("link", name="Wound-healing lab").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(link)}/sessions/{workshop.id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wound-healing lab")
    expect(page.get_by_text("5 seats left")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Add to your agenda").click()

    expect(page).to_have_url(re.compile(rf"/sessions/{workshop.id}$"))
    expect(page.get_by_text("You have a seat in “Wound-healing lab”.")).to_be_visible()
    expect(page.get_by_role("button", name="Remove from your agenda")).to_be_visible()
    page.get_by_role("link", name="Back to your agenda").click()
    item = page.locator(f"#session-{workshop.id}")
    expect(item.get_by_text("In your agenda: you have a seat")).to_be_visible()


def test_now_and_next_is_accessible(page: Page, app):
    conference = make_conference(start_date=utcnow().date(), end_date=utcnow().date())
    hall = make_room(conference, name="Main Hall")
    began = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=20)
    make_talk(
        conference, title="Under way", room=hall, start_at=began, end_at=began + timedelta(hours=1)
    )
    make_talk(
        conference, title="Coming up", room=hall,
        start_at=began + timedelta(hours=1), end_at=began + timedelta(hours=2),
    )  # fmt: skip

    page.goto(f"/c/{conference.slug}/now")

    room = page.get_by_role("region", name="Main Hall")
    expect(room.get_by_role("link", name="Under way")).to_be_visible()
    expect(room.get_by_role("link", name="Coming up")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_screen(page)


def test_print_hides_the_filters_and_navigation(desktop_page: Page, demo):
    page = desktop_page
    page.goto(f"/c/{demo}/schedule")
    expect(page.locator("form.schedule-filters")).to_be_visible()

    page.emulate_media(media="print")

    expect(page.locator("form.schedule-filters")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".schedule-tools")).to_be_hidden()
    expect(page.locator("table.schedule-grid").first).to_be_visible()
    colour = page.locator("body").evaluate("body => getComputedStyle(body).color")
    assert colour == "rgb(0, 0, 0)"
    breaks = page.locator("section.day").evaluate_all(
        "days => days.map(day => getComputedStyle(day).breakBefore)"
    )
    assert breaks == ["auto", "page"]


def test_a_days_agenda_prints_on_one_a4_page(desktop_page: Page, demo):
    page = desktop_page
    first = db.session.scalar(sa.select(sa.func.min(Talk.start_at)))
    day = (first + timedelta(hours=8)).date().isoformat()  # Shanghai is UTC+8
    page.goto(f"/c/{demo}/schedule")
    page.get_by_role("link", name="Printable agenda").first.click()
    expect(page).to_have_url(re.compile(rf"/schedule/{day}/print$"))
    expect(page.get_by_role("button", name="Print this agenda")).to_be_visible()
    assert_accessible(page)

    pdf = page.pdf(format="A4")

    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"the day's agenda takes {pages} A4 pages"
