"""Approval from pending to an invite, in the browser and through a real SMTP server: two
people register for a conference that reviews registrations and are told they wait (no
invite); the organizer approves one, who gets the confirmation with the calendar invite,
and rejects the other, who gets a kind message without one."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.mailbox import calendar_part, deliver, part_of, text_body, to
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.registration.helpers import registration_by_email

pytestmark = pytest.mark.browser

# The mail is composed by the test's app, whose links name its own host: keep the path.
MANAGE_LINK = re.compile(r"https?://[^/\s]+(/c/review-forum/manage/[A-Za-z0-9_\-]+)")


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    conference = make_conference(
        slug="review-forum", title="Delegation Forum", capacity=10, requires_approval=True
    )
    give_role(make_user("organizer@example.org", name="Lin Mei"), conference)
    return conference


def register_in_the_browser(page: Page, name: str, address: str) -> None:
    page.goto("/c/review-forum/register")
    expect(page.locator("#approval-note")).to_contain_text(
        "The organizers review every registration"
    )
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("We keep your data for this conference only.").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    expect(page.get_by_text("Your registration is pending")).to_be_visible()


def submit_confirmed(page: Page, button_name: str, done_text: str) -> None:
    """Press a button whose form may ask first (data-confirm): confirm when asked."""
    page.get_by_role("button", name=button_name).click()
    done = page.get_by_text(done_text)
    dialog = page.get_by_role("dialog")
    expect(done.or_(dialog)).to_be_visible()
    if dialog.is_visible():
        dialog.get_by_role("button", name=re.compile("^(Reject|Confirm)")).click()
    expect(done).to_be_visible()


def test_pending_then_approved_with_the_invite_or_rejected_without(
    desktop_page: Page, conference, smtp_server
):
    page = desktop_page
    register_in_the_browser(page, "Giulia Rossi", "giulia@example.org")
    assert_accessible(page)
    register_in_the_browser(page, "Chen Wei", "chen@example.org")

    waiting = deliver(smtp_server)
    assert [m["Subject"] for m in waiting] == [
        "Your registration for Delegation Forum is waiting for approval"
    ] * 2
    for message in waiting:
        assert part_of(message, "text/calendar") is None  # nothing in a calendar yet
    [giulia_pending] = to(waiting, "giulia@example.org")
    assert "waiting for their approval" in text_body(giulia_pending)
    link = MANAGE_LINK.search(text_body(giulia_pending)).group(1)

    # Her private link says so too, and she could still withdraw.
    page.goto(link)
    expect(page.get_by_text("waiting for the organizers' approval")).to_be_visible()
    expect(page.get_by_role("link", name="Cancel your registration")).to_be_visible()
    assert_accessible(page)

    page.goto("/manage/login?next=/manage/c/review-forum/approvals")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Registrations waiting for approval")
    expect(page.get_by_role("row", name=re.compile("Giulia Rossi"))).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Approve Giulia Rossi").click()
    expect(page.get_by_text("1 registration approved: 1 with a seat.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Giulia Rossi"))).to_have_count(0)
    submit_confirmed(page, "Reject Chen Wei", "1 registration rejected; the person has been told.")
    expect(page.get_by_text("Nobody is waiting for a decision.")).to_be_visible()
    expect(page.get_by_role("button", name="Approve after all Chen Wei")).to_be_visible()
    assert_accessible(page)

    assert registration_by_email("giulia@example.org").status == "confirmed"
    assert registration_by_email("chen@example.org").status == "rejected"
    decided = deliver(smtp_server)[len(waiting) :]
    [confirmation] = to(decided, "giulia@example.org")
    assert confirmation["Subject"] == "Your seat at Delegation Forum is confirmed"
    method, calendar = calendar_part(confirmation)
    assert method == "REQUEST" and b"BEGIN:VEVENT" in calendar
    [rejection] = to(decided, "chen@example.org")
    assert part_of(rejection, "text/calendar") is None
    assert "could not accept your registration" in text_body(rejection)
    assert "We hope to welcome you" in text_body(rejection)
    assert len(decided) == 2
