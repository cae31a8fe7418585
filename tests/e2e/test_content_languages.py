"""Content in three languages in a real browser: a Chinese reader sees the Chinese title and
abstract on the schedule and the session page; the language filter works as one types; the
pages stay accessible (axe), the text in another language marked with its lang."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.factories import make_conference, make_room, make_talk

pytestmark = pytest.mark.browser

DAY = date(2031, 10, 14)


@pytest.fixture
def programme(app):
    conference = make_conference(
        title="Medicine across borders",
        translations={"zh": {"title": "跨越国界的医学"}},
        start_date=DAY,
        end_date=DAY,
    )
    hall = make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    keynote = make_talk(
        conference,
        title="The future of AI in medicine",
        abstract="How hospitals use **data**.",
        translations={
            "zh": {"title": "人工智能与医疗的未来", "abstract": "医院如何使用**数据**。"}
        },
        languages=["zh"],
        room=hall,
        start="09:00",
        end="10:00",
    )
    english = make_talk(
        conference,
        title="Clinical trials in practice",
        languages=["en"],
        room=hall,
        start="10:30",
        end="11:15",
    )
    return conference, keynote, english


def test_a_chinese_reader_sees_chinese_on_the_schedule_and_the_session_page(page: Page, programme):
    conference, keynote, english = programme
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    page.goto(f"/c/{conference.slug}/schedule?view=list")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    titles = page.locator("ol.session-list h3 a")
    expect(titles).to_have_text(["人工智能与医疗的未来", "Clinical trials in practice"])
    # Not written in Chinese: shown in English, and marked so for screen readers and fonts.
    expect(titles.nth(1)).to_have_attribute("lang", "en")
    assert_accessible(page)

    # The language filter, without a reload.
    page.evaluate("window.notReloaded = true")
    page.get_by_role("search").get_by_label("语言").select_option(value="zh")
    expect(page.locator("ol.session-list [data-session]:visible")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"language=zh"))
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("link", name="人工智能与医疗的未来").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人工智能与医疗的未来")
    expect(page.locator(".prose strong")).to_have_text("数据")
    expect(page.get_by_text("主会场")).to_be_visible()
    assert_accessible(page)


def test_an_italian_reader_gets_the_main_language_marked_and_accessible(page: Page, programme):
    conference, keynote, _ = programme
    page.set_extra_http_headers({"Accept-Language": "it"})
    page.goto(f"/c/{conference.slug}/sessions/{keynote.id}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("The future of AI in medicine")
    expect(heading).to_have_attribute("lang", "en")
    assert_accessible(page)
