"""A Markdown abstract in a real browser: its paragraphs and list show, and axe stays clean."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from eventreg.conferences.models import Talk
from eventreg.core.extensions import db
from eventreg.demo import load_demo
from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.browser

KEYNOTE = "Shenzhen and Europe: building a biotech bridge"


def test_the_keynote_page_shows_its_markdown_abstract_as_paragraphs_and_a_list(page: Page, app):
    conference = load_demo()
    keynote = db.session.scalar(sa.select(Talk).filter_by(conference=conference, title=KEYNOTE))

    page.goto(f"/c/{conference.slug}/sessions/{keynote.id}")

    abstract = page.get_by_role("region", name="Abstract")
    expect(abstract.locator(".prose > p")).to_have_count(2)
    expect(abstract.locator(".prose > p").nth(1)).to_have_text("The keynote looks at three things:")
    items = abstract.get_by_role("listitem")
    expect(items).to_have_count(3)
    expect(items.first).to_have_text("what the city offers partners abroad;")
    expect(abstract.locator("em")).to_have_text(
        "Shenzhen-European Economic and Trade Representative Office"
    )
    expect(abstract).not_to_contain_text("**")
    assert_accessible(page)
