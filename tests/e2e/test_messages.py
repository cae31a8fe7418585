"""An organizer writes to the attendees in a real browser: the message in two languages,
previewed as a Chinese attendee gets it, sent to oneself as a test, then confirmed and sent.
The SMTP server receives one copy per attendee, each in their language, greeted once."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.mail.mailbox import deliver, html_body, text_body
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    conference = make_conference(slug="forum", title="Health Forum", capacity=None)
    give_role(make_user("organizer@example.org", name="Lin Mei"), conference)
    return conference


def test_a_message_in_two_languages_is_previewed_tested_confirmed_and_sent(
    desktop_page: Page, conference, smtp_server
):
    make_registration(conference, email="giulia@example.org", full_name="Giulia Rossi")
    li = make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    page = desktop_page
    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto("/manage/c/forum/messages")
    expect(page.get_by_label("To", exact=True)).to_contain_text(
        "All confirmed attendees · 2 people"
    )
    page.get_by_label("Subject", exact=True).fill("Shuttle to the venue")
    page.get_by_label("Message", exact=True).fill("Dear all,\n\nthe shuttle leaves at 8:00.")
    page.get_by_role("tab", name=re.compile("Chinese")).click()
    page.get_by_label("Subject (Chinese)").fill("前往会场的班车")
    page.get_by_label("Message (Chinese)").fill("尊敬的各位来宾：\n\n班车八点出发。")
    assert_accessible(page)
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", level=2)).to_have_text("Preview: what Giulia Rossi receives")
    page.get_by_label("Show the message as received by").select_option(f"r{li.id}")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Preview: what 李娜 receives")
    expect(page.locator("#preview-subject")).to_have_text("Health Forum: 前往会场的班车")
    expect(page.locator("#preview-text")).to_contain_text("班车八点出发。")
    expect(page.locator("#preview-text")).not_to_contain_text("李娜")  # greeted by the body
    expect(page.frame_locator("#preview-html").get_by_text("班车八点出发。")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Send this copy to me as a test").click()
    expect(page.get_by_text("is on its way to organizer@example.org")).to_be_visible()
    [test_copy] = deliver(smtp_server)
    assert test_copy["To"] == "李娜 <organizer@example.org>"
    assert test_copy["Subject"] == "[Test] Health Forum: 前往会场的班车"

    page.get_by_role("button", name="Send…").click()
    expect(page.get_by_role("heading", level=3)).to_have_text("Send to 2 people now?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, send it").click()
    expect(page.get_by_text("The message is queued for 2 people.")).to_be_visible()

    received = deliver(smtp_server)[1:]
    by_address = {message["To"].addresses[0].addr_spec: message for message in received}
    assert sorted(by_address) == ["giulia@example.org", "li@example.org"]
    chinese, english = by_address["li@example.org"], by_address["giulia@example.org"]
    assert chinese["Subject"] == "Health Forum: 前往会场的班车"
    assert english["Subject"] == "Health Forum: Shuttle to the venue"
    for message, greeting, name in (
        (chinese, "尊敬的各位来宾", "李娜"),
        (english, "Dear all", "Giulia"),
    ):
        for body in (text_body(message), html_body(message)):
            assert body.count(greeting) == 1
            assert name not in body  # no "Dear 李娜," before the organizer's own greeting
    assert "班车八点出发。" in text_body(chinese) and "8:00" in text_body(english)
