"""Registering in a real browser: a seat, the private link from the e-mail, an agenda with a
clash, cancelling, and the next person in line getting the seat."""

import re

import pytest
from playwright.sync_api import Page, expect

from eventreg.core.extensions import db
from eventreg.registration.models import Question
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference, make_room, make_talk
from tests.registration.helpers import (
    latest_link_for,
    outbox,
    registration_by_email,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def conference(app):
    """One seat, a workshop and a talk at overlapping times, and a question."""
    conference = make_conference(
        title="Shenzhen-Italy Biotech Exchange",
        capacity=1,
        timezone="Asia/Shanghai",
        privacy_notice="The organizers keep your details for this conference only.",
    )
    lab, hall = make_room(conference, name="Lab Studio"), make_room(conference, name="Main Hall")
    make_talk(
        conference,
        title="Hands-on: CAR-T manufacturing",
        kind="workshop",
        capacity=12,
        start="11:15",
        end="12:30",
        room=lab,
    )
    make_talk(
        conference, title="Running trials across borders", start="12:00", end="12:45", room=hall
    )
    db.session.add(
        Question(
            conference=conference,
            label="Preferred language at the desk",
            kind="single_choice",
            required=True,
            choices=["English", "中文", "Italiano"],
        )
    )
    db.session.commit()
    return conference


def register_in_the_browser(page: Page, conference, name: str, address: str, language: str):
    page.goto(f"/c/{conference.slug}/")
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label("Country").select_option(label="Italy")
    page.get_by_label(language).check()
    page.get_by_label(conference.privacy_notice).check()
    page.get_by_role("button", name="Register").click()


def agenda_item(page: Page, title: str):
    """The picker's entry for a session (its title is a link; other entries may mention it)."""
    return page.locator(".agenda-item").filter(has=page.get_by_role("link", name=title, exact=True))


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_register_pick_sessions_cancel_and_the_next_person_gets_the_seat(page: Page, conference):
    page.goto(f"/c/{conference.slug}/register")
    assert_accessible(page)
    page.get_by_role("button", name="Register").click()  # nothing filled in
    expect(page.get_by_role("alert")).to_contain_text("Please correct")
    expect(page.locator("#full_name-error")).to_have_text("Please enter your name.")
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # The page after the form is the same for everyone (it must not tell whether an address
    # was registered before); the mail and the private link say seat or waiting list.
    register_in_the_browser(page, conference, "Giulia Rossi", "giulia@example.org", "Italiano")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)

    register_in_the_browser(page, conference, "陈伟", "chen.wei@example.org", "中文")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert registration_by_email("chen.wei@example.org").status == "waiting"

    # The private link, as the attendee finds it in the e-mail.
    page.goto(path_of(latest_link_for("giulia@example.org")))
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    assert_accessible(page)
    for title in ("Hands-on: CAR-T manufacturing", "Running trials across borders"):
        agenda_item(page, title).get_by_role("button", name=re.compile("^Add")).click()
        expect(agenda_item(page, title)).to_contain_text("In your agenda: you have a seat")
    workshop = agenda_item(page, "Hands-on: CAR-T manufacturing")
    expect(workshop.get_by_role("note")).to_contain_text(
        "overlaps with Running trials across borders"
    )
    expect(workshop).to_contain_text("11 seats left")
    assert_accessible(page)

    page.get_by_role("link", name="Cancel your registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your registration?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_text("Your registration is cancelled.").first).to_be_visible()

    assert registration_by_email("giulia@example.org").status == "cancelled"
    chen = registration_by_email("chen.wei@example.org")
    assert chen.status == "confirmed"
    assert [message.registration_id for message in outbox(kind="registration_promoted")] == [
        chen.id
    ]
    page.goto(path_of(latest_link_for("chen.wei@example.org")))
    expect(page.get_by_text("You have a seat.")).to_be_visible()
    expect(page.get_by_text("陈伟")).to_be_visible()
