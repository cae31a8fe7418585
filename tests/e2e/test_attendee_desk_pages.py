"""An organizer looks after one attendee in the browser: opens their page from the list,
changes their address (the invite update arrives at the new one, through a real SMTP
server), reads the reports' charts, and cancels someone only after the confirm dialog."""

import re

import icalendar
import pytest
from playwright.sync_api import Page, expect

from eventreg.core.extensions import db
from eventreg.invites.events import uid_for
from eventreg.registration import services
from eventreg.registration.models import Answer, Question
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.mailbox import calendar_part, deliver, to
from tests.organizers.conftest import PASSWORD, give_role, make_user
from tests.registration.helpers import registration_by_email

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    conference = make_conference(slug="desk", title="Shenzhen Days", capacity=10)
    give_role(make_user("organizer@example.org", name="Lin Mei"), conference)
    diet = Question(
        conference=conference,
        label="Dietary needs",
        kind="single_choice",
        choices=["None", "Vegetarian", "素食"],
    )
    db.session.add(diet)
    db.session.commit()
    for name, address, answer in (
        ("李娜", "li@example.org", "素食"),
        ("Marco Bianchi", "marco@example.org", "None"),
    ):
        data = services.RegistrationData(full_name=name, email=address, answers={diet.id: answer})
        services.register(None, conference, data)
    assert db.session.query(Answer).count() == 2
    return conference


def log_in(page: Page, next_path: str) -> None:
    page.goto(f"/manage/login?next={next_path}")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_new_address_gets_the_invite_update(desktop_page: Page, conference, smtp_server):
    page = desktop_page
    first = deliver(smtp_server)
    [welcome] = to(first, "li@example.org")
    _method, calendar = calendar_part(welcome)
    sent = icalendar.Calendar.from_ical(calendar).walk("VEVENT")[0]

    log_in(page, "/manage/c/desk/attendees")
    page.get_by_role("link", name="李娜").click()
    expect(page.get_by_role("heading", level=2, name="李娜")).to_be_visible()
    expect(page.locator("#attendee-answers")).to_contain_text("素食")
    expect(page.locator("#attendee-mail")).to_contain_text("Seat confirmed, with the invite")
    assert_accessible(page)

    page.get_by_role("link", name="Edit the details").click()
    expect(page).to_have_url(re.compile(r"/edit$"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("li.na@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The details of 李娜 are saved.")).to_be_visible()
    expect(page.locator("#attendee-details")).to_contain_text("li.na@example.org")
    expect(page.locator("table.audit")).to_contain_text(
        "E-mail address: li@example.org → li.na@example.org"
    )

    [update] = to(deliver(smtp_server)[len(first) :], "li.na@example.org")
    method, calendar = calendar_part(update)
    event = icalendar.Calendar.from_ical(calendar).walk("VEVENT")[0]
    assert method == "REQUEST"
    assert str(event["UID"]) == str(sent["UID"]) == uid_for(conference.uuid)
    assert int(event["SEQUENCE"]) == int(sent["SEQUENCE"]) + 1
    assert "li.na@example.org" in str(event["ATTENDEE"])


def test_the_reports_draw_the_answers_and_the_arrivals(desktop_page: Page, conference):
    page = desktop_page
    log_in(page, "/manage/c/desk/attendees")
    page.get_by_role("link", name="Reports and charts").click()

    expect(page.get_by_role("img", name="Registrations over time")).to_be_visible()
    diet = page.get_by_role("img", name="Dietary needs")
    expect(diet).to_be_visible()
    expect(diet.locator("desc")).to_contain_text("素食: 1")
    assert_accessible(page)


def test_cancelling_asks_first(desktop_page: Page, conference):
    page = desktop_page
    log_in(page, "/manage/c/desk/attendees")
    row = page.get_by_role("row", name=re.compile("Marco Bianchi"))
    cancel = row.get_by_role("button", name=re.compile("^Cancel"))

    cancel.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Cancel the registration of Marco Bianchi?")
    assert_accessible(page)
    dialog.get_by_role("button", name="Cancel", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()
    assert registration_by_email("marco@example.org").status == "confirmed"

    cancel.click()
    dialog.get_by_role("button", name="Cancel the registration").click()
    expect(page.get_by_text("The registration of Marco Bianchi is cancelled.")).to_be_visible()
    assert registration_by_email("marco@example.org").status == "cancelled"
    assert registration_by_email("li@example.org").status == "confirmed"


def test_escape_keeps_the_registration(desktop_page: Page, conference):
    page = desktop_page
    log_in(page, "/manage/c/desk/attendees")
    page.get_by_role("row", name=re.compile("Marco Bianchi")).get_by_role(
        "button", name=re.compile("^Cancel")
    ).click()
    expect(page.get_by_role("dialog")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_be_hidden()
    assert registration_by_email("marco@example.org").status == "confirmed"


def test_a_quick_click_before_the_scripts_arrive_still_asks(desktop_page: Page, conference):
    # confirm.js is held back for a moment; the Cancel button is pressed the instant it is in
    # the page. A deferred script would let that click send the form unasked.
    page = desktop_page
    log_in(page, "/manage/c/desk/attendees")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    def slow_script(route):
        page.wait_for_timeout(800)
        route.continue_()

    page.route(re.compile(r"/static/js/confirm\.js"), slow_script)
    page.goto("/manage/c/desk/attendees", wait_until="commit")
    page.get_by_role("row", name=re.compile("Marco Bianchi")).get_by_role(
        "button", name=re.compile("^Cancel")
    ).click()

    expect(page.get_by_role("dialog")).to_be_visible()
    assert registration_by_email("marco@example.org").status == "confirmed"
