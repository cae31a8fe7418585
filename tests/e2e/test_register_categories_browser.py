"""The registration form's categories, access codes and colleagues in a real browser, with
the mail delivered through a real SMTP server."""

import re

import pytest
from playwright.sync_api import Page, expect

from eventreg.core.extensions import db
from eventreg.registration.models import AccessCode, Question, RegistrationCategory
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.mailbox import deliver, text_body, to
from tests.registration.helpers import registration_by_email

pytestmark = pytest.mark.browser

MANAGE_LINK = re.compile(r"https?://[^/\s]+(/c/forum/manage/[A-Za-z0-9_\-]+)")
PRIVACY = "We keep your data for this conference only."


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app):
    conference = make_conference(slug="forum", title="Biotech Forum", capacity=20)
    academia, industry, delegation = (
        RegistrationCategory(conference=conference, name=name, visibility=visibility, position=n)
        for n, (name, visibility) in enumerate(
            [("Academia", "public"), ("Industry", "public"), ("Delegation", "hidden")]
        )
    )
    db.session.add_all([academia, industry, delegation])
    db.session.flush()
    db.session.add_all(
        [
            Question(
                conference=conference,
                label="Your university",
                kind="short_text",
                required=True,
                category_id=academia.id,
            ),
            Question(
                conference=conference,
                label="Delegation number",
                kind="short_text",
                category_id=delegation.id,
            ),
            AccessCode(conference=conference, code="VIP-2030", category_id=delegation.id),
        ]
    )
    db.session.commit()
    return conference


def fill_in_about_me(page: Page, name: str, address: str) -> None:
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill(address)


def test_a_chosen_category_shows_its_own_questions(desktop_page: Page, conference):
    page = desktop_page
    page.goto("/c/forum/register")
    university = page.get_by_label("Your university")
    expect(university).to_be_hidden()  # no category chosen yet
    expect(page.get_by_text("Delegation number")).to_have_count(0)  # a hidden category's
    assert_accessible(page)

    page.get_by_label("Academia").check()
    expect(university).to_be_visible()
    page.get_by_label("Industry").check()
    expect(university).to_be_hidden()
    page.get_by_label("Academia").check()

    fill_in_about_me(page, "Giulia Rossi", "giulia@example.org")
    university.fill("Università di Padova")
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    registration = registration_by_email("giulia@example.org")
    assert registration.category.name == "Academia"
    assert [answer.value for answer in registration.answers] == ["Università di Padova"]


def test_a_code_in_the_link_registers_in_its_hidden_category(desktop_page: Page, conference):
    page = desktop_page
    page.goto("/c/forum/register?code=vip-2030")
    expect(page.locator("#fixed-category")).to_have_text("You are registering as: Delegation")
    expect(page.get_by_label("Academia")).to_have_count(0)
    expect(page.get_by_label("Delegation number")).to_be_visible()
    assert_accessible(page)

    fill_in_about_me(page, "Wei Chen", "wei@example.org")
    page.get_by_label("Delegation number").fill("D-17")
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    registration = registration_by_email("wei@example.org")
    assert registration.category.name == "Delegation"
    assert registration.access_code.code == "VIP-2030"


def test_colleagues_each_get_their_own_mail_and_link(desktop_page: Page, conference, smtp_server):
    page = desktop_page
    page.goto("/c/forum/register")
    page.get_by_label("Industry").check()
    fill_in_about_me(page, "Ada Lovelace", "ada@example.org")
    page.get_by_text("Register colleagues too").click()
    rows = page.locator(".colleague-row")
    expect(rows).to_have_count(3)
    add = page.get_by_role("button", name="Add a colleague")
    add.click()
    expect(rows).to_have_count(4)
    expect(rows.nth(3).get_by_label("Name")).to_be_focused()
    assert_accessible(page)

    # The first row and the added one: the rows left empty are skipped.
    rows.nth(0).get_by_label("Name").fill("Li Na")
    rows.nth(0).get_by_label("E-mail").fill("li.na@example.org")
    rows.nth(0).get_by_label("Organisation").fill("ACME Shenzhen")
    rows.nth(3).get_by_label("Name").fill("Marco Bianchi")
    rows.nth(3).get_by_label("E-mail").fill("not an address")
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Register").click()

    # A bad row is refused with its own message; the page stays accessible.
    expect(page.get_by_role("link", name=re.compile("^Colleague 4 · E-mail:"))).to_be_visible()
    assert_accessible(page)
    rows.nth(3).get_by_label("E-mail").fill("marco@example.org")
    page.get_by_label(PRIVACY).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    expect(page.get_by_text("Your 2 colleagues each get an e-mail of their own")).to_be_visible()

    messages = deliver(smtp_server)
    assert len(messages) == 3
    links = {
        address: to_link(messages, address)
        for address in ("ada@example.org", "li.na@example.org", "marco@example.org")
    }
    assert len(set(links.values())) == 3

    for address, link in links.items():
        page.goto(link)
        expect(page.locator(".facts")).to_contain_text(address)
        expect(page.locator(".facts")).to_contain_text("Industry")
    page.goto(links["li.na@example.org"])
    expect(page.locator(".facts")).to_contain_text("Registered by")
    expect(page.locator(".facts")).to_contain_text("Ada Lovelace")
    assert_accessible(page)


def to_link(messages, address: str) -> str:
    [message] = to(messages, address)
    match = MANAGE_LINK.search(text_body(message))
    assert match, f"no private link in the message to {address}"
    return match.group(1)
