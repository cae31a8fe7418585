"""The schedule editor in a browser: drag a session over a clash to a free place, twice,
release the draft, and find one update per person in the SMTP server."""

import pytest
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Talk
from eventreg.core.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.factories import at
from tests.mail.mailbox import calendar_part, deliver
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.programme import DAY_ONE, build_programme

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def programme(app):
    programme = build_programme("rome")
    give_role(make_user("organizer@example.org"), programme["conference"])
    return programme


def log_in(page: Page) -> None:
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")


def point(page: Page, room_id: int, minute: int) -> tuple[float, float]:
    """Where on the screen the visible day's grid shows ``minute`` in the room's column."""
    return page.evaluate(
        """([room, minute]) => {
          const root = document.getElementById("schedule-editor");
          const grid = document.querySelector(".editor-day:not([hidden]) .editor-grid");
          const cell = grid.querySelector(`.editor-room[data-room="${room}"]`);
          const header = cell.getBoundingClientRect();
          const from = Number(root.dataset.dayFrom), snap = Number(root.dataset.snap);
          const slots = (Number(root.dataset.dayTo) - from) / snap;
          const slot = (grid.getBoundingClientRect().bottom - header.bottom) / slots;
          const y = header.bottom + ((minute - from) / snap + 0.5) * slot;
          return [header.left + header.width / 2, y];
        }""",
        [room_id, minute],
    )


def drag(page: Page, talk_id: int, room_id: int, minute: int, *, over=None) -> None:
    """Press on the session's first slot, pass ``over`` (room, minute) if given, drop."""
    session = page.locator(f'.editor-session[data-talk="{talk_id}"]')
    box = session.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 3)
    page.mouse.down()
    if over is not None:
        page.mouse.move(*point(page, *over), steps=8)
        expect(page.locator("#editor-status")).to_contain_text("is already taken")
        expect(page.locator(".editor-ghost.is-clash")).to_be_visible()
    page.mouse.move(*point(page, room_id, minute), steps=8)
    expect(page.locator("#editor-status")).to_contain_text("This place is free.")
    page.mouse.up()
    expect(page.locator("#editor-status")).to_contain_text("is in the draft")


def test_dragging_twice_then_releasing_sends_one_update_per_person(
    desktop_page: Page, programme, smtp_server
):
    page = desktop_page
    workshop, hall = programme["workshop"], programme["hall"]
    log_in(page)
    page.goto("/manage/c/rome/schedule/editor")
    assert_accessible(page)
    # The morning to the afternoon in view.
    page.evaluate(
        "y => window.scrollBy(0, y - window.innerHeight / 2)", point(page, hall.id, 12 * 60)[1]
    )

    drag(page, workshop.id, hall.id, 14 * 60, over=(hall.id, 9 * 60 + 30))
    session = page.locator(f'.editor-session[data-talk="{workshop.id}"]')
    expect(session).to_have_attribute("data-room", str(hall.id))
    expect(session).to_have_attribute("data-start", str(14 * 60))
    drag(page, workshop.id, hall.id, 15 * 60)
    expect(page.locator("#editor-draft-count")).to_have_text("1 change")
    assert deliver(smtp_server) == []

    page.get_by_role("link", name="Review and release the draft").click()
    expect(page.get_by_role("heading", name="Moved (1)")).to_be_visible()
    expect(page.get_by_text("11:00–12:00 → 15:00–16:00")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Release and notify 3 people").click()
    expect(page.get_by_text("1 session has been released.")).to_be_visible()

    messages = deliver(smtp_server)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "li.na@example.org",
        "seat1@example.org",
        "seat2@example.org",
    ]
    method, ics = calendar_part(messages[0])
    assert method == "REQUEST" and b"SEQUENCE:1" in ics
    db.session.rollback()
    released = db.session.get(Talk, workshop.id)
    assert (released.room_id, released.start_at) == (
        hall.id,
        at(programme["conference"], DAY_ONE, "15:00"),
    )


def test_the_keyboard_moves_and_resizes_a_session(desktop_page: Page, programme):
    page = desktop_page
    workshop, lab = programme["workshop"], programme["lab"]
    log_in(page)
    page.goto("/manage/c/rome/schedule/editor")

    session = page.locator(f'.editor-session[data-talk="{workshop.id}"]')
    session.focus()
    page.keyboard.press("ArrowDown")  # 11:15–12:15
    page.keyboard.press("Shift+ArrowDown")  # 11:15–12:30
    expect(page.locator("#editor-status")).to_contain_text("11:15–12:30, Lab: This place is free.")
    page.keyboard.press("Enter")
    expect(page.locator("#editor-status")).to_contain_text("is in the draft")
    expect(session).to_have_attribute("data-start", str(11 * 60 + 15))
    expect(session).to_have_attribute("data-end", str(12 * 60 + 30))
    expect(session).to_have_attribute("data-room", str(lab.id))
    expect(session).to_be_focused()


def test_the_editor_works_on_a_phone(phone_page: Page, programme):
    page = phone_page
    log_in(page)
    page.goto("/manage/c/rome/schedule/editor")
    expect(page.locator(".editor-session").first).to_be_visible()
    assert_accessible(page)
