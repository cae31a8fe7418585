"""An organizer imports a programme from a CSV file: a bad row is named in the preview and
nothing is imported; the corrected file imports, and its sessions are on the schedule."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference
from tests.organizers.conftest import PASSWORD, give_role, make_user

pytestmark = pytest.mark.browser

HEADER = "title,kind,day,start,end,room,track,speakers,speaker_emails,abstract,languages,capacity"


def programme(day: str, kind_of_third: str) -> bytes:
    return "\n".join(
        [
            HEADER,
            f"Opening of the forum,keynote,{day},09:30,10:15,Main Hall,,"
            "Giulia Rossi,rossi@example.org,,,",
            f"Digital health,talk,{day},10:30,11:15,Main Hall,Health,Chen Wei,,,,",
            f"Hands-on lab,{kind_of_third},{day},14:00,16:00,Lab,Health,,,,,20",
        ]
    ).encode()


def upload(page: Page, data: bytes) -> None:
    page.get_by_label("Programme file").set_input_files(
        {"name": "programme.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Show what will be imported").click()


def test_a_csv_with_a_bad_row_imports_nothing_and_the_fixed_file_imports(page: Page, app):
    first_day = utcnow().date() + timedelta(days=40)
    conference = make_conference(slug="forum", title="Health Forum", start_date=first_day)
    organizer = make_user("organizer@example.org")
    give_role(organizer, conference)
    day = first_day.isoformat()

    page.goto("/manage/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your conferences")
    page.goto("/manage/c/forum/import")
    expect(page.get_by_role("heading", name="Import a programme")).to_be_visible()
    assert_accessible(page)

    upload(page, programme(day, "lecture"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 row is refused, so nothing can be imported")
    expect(alert).to_contain_text("Row 4 (“Hands-on lab”): Unknown kind “lecture”")
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_have_count(0)
    assert_accessible(page)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 0

    upload(page, programme(day, "workshop"))
    expect(
        page.get_by_text("This import creates: 2 rooms, 1 track, 2 speakers, 3 sessions.")
    ).to_be_visible()
    expect(page.get_by_role("row", name="Hands-on lab")).to_contain_text("OK")
    assert_accessible(page)
    page.get_by_role("button", name="Import 2 rooms, 1 track, 2 speakers, 3 sessions").click()

    expect(
        page.get_by_text("Programme imported: 2 rooms, 1 track, 2 speakers, 3 sessions.")
    ).to_be_visible()
    expect(page.locator("a:visible", has_text="Hands-on lab").first).to_be_visible()
    assert_accessible(page)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 3

    page.goto("/c/forum/schedule")
    # The grid on a desktop, the list on a phone: whichever is shown.
    for title in ("Opening of the forum", "Digital health", "Hands-on lab"):
        expect(page.locator("a:visible", has_text=title).first).to_be_visible()
    assert_accessible(page)
