"""An organizer runs a conference from the browser: logs in, creates it, adds a room, a
track, a speaker and a session, publishes it, and finds it on the public site; check-in
staff scan an attendee's QR code at the desk."""

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from eventreg.core.db import utcnow
from eventreg.registration.checkin import checkin_code
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def organizer(app):
    return make_user("organizer@example.org", name="Lin Mei", may_create_conferences=True)


def test_an_organizer_creates_and_publishes_a_conference(page: Page, organizer):
    first_day = utcnow().date() + timedelta(days=60)

    page.goto("/manage/")
    expect(page).to_have_url(page.url.split("/manage")[0] + "/manage/login?next=%2Fmanage%2F")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")

    page.get_by_role("link", name="New conference").click()
    expect(page).to_have_url(re.compile(r"/manage/conferences/new$"))
    assert_accessible(page)
    page.get_by_label("Title").fill("Shenzhen–Italy Health Forum")
    page.get_by_label("Time zone").fill("Asia/Shanghai")
    page.get_by_label("First day").fill(first_day.isoformat())
    page.get_by_label("Last day").fill((first_day + timedelta(days=1)).isoformat())
    page.get_by_label("Venue").fill("Futian Convention Centre")
    page.get_by_label("Organizer's e-mail address").fill("office@example.org")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shenzhen–Italy Health Forum")
    expect(page.get_by_text("“Shenzhen–Italy Health Forum” is created as a draft.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Rooms", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Pearl River Room")
    page.get_by_label("Seats").fill("120")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("row", name="Pearl River Room")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Tracks", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Health Tech")
    page.get_by_label("Colour").fill("#0b5cad")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("row", name="Health Tech")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Speakers", exact=True).click()
    page.get_by_label("Name").fill("Giulia Rossi")
    page.get_by_label("E-mail address").fill("rossi@example.org")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("row", name="Giulia Rossi")).to_be_visible()

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Add a session").click()
    expect(page).to_have_url(re.compile(r"/sessions/new$"))
    assert_accessible(page)
    page.get_by_label("Title", exact=True).fill("Digital health in the Greater Bay Area")
    page.get_by_label("Track").select_option(label="Health Tech")
    page.get_by_label("Speakers").select_option(label="Giulia Rossi")
    page.get_by_label("Day").select_option(index=1)
    page.get_by_label("Starts at").fill("10:00")
    page.get_by_label("Ends at").fill("11:00")
    page.get_by_label("Room").select_option(label="Pearl River Room")
    page.get_by_role("button", name="Save", exact=True).click()
    # The speaker gets an invite: the change is shown, and saved once confirmed.
    preview = page.get_by_role("alert").filter(has_text="Confirm the change")
    expect(preview).to_contain_text("the speaker: Giulia Rossi")
    expect(preview).to_contain_text("— → Pearl River Room")
    assert_accessible(page)
    page.get_by_role("button", name="Save and notify 1 person").click()
    expect(
        page.get_by_text("“Digital health in the Greater Bay Area” has been added.")
    ).to_be_visible()
    expect(page.get_by_role("row", name="Digital health in the Greater Bay Area")).to_contain_text(
        "10:00–11:00"
    )
    assert_accessible(page)

    # Moving it: the preview says what changes, on the conference's clock.
    # By keyboard: on a phone the sticky header can cover the row's link for a pointer.
    page.get_by_role("link", name="Edit Digital health in the Greater Bay Area").press("Enter")
    page.get_by_label("Starts at").fill("10:30")
    page.get_by_label("Ends at").fill("11:30")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("10:00–11:00 → 10:30–11:30")
    page.get_by_role("button", name="Save and notify 1 person").click()
    expect(page.get_by_text("has been saved; 1 person has been notified.")).to_be_visible()
    expect(page.get_by_role("row", name="Digital health in the Greater Bay Area")).to_contain_text(
        "10:30–11:30"
    )
    page.get_by_role("link", name="Schedule", exact=True).click()
    grid = page.locator("table.manage-grid")
    expect(grid.get_by_role("link", name="Digital health in the Greater Bay Area")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Overview", exact=True).click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("“Shenzhen–Italy Health Forum” is published.")).to_be_visible()

    for section in ("Dashboard", "Attendees", "Messages", "Check-in", "Questions", "Details"):
        page.get_by_role("link", name=section, exact=True).click()
        expect(page.get_by_role("link", name=section, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        assert_accessible(page)

    page.get_by_role("link", name="Public page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shenzhen–Italy Health Forum")
    expect(page.get_by_text("Futian Convention Centre", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Tracks").get_by_text("Health Tech")).to_be_visible()

    page.goto("/manage/c/shenzhen-italy-health-forum/audit")
    for action in (
        "conference.created",
        "room.created",
        "track.created",
        "session.created",
        "session.updated",
        "conference.published",
    ):
        # Each entry is a row named in words; the row keeps its action code.
        expect(page.locator(f'tr[data-action="{action}"]').first).to_be_visible()
    expect(page.get_by_text("conference.created", exact=True)).to_have_count(0)
    assert_accessible(page)


# Stands in for a camera and a QR reader: headless Chromium on Linux has neither, but the
# desk's script only needs the two browser APIs it calls.
FAKE_CAMERA = """
(() => {
  const code = %s;
  window.BarcodeDetector = class {
    constructor(options) { this.formats = options.formats; }
    async detect(source) { return source.readyState >= 2 ? [{ rawValue: code }] : []; }
  };
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext("2d");
    setInterval(() => { context.fillStyle = "#888"; context.fillRect(0, 0, 64, 64); }, 50);
    return canvas.captureStream(10);
  };
})();
"""


def test_check_in_staff_scan_a_qr_code_at_the_desk(page: Page, app):
    conference = make_conference(slug="forum", published=True)
    attendee = make_registration(conference, full_name="Chen Jing", affiliation="Futian Hospital")
    staff = make_user("door@example.org")
    give_role(staff, conference, "checkin")
    page.add_init_script(FAKE_CAMERA % json.dumps(checkin_code(attendee.id)))

    page.goto("/manage/login?next=/manage/c/forum/checkin")
    page.get_by_label("E-mail address").fill("door@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in")
    assert_accessible(page)

    page.get_by_role("button", name="Scan with the camera").click()

    expect(page.get_by_role("heading", name="Chen Jing")).to_be_visible()
    expect(page.get_by_text("Checked in now. Welcome!")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Name or e-mail address").fill("chen")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("listitem").filter(has_text="Chen Jing")).to_contain_text(
        "already checked in"
    )
