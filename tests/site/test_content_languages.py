"""Content in three languages, the reading side: every reader gets what organizers wrote in
their language, else the conference's main language (marked with its ``lang``), never a
blank: pages, the schedule's filter and search, calendar feeds, frab exports and the API."""

import json
from datetime import date

import icalendar
import lxml.etree
import lxml.html
import pytest

from eventreg.core.extensions import db
from tests.conftest import count_queries
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track

DAY = date(2031, 10, 14)
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
IT = {"Accept-Language": "it-IT,it;q=0.9"}


def page(response, status: int = 200):
    assert response.status_code == status, response.data[:500]
    return lxml.html.fromstring(response.data)


def text(element) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
def programme(app):
    """An English-first conference whose opening keynote is written in English and Chinese
    (not Italian), given in Chinese with interpretation; a second session given and written
    in Italian only (its main-language columns left blank)."""
    conference = make_conference(
        slug="shenzhen-italy",
        title="Medicine across borders",
        translations={"zh": {"title": "跨越国界的医学"}},
        timezone="Asia/Shanghai",
        start_date=DAY,
        end_date=DAY,
    )
    hall = make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    track = make_track(conference, name="Health Tech", translations={"zh": {"name": "健康科技"}})
    chen = make_speaker(
        conference,
        name="陈伟",
        title="Chief physician",
        bio="Works on **hospital data**.",
        translations={"zh": {"title": "主任医师", "bio": "研究**医院数据**。"}},
    )
    keynote = make_talk(
        conference,
        title="The future of AI in medicine",
        abstract="How hospitals in Shenzhen use data.",
        translations={
            "zh": {"title": "人工智能与医疗的未来", "abstract": "深圳的医院如何使用数据。"}
        },
        languages=["zh"],
        interpretation=True,
        kind="keynote",
        room=hall,
        track=track,
        speakers=[chen],
        start="09:00",
        end="10:00",
    )
    italian = make_talk(
        conference,
        title="",
        abstract="",
        translations={
            "it": {"title": "Perché la ricerca clinica è lenta", "abstract": "Sperimentazioni."}
        },
        languages=["it"],
        room=hall,
        start="10:30",
        end="11:15",
    )
    return conference, keynote, italian, chen


# --- pages --------------------------------------------------------------------------------


def test_a_chinese_reader_sees_the_chinese_title_and_abstract_on_the_session_page(
    client, programme
):
    conference, keynote, _, _ = programme
    doc = page(client.get(f"/c/{conference.slug}/sessions/{keynote.id}", headers=ZH))
    heading = doc.xpath("//h1")[0]
    assert text(heading) == "人工智能与医疗的未来"
    assert heading.get("lang") is None  # in the page's own language: no mark
    assert "深圳的医院如何使用数据。" in text(doc.xpath("//div[@class='prose']")[0])
    assert "The future of AI" not in doc.text_content()
    facts = text(doc.xpath("//dl[@class='facts']")[0])
    assert "主会场" in facts and "健康科技" in facts
    # Spoken in Chinese, with interpretation.
    assert doc.xpath("//dd/span[@lang='zh-Hans']/text()") == ["中文"]
    assert doc.xpath("//strong[contains(@class, 'interpretation')]")
    assert "跨越国界的医学" in text(doc.xpath("//title")[0])


def test_an_italian_reader_without_italian_text_gets_the_main_language_marked_lang(
    client, programme
):
    conference, keynote, _, _ = programme
    doc = page(client.get(f"/c/{conference.slug}/sessions/{keynote.id}", headers=IT))
    assert doc.get("lang") == "it"
    heading = doc.xpath("//h1")[0]
    assert text(heading) == "The future of AI in medicine"
    assert heading.get("lang") == "en"
    abstract = doc.xpath("//div[contains(@class, 'prose')]")[0]
    assert abstract.get("lang") == "en" and "How hospitals in Shenzhen" in text(abstract)
    assert doc.xpath("//dd/span[@lang='en']/text()") == ["Main Hall", "Health Tech"]


def test_the_schedule_shows_each_readers_language_and_marks_fallbacks(client, programme):
    conference, keynote, italian, _ = programme
    zh = page(client.get(f"/c/{conference.slug}/schedule?view=list", headers=ZH))
    titles = zh.xpath("//ol[contains(@class, 'session-list')]//h3/a")
    assert [text(a) for a in titles] == [
        "人工智能与医疗的未来",
        "Perché la ricerca clinica è lenta",
    ]
    # The Italian session has neither a Chinese nor an English title: shown in Italian,
    # the language that has it, marked so.
    assert [a.get("lang") for a in titles] == [None, "it"]
    meta = text(zh.xpath(f"//li[@data-session='{keynote.id}']//p[@class='card-meta']")[0])
    assert "健康科技" in meta and "中文" in meta
    assert "主会场" in text(zh.xpath(f"//li[@data-session='{keynote.id}']//p[@class='when']")[0])

    it = page(client.get(f"/c/{conference.slug}/schedule?view=list", headers=IT))
    titles = it.xpath("//ol[contains(@class, 'session-list')]//h3/a")
    assert [(text(a), a.get("lang")) for a in titles] == [
        ("The future of AI in medicine", "en"),
        ("Perché la ricerca clinica è lenta", None),
    ]


def test_the_speaker_page_and_conference_page_follow_the_reader(client, programme):
    conference, keynote, _, chen = programme
    doc = page(client.get(f"/c/{conference.slug}/speakers/{chen.id}", headers=ZH))
    assert "主任医师" in text(doc.xpath("//p[@class='lead']")[0])
    bio = doc.xpath("//div[contains(@class, 'prose')]")[0]
    assert bio.xpath(".//strong/text()") == ["医院数据"] and bio.get("lang") is None
    assert doc.xpath("//h3/a/text()") == ["人工智能与医疗的未来"]

    doc = page(client.get(f"/c/{conference.slug}/", headers=ZH))
    assert text(doc.xpath("//h1")[0]) == "跨越国界的医学"
    assert "人工智能与医疗的未来" in text(doc.xpath("//ul[@class='keynotes']")[0])
    doc = page(client.get(f"/c/{conference.slug}/", headers=IT))
    assert doc.xpath("//h1")[0].get("lang") == "en"


def test_pages_are_validated_per_language(client, programme):
    conference, keynote, _, _ = programme
    path = f"/c/{conference.slug}/sessions/{keynote.id}"
    schedule = f"/c/{conference.slug}/schedule"
    zh, it = client.get(schedule, headers=ZH), client.get(schedule, headers=IT)
    assert zh.headers["ETag"] != it.headers["ETag"]
    assert "Accept-Language" in zh.headers["Vary"]
    again = client.get(schedule, headers={**ZH, "If-None-Match": zh.headers["ETag"]})
    assert again.status_code == 304
    # A new translation reaches the next request (its revision moved).
    keynote.translations = {"zh": {"title": "新标题", "abstract": "新摘要。"}}
    db.session.commit()
    assert (
        client.get(schedule, headers={**ZH, "If-None-Match": zh.headers["ETag"]}).status_code == 200
    )
    assert "新标题" in page(client.get(path, headers=ZH)).text_content()


def test_translations_add_no_query_to_the_schedule(client, programme):
    conference, *_ = programme
    path = f"/c/{conference.slug}/schedule"
    client.get(path, headers=IT)  # the first request of a process sets things up once
    with count_queries() as plain:
        client.get(path, headers={"Accept-Language": "en"})
    with count_queries() as translated:
        client.get(path, headers=ZH)
    assert translated.count == plain.count


# --- the language filter and the search ----------------------------------------------------


def test_the_language_filter_keeps_sessions_given_or_interpreted_in_it(client, programme):
    conference, keynote, italian, _ = programme
    base = f"/c/{conference.slug}/schedule?view=list"

    def shown(language: str) -> set[str]:
        doc = page(client.get(f"{base}&language={language}", headers={"Accept-Language": "en"}))
        return {li.get("data-session") for li in doc.xpath("//ol//li[@data-session]")}

    # Given in Chinese: found in Chinese; interpreted (into every language): found in all.
    assert shown("zh") == {str(keynote.id)}
    assert shown("it") == {str(keynote.id), str(italian.id)}
    assert shown("en") == {str(keynote.id)}
    doc = page(client.get(base, headers={"Accept-Language": "en"}))
    options = doc.xpath("//select[@name='language']/option/@value")
    assert options == ["", "en", "zh", "it"]
    # The script filters by the same languages, written on each card.
    card = doc.xpath(f"//li[@data-session='{italian.id}']")[0]
    assert card.get("data-languages") == "it"


def test_a_session_without_languages_counts_as_the_main_language(client, programme):
    conference, *_ = programme
    plain = make_talk(conference, title="Closing remarks", start="12:00", end="12:30")
    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list&language=en"))
    assert str(plain.id) in doc.xpath("//ol//li/@data-session")
    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list&language=it"))
    assert str(plain.id) not in doc.xpath("//ol//li/@data-session")


def test_an_unknown_language_is_left_out_with_a_message(client, programme):
    conference, *_ = programme
    doc = page(client.get(f"/c/{conference.slug}/schedule?language=klingon"), 400)
    assert "klingon" in text(doc.xpath("//p[@role='alert']")[0])
    assert len(doc.xpath("//ol//li[@data-session]")) == 2


def test_the_search_finds_what_the_reader_reads(client, programme):
    conference, keynote, _, _ = programme
    index = client.get(f"/c/{conference.slug}/schedule/search.json", headers=ZH).get_json()
    assert "深圳的医院如何使用数据" in index["texts"][str(keynote.id)]
    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list&q=医疗", headers=ZH))
    assert doc.xpath("//ol//li/@data-session") == [str(keynote.id)]


# --- calendars and exports -----------------------------------------------------------------


def events_of(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_schedule_feed_is_in_the_readers_language(client, programme):
    conference, *_ = programme
    zh = client.get(f"/c/{conference.slug}/schedule.ics", headers=ZH)
    event = events_of(zh.data)["人工智能与医疗的未来"]
    assert "深圳的医院如何使用数据。" in str(event["DESCRIPTION"])
    assert "跨越国界的医学" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]).startswith("主会场")
    assert "主任医师" in str(event["DESCRIPTION"])
    it = client.get(f"/c/{conference.slug}/schedule.ics", headers=IT)
    assert "The future of AI in medicine" in events_of(it.data)
    assert zh.headers["ETag"] != it.headers["ETag"]


def test_the_frab_exports_follow_the_reader_and_vary_by_language(client, programme):
    conference, keynote, italian, _ = programme
    path = f"/c/{conference.slug}/schedule"
    zh = client.get(f"{path}.json", headers=ZH)
    schedule = zh.get_json()["schedule"]
    assert schedule["conference"]["title"] == "跨越国界的医学"
    (room,) = schedule["conference"]["days"][0]["rooms"].items()
    assert room[0] == "主会场"
    events = {event["id"]: event for event in room[1]}
    assert events[keynote.id]["title"] == "人工智能与医疗的未来"
    assert events[keynote.id]["abstract"] == "深圳的医院如何使用数据。"
    assert events[keynote.id]["track"] == "健康科技"
    assert events[keynote.id]["persons"][0]["biography"] == "研究医院数据。"
    assert (events[keynote.id]["language"], events[italian.id]["language"]) == ("zh", "it")
    # The slug is the same in every language: recordings are filed by it.
    en = client.get(f"{path}.json?lang=en").get_json()["schedule"]
    en_events = {e["id"]: e for e in en["conference"]["days"][0]["rooms"]["Main Hall"]}
    assert en_events[keynote.id]["title"] == "The future of AI in medicine"
    assert en_events[keynote.id]["slug"] == events[keynote.id]["slug"]

    xml = client.get(f"{path}.xml?lang=zh")
    document = lxml.etree.fromstring(xml.data)
    event = document.xpath(f"//event[@id='{keynote.id}']")[0]
    assert event.findtext("title") == "人工智能与医疗的未来"
    assert event.findtext("abstract") == "深圳的医院如何使用数据。"
    assert event.findtext("language") == "zh"
    assert document.findtext("conference/title") == "跨越国界的医学"

    for response in (zh, xml):
        assert {"Accept-Language", "Cookie"} <= set(response.vary)
    it = client.get(f"{path}.xml", headers=IT)
    assert it.headers["ETag"] != xml.headers["ETag"]
    assert (
        client.get(
            f"{path}.xml?lang=zh", headers={"If-None-Match": xml.headers["ETag"]}
        ).status_code
        == 304
    )
    assert "<title>The future of AI in medicine</title>" in it.get_data(as_text=True)


def test_the_frab_json_with_languages_stays_valid(client, programme):
    """The per-event language is a string (or null) as the published schema wants."""
    conference, *_ = programme
    data = client.get(f"/c/{conference.slug}/schedule.json?lang=it").get_json()
    events = data["schedule"]["conference"]["days"][0]["rooms"]["Main Hall"]
    assert all(isinstance(event["language"], str) for event in events)
    json.dumps(data)


# --- the API -----------------------------------------------------------------------------


def test_the_api_answers_in_the_readers_language(client, programme):
    conference, keynote, _, chen = programme
    base = f"/api/v1/conferences/{conference.slug}"
    session = client.get(f"{base}/sessions/{keynote.id}", headers=ZH)
    assert session.headers["Content-Language"] == "zh"
    assert "Accept-Language" in session.headers["Vary"]
    body = session.get_json()
    assert (body["title"], body["abstract"]) == ("人工智能与医疗的未来", "深圳的医院如何使用数据。")
    assert body["room"]["name"] == "主会场" and body["track"]["name"] == "健康科技"
    assert (body["languages"], body["interpretation"]) == (["zh"], True)
    assert "translations" not in body
    # ?lang= wins over Accept-Language, and sets no cookie.
    italian = client.get(f"{base}/sessions/{keynote.id}?lang=it", headers=ZH)
    assert italian.get_json()["title"] == "The future of AI in medicine"
    assert "Set-Cookie" not in italian.headers
    speakers = client.get(f"{base}/speakers", headers=ZH).get_json()["items"]
    assert speakers[0]["title"] == "主任医师" and speakers[0]["bio"] == "研究医院数据。"
    assert client.get(base, headers=ZH).get_json()["title"] == "跨越国界的医学"
    rooms = client.get(f"{base}/rooms", headers=ZH).get_json()["items"]
    assert [room["name"] for room in rooms] == ["主会场"]


def test_the_api_gives_every_translation_on_request(client, programme):
    conference, keynote, *_ = programme
    base = f"/api/v1/conferences/{conference.slug}"
    body = client.get(f"{base}/sessions/{keynote.id}?translations=all").get_json()
    assert body["title"] == "The future of AI in medicine"
    assert body["translations"]["en"]["title"] == "The future of AI in medicine"
    assert body["translations"]["zh"] == {
        "title": "人工智能与医疗的未来",
        "abstract": "深圳的医院如何使用数据。",
        "abstract_html": "<p>深圳的医院如何使用数据。</p>",
    }
    assert "it" not in body["translations"]
    assert body["room"]["translations"] == {"en": {"name": "Main Hall"}, "zh": {"name": "主会场"}}
    listed = client.get(f"{base}?translations=all").get_json()
    assert listed["main_language"] == "en"
    assert listed["translations"]["zh"] == {"title": "跨越国界的医学"}
    assert client.get(f"{base}/sessions?translations=some").status_code == 422
    assert client.get(f"{base}/sessions?lang=klingon").status_code == 422


def test_the_openapi_document_describes_languages_and_translations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    parameters = spec["paths"]["/api/v1/conferences/{slug}/sessions"]["get"]["parameters"]
    names = {parameter["name"] for parameter in parameters}
    assert {"lang", "translations"} <= names
    text_of_spec = json.dumps(spec)
    assert "SessionTexts" in text_of_spec and "interpretation" in text_of_spec
