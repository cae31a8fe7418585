"""The desk on a phone, offline: it downloads the list of codes, checks someone in without
a network at once, and syncs once when the network is back."""

import json
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.registration.checkin import checkin_code
from eventreg.registration.models import Registration
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser


def check_ins() -> list:
    db.session.rollback()  # read what the live server committed
    return list(
        db.session.scalars(
            sa.select(Registration.checked_in_at).where(Registration.checked_in_at.is_not(None))
        )
    )


def audit_count() -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .filter_by(action="registration.checked_in")
    )


def wait_for(condition, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_desk_checks_people_in_offline_and_syncs_once(phone_page: Page, app):
    page = phone_page
    conference = make_conference(slug="forum", published=True)
    attendee = make_registration(conference, full_name="Chen Jing", affiliation="Futian")
    make_registration(conference, full_name="Zhou Li")
    staff = make_user("door@example.org")
    give_role(staff, conference, "checkin")

    page.goto("/manage/login?next=/manage/c/forum/checkin")
    page.get_by_label("E-mail address").fill("door@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in")
    expect(page.get_by_text("2 codes saved on this device")).to_be_visible()
    expect(page.locator("#desk-connection")).to_have_text("Online: every check-in is saved.")
    # The service worker takes the desk over (it is what opens the desk again offline).
    # Polled from here: wait_for_function's string predicate would be evaluated inside the
    # page, which the desk's Content-Security-Policy (no 'unsafe-eval') rightly refuses.
    for _ in range(100):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the service worker never took the desk over")
    assert_accessible(page)

    syncs = []
    page.on(
        "request",
        lambda request: syncs.append(request) if request.url.endswith("/checkin/sync") else None,
    )
    page.context.set_offline(True)
    expect(page.locator("#desk-connection")).to_have_text("Offline — 0 waiting to sync")
    page.get_by_label("Check-in code").fill(checkin_code(attendee.id))
    page.get_by_role("button", name="Check in", exact=True).click()

    expect(page.get_by_role("heading", name="Checked in: Chen Jing")).to_be_visible()
    expect(page.get_by_text("Checked in now. Welcome!")).to_be_visible()
    expect(page.locator("#desk-checked")).to_have_text("1")
    expect(page.locator("#desk-expected")).to_have_text("2")
    expect(page.locator("#desk-connection")).to_have_text("Offline — 1 waiting to sync")
    assert check_ins() == []
    assert_accessible(page)

    # The same code again, still offline: amber, and nothing more to sync.
    page.get_by_label("Check-in code").fill(checkin_code(attendee.id))
    page.get_by_label("Check-in code").press("Enter")
    expect(page.get_by_role("heading", name="Already checked in: Chen Jing")).to_be_visible()
    expect(page.locator("#desk-connection")).to_have_text("Offline — 1 waiting to sync")
    page.get_by_label("Check-in code").fill("made-up")
    page.get_by_label("Check-in code").press("Enter")
    expect(page.get_by_role("heading", name="Unknown code")).to_be_visible()
    assert_accessible(page)

    page.context.set_offline(False)
    expect(page.locator("#desk-connection")).to_have_text("Online: every check-in is saved.")
    wait_for(lambda: len(check_ins()) == 1)
    [arrived] = check_ins()
    assert audit_count() == 1
    assert len(syncs) == 1
    sent = json.loads(syncs[0].post_data)
    assert [item["code"] for item in sent["items"]] == [checkin_code(attendee.id)]

    # The same batch once more (a reply lost on the way, say): nothing changes.
    again = page.request.post(
        syncs[0].url,
        data=syncs[0].post_data,
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": syncs[0].headers["x-csrftoken"],
        },
    )
    assert again.ok
    assert [item["result"] for item in again.json()["items"]] == ["checked_in"]
    assert check_ins() == [arrived]
    assert audit_count() == 1
    expect(page.locator("#desk-checked")).to_have_text("1")

    page.get_by_label("Name or e-mail address").fill("zhou")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Check in Zhou Li").click()
    expect(page.get_by_role("heading", name="Checked in: Zhou Li")).to_be_visible()
    wait_for(lambda: len(check_ins()) == 2)
    expect(page.locator("#desk-checked")).to_have_text("2")
    assert_accessible(page)

    # Offline again, the desk opens from the device: page, assets and list.
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check-in")
    expect(page.locator("#desk-connection")).to_have_text("Offline — 0 waiting to sync")
    expect(page.locator("#desk-checked")).to_have_text("2")
    page.get_by_label("Check-in code").fill(checkin_code(attendee.id))
    page.get_by_label("Check-in code").press("Enter")
    expect(page.get_by_role("heading", name="Already checked in: Chen Jing")).to_be_visible()
    page.context.set_offline(False)
