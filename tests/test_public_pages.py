"""The public site, read through the test client: what each page shows, and what it hides."""

from datetime import date, timedelta

import lxml.html
import pytest

from eventreg.conferences.models import Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from tests.conftest import count_queries
from tests.factories import (
    make_conference,
    make_room,
    make_speaker,
    make_talk,
    make_track,
)


def page(response, status: int = 200):
    assert response.status_code == status, response.data[:500]
    return lxml.html.fromstring(response.data)


def text(element) -> str:
    return " ".join(element.text_content().split())


def texts(doc, xpath: str) -> list[str]:
    return [text(element) for element in doc.xpath(xpath)]


def body_text(doc) -> str:
    return text(doc.xpath("//main")[0])


def has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- the list of conferences -------------------------------------------------------------


def test_index_lists_published_conferences_soonest_first_and_hides_drafts(app, client):
    today = utcnow().date()
    later = make_conference(title="Later Summit", start_date=today + timedelta(days=90))
    sooner = make_conference(title="Sooner Forum", start_date=today + timedelta(days=10))
    make_conference(title="Secret Draft", start_date=today + timedelta(days=20), published=False)
    past = make_conference(
        title="Last Year Meeting",
        start_date=today - timedelta(days=300),
        end_date=today - timedelta(days=299),
    )

    doc = page(client.get("/"))

    upcoming = texts(doc, "//section[@aria-labelledby='upcoming-heading']//h3")
    assert upcoming == ["Sooner Forum", "Later Summit"]
    assert texts(doc, "//section[@aria-labelledby='past-heading']//h3") == ["Last Year Meeting"]
    assert "Secret Draft" not in body_text(doc)
    links = doc.xpath("//main//h3/a/@href")
    assert links == [f"/c/{c.slug}/" for c in (sooner, later, past)]


def test_index_without_conferences_says_so(app, client):
    doc = page(client.get("/"))
    assert "No upcoming conferences have been published yet." in body_text(doc)


# --- a conference's page -----------------------------------------------------------------


def test_conference_page_shows_the_facts_tracks_speakers_and_register_link(app, client):
    conference = make_conference(
        title="Biotech Bridge",
        description="First paragraph about the event.\n\nSecond paragraph.",
        venue="Harbour Centre",
        address="1 Harbour Road, Shenzhen",
        timezone="Asia/Shanghai",
        start_date=date(2031, 5, 6),
        end_date=date(2031, 5, 7),
        organizer_name="Shenzhen Office",
    )
    make_track(conference, name="Health Tech", description="Devices and data.")
    speaker = make_speaker(
        conference, name="Sun Xiaoyu", title="Chief Representative", affiliation="The Office"
    )
    make_talk(conference, speakers=[speaker])

    doc = page(client.get(f"/c/{conference.slug}/"))

    assert text(doc.xpath("//h1")[0]) == "Biotech Bridge"
    facts = dict(zip(texts(doc, "//dl//dt"), texts(doc, "//dl//dd"), strict=True))
    assert facts["Dates"] == "Tuesday, May 6, 2031 – Wednesday, May 7, 2031"
    assert facts["Venue"] == "Harbour Centre"
    assert facts["Address"] == "1 Harbour Road, Shenzhen"
    assert facts["Time zone"] == "Asia/Shanghai"
    assert facts["Organizer"] == "Shenzhen Office"
    assert texts(doc, "//section[@aria-labelledby='about-heading']//p") == [
        "First paragraph about the event.",
        "Second paragraph.",
    ]
    assert texts(doc, "//section[@aria-labelledby='tracks-heading']//h3") == ["Health Tech"]
    assert "Devices and data." in body_text(doc)
    register = doc.xpath("//a[normalize-space()='Register']/@href")
    assert register == [f"/c/{conference.slug}/register"]
    speakers = doc.xpath("//section[@aria-labelledby='speakers-heading']//li")
    assert [text(li) for li in speakers] == ["S Sun Xiaoyu Chief Representative, The Office"]
    assert speakers[0].xpath(".//a/@href") == [f"/c/{conference.slug}/speakers/{speaker.id}"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"registration_opens_at": utcnow() + timedelta(days=3)},
            "Registration opens on",
        ),
        (
            {
                "registration_opens_at": utcnow() - timedelta(days=3),
                "registration_closes_at": utcnow() - timedelta(days=1),
            },
            "Registration is closed.",
        ),
        (
            {
                "start_date": utcnow().date() - timedelta(days=10),
                "end_date": utcnow().date() - timedelta(days=9),
            },
            "This conference has taken place.",
        ),
    ],
    ids=["not-yet-open", "closed", "past"],
)
def test_conference_page_explains_why_registration_is_not_possible(app, client, fields, message):
    conference = make_conference(**fields)

    doc = page(client.get(f"/c/{conference.slug}/"))

    assert message in body_text(doc)
    assert not doc.xpath("//a[normalize-space()='Register']")


def test_conference_page_lists_only_speakers_with_a_scheduled_session(app, client):
    conference = make_conference()
    speaking = make_speaker(conference, name="Giulia Rossi")
    cancelled_only = make_speaker(conference, name="Marco Bianchi")
    make_talk(conference, speakers=[speaking])
    make_talk(conference, speakers=[cancelled_only], status="cancelled")
    other = make_conference()
    make_talk(other, speakers=[make_speaker(other, name="Someone Elsewhere")])

    doc = page(client.get(f"/c/{conference.slug}/"))

    names = texts(doc, "//section[@aria-labelledby='speakers-heading']//li//a")
    assert names == ["Giulia Rossi"]


def test_conference_page_features_keynotes_and_counts_sessions(app, client):
    conference = make_conference(timezone="Asia/Shanghai", start_date=date(2031, 5, 6))
    make_talk(conference, title="Opening keynote", kind="keynote", start="09:30", end="10:15")
    make_talk(conference, title="Ordinary talk")
    make_talk(conference, title="Lunch", kind="break")
    make_talk(conference, title="Called off", status="cancelled")

    doc = page(client.get(f"/c/{conference.slug}/"))

    keynotes = texts(doc, "//ul[@class='keynotes']/li")
    assert keynotes == ["Opening keynote May 6, 2031, 09:30–10:15 CST (Asia/Shanghai)"]
    # Breaks and cancelled sessions do not count; what there is none of is not mentioned.
    figures = texts(doc, "//ul[@class='glance-figures']/li")
    assert figures == ["2 sessions"]


@pytest.mark.parametrize("path", ["/c/{slug}/", "/c/{slug}/schedule", "/c/{slug}/tracks.css"])
def test_drafts_and_unknown_conferences_are_not_found(app, client, path):
    draft = make_conference(published=False)

    for slug in (draft.slug, "no-such-conference"):
        doc = page(client.get(path.format(slug=slug)), status=404)
        if not path.endswith(".css"):
            assert text(doc.xpath("//h1")[0]) == "Page not found"


# --- the schedule ------------------------------------------------------------------------


@pytest.fixture
def programme(app):
    """A small day in Shanghai: two parallel sessions, a break for everyone, a cancellation."""
    day = date(2031, 5, 6)
    conference = make_conference(timezone="Asia/Shanghai", start_date=day, end_date=day)
    # Created out of order: columns follow the rooms' positions, not their ids.
    lab = make_room(conference, name="Lab Studio", position=2)
    hall = make_room(conference, name="Main Hall", position=0)
    pearl = make_room(conference, name="Pearl River Room", position=1)
    track = make_track(conference, name="Biomedicine", color="#b3261e")
    rossi = make_speaker(conference, name="Giulia Rossi")
    chen = make_speaker(conference, name="Chen Wei")
    talks = {
        "keynote": make_talk(
            conference, title="Opening keynote", kind="keynote", room=hall, track=track,
            start="09:30", end="10:30", speakers=[rossi, chen],
        ),
        "short": make_talk(
            conference, title="Short talk", room=pearl, start="09:30", end="10:00"
        ),
        "break": make_talk(
            conference, title="Coffee break", kind="break", start="10:30", end="11:00"
        ),
        "cancelled": make_talk(
            conference, title="Called-off workshop", kind="workshop", room=lab,
            start="11:00", end="12:00", status="cancelled",
        ),
    }  # fmt: skip
    make_talk(conference, title="Unscheduled idea", start_at=None, end_at=None)
    return conference, talks


def test_schedule_grid_is_a_table_of_rooms_against_time(client, programme):
    conference, talks = programme

    doc = page(client.get(f"/c/{conference.slug}/schedule"))

    table = doc.xpath("//table[contains(@class, 'schedule-grid')]")[0]
    assert texts(table, ".//thead/tr/th[@scope='col']") == [
        "Time CST",
        "Main Hall",
        "Pearl River Room",
        "Lab Studio",
    ]
    assert texts(table, ".//tbody/tr/th[@scope='row']") == ["09:30", "10:00", "10:30", "11:00"]
    assert text(table.xpath("caption")[0]) == "Sessions on Tuesday, May 6, 2031 by room and time"

    rows = table.xpath(".//tbody/tr")
    keynote_cell = rows[0].xpath("td")[0]
    assert keynote_cell.get("rowspan") == "2"
    assert keynote_cell.xpath(".//a/@href") == [
        f"/c/{conference.slug}/sessions/{talks['keynote'].id}"
    ]
    assert text(keynote_cell) == (
        "Opening keynote 09:30–10:30 · Keynote · Biomedicine Chen Wei, Giulia Rossi"
    )
    assert text(rows[0].xpath("td")[1]).startswith("Short talk 09:30–10:00")
    # The keynote's column is covered at 10:00, so that row has the two other rooms only.
    assert len(rows[1].xpath("td")) == 2
    break_cell = rows[2].xpath("td")
    assert len(break_cell) == 1 and break_cell[0].get("colspan") == "3"
    assert "Coffee break" in text(break_cell[0])
    assert "Unscheduled idea" not in body_text(doc)


def test_schedule_names_the_zone_and_shows_every_time_in_it(client, programme):
    conference, _ = programme

    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list"))

    assert "All times are in the conference's time zone: CST (Asia/Shanghai)." in body_text(doc)
    whens = texts(doc, "//ol[contains(@class, 'session-list')]//p[@class='when']")
    assert whens == [
        "09:30–10:30 CST (Asia/Shanghai) · Main Hall",
        "09:30–10:00 CST (Asia/Shanghai) · Pearl River Room",
        "10:30–11:00 CST (Asia/Shanghai)",
        "11:00–12:00 CST (Asia/Shanghai) · Lab Studio",
    ]
    first = doc.xpath("//ol[contains(@class, 'session-list')]//time/@datetime")[0]
    assert first == "2031-05-06T01:30:00+00:00"  # 09:30 in Shanghai is 01:30 UTC


def test_schedule_in_rome_follows_summer_time(app, client):
    day = date(2031, 7, 1)
    conference = make_conference(timezone="Europe/Rome", start_date=day, end_date=day)
    make_talk(conference, title="Summer talk", start="09:30", end="10:15")

    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list"))

    assert texts(doc, "//p[@class='when']") == ["09:30–10:15 CEST (Europe/Rome)"]


def test_list_view_has_no_table_and_marks_cancelled_sessions(client, programme):
    conference, talks = programme

    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list"))

    assert not doc.xpath("//table")
    items = doc.xpath("//ol[contains(@class, 'session-list')]/li")
    assert [text(item.xpath(".//h3")[0]) for item in items] == [
        "Opening keynote",
        "Short talk",
        "Coffee break",
        "Called-off workshop Cancelled",
    ]
    assert "is-cancelled" in items[3].get("class")
    assert text(items[0].xpath(".//p[@class='card-meta']")[0]) == (
        "Keynote · Biomedicine · Chen Wei, Giulia Rossi"
    )


def test_grid_view_marks_cancelled_sessions_and_carries_the_list_for_phones(client, programme):
    conference, _ = programme

    doc = page(client.get(f"/c/{conference.slug}/schedule"))

    cancelled = doc.xpath(f"//table//div[{has_class('is-cancelled')}]")
    assert [text(card) for card in cancelled] == [
        "Called-off workshop Cancelled 11:00–12:00 · Workshop"
    ]
    # The list is in the page too; the stylesheet shows it instead of the grid on phones.
    assert doc.xpath(f"//ol[{has_class('session-list')} and {has_class('only-narrow')}]")
    current = texts(doc, "//nav[@aria-label='Schedule views']/a[@aria-current='page']")
    assert current == ["Grid"]


def test_schedule_groups_sessions_by_local_day(app, client):
    day = date(2031, 5, 6)
    conference = make_conference(
        timezone="Asia/Shanghai", start_date=day, end_date=day + timedelta(days=1)
    )
    make_talk(conference, title="Day one", day=day, start="09:00", end="09:30")
    # 00:30 in Shanghai is still the previous day in UTC: it belongs to day two all the same.
    make_talk(conference, title="Day two", day=day + timedelta(days=1), start="00:30", end="01:00")

    doc = page(client.get(f"/c/{conference.slug}/schedule?view=list"))

    assert texts(doc, "//section[contains(@class, 'day')]/h2") == [
        "Tuesday, May 6, 2031",
        "Wednesday, May 7, 2031",
    ]
    assert texts(doc, "//section[contains(@class, 'day')][2]//h3") == ["Day two"]
    assert texts(doc, "//nav[@aria-label='Days']/a") == ["Tue, May 6", "Wed, May 7"]


def test_schedule_without_sessions_says_so(app, client):
    conference = make_conference()
    doc = page(client.get(f"/c/{conference.slug}/schedule"))
    assert "The programme has not been published yet." in body_text(doc)


# --- a session and a speaker -------------------------------------------------------------


def test_session_page_shows_everything_about_the_session(client, programme):
    conference, _ = programme
    hall = conference.rooms[0]
    rossi = make_speaker(
        conference, name="Li Na", title="Principal Investigator", affiliation="Bay Institute"
    )
    talk = make_talk(
        conference, title="Hands-on: cell therapy", kind="workshop", room=hall,
        track=conference.tracks[0], capacity=20, start="14:00", end="15:15",
        abstract="Map every step.\n\nBring a laptop.", speakers=[rossi],
    )  # fmt: skip

    doc = page(client.get(f"/c/{conference.slug}/sessions/{talk.id}"))

    assert text(doc.xpath("//h1")[0]) == "Hands-on: cell therapy"
    assert text(doc.xpath("//p[@class='eyebrow']")[0]) == "Workshop · Biomedicine"
    facts = dict(zip(texts(doc, "//dl//dt"), texts(doc, "//dl//dd"), strict=True))
    assert facts == {
        "When": "Tuesday, May 6, 2031 14:00–15:15 CST (Asia/Shanghai)",
        "Room": "Main Hall",
        "Track": "Biomedicine",
        "Capacity": "20 seats",
    }
    assert texts(doc, "//section[@aria-labelledby='abstract-heading']//p") == [
        "Map every step.",
        "Bring a laptop.",
    ]
    assert text(doc.xpath("//h2[@id='speakers-heading']")[0]) == "Speaker"
    assert texts(doc, "//section[@aria-labelledby='speakers-heading']//li") == [
        "L Li Na Principal Investigator, Bay Institute"
    ]
    assert not doc.xpath("//*[contains(@class, 'cancelled')]")


def test_session_page_of_a_cancelled_session_says_so(client, programme):
    conference, talks = programme

    doc = page(client.get(f"/c/{conference.slug}/sessions/{talks['cancelled'].id}"))

    assert "This session has been cancelled." in body_text(doc)
    assert "is-cancelled" in doc.xpath("//article")[0].get("class")


def test_a_session_without_a_time_is_not_public(app, client):
    # Ids are sequential: trying them must not reveal the sessions still being planned.
    conference = make_conference()
    talk = make_talk(conference, title="Still being planned", start_at=None, end_at=None)

    response = client.get(f"/c/{conference.slug}/sessions/{talk.id}")

    assert response.status_code == 404
    assert "Still being planned" not in response.text


def test_a_speaker_of_sessions_without_a_time_only_is_not_public(app, client):
    conference = make_conference()
    planned = make_speaker(conference, name="Not Yet Announced")
    make_talk(conference, speakers=[planned], start_at=None, end_at=None)
    announced = make_speaker(conference, name="Giulia Rossi")
    make_talk(conference, speakers=[announced])

    hidden = client.get(f"/c/{conference.slug}/speakers/{planned.id}")
    doc = page(client.get(f"/c/{conference.slug}/"))

    assert hidden.status_code == 404
    assert "Not Yet Announced" not in hidden.text
    assert "Not Yet Announced" not in body_text(doc)
    page(client.get(f"/c/{conference.slug}/speakers/{announced.id}"))


def test_session_of_another_conference_or_a_draft_is_not_found(app, client):
    mine = make_conference()
    other = make_conference()
    draft = make_conference(published=False)
    foreign = make_talk(other)
    hidden = make_talk(draft)

    page(client.get(f"/c/{mine.slug}/sessions/{foreign.id}"), status=404)
    page(client.get(f"/c/{draft.slug}/sessions/{hidden.id}"), status=404)
    page(client.get(f"/c/{mine.slug}/sessions/999999"), status=404)
    page(client.get(f"/c/{other.slug}/sessions/{foreign.id}"))


def test_speaker_page_shows_name_role_bio_and_sessions(client, programme):
    conference, talks = programme
    rossi = talks["keynote"].speakers[1]
    rossi.title = "Professor of Molecular Oncology"
    rossi.affiliation = "Università di Pavia"
    rossi.bio = "Works on tumour genomics."
    cancelled = db.session.get(Talk, talks["cancelled"].id)
    cancelled.speakers.append(rossi)
    db.session.commit()

    doc = page(client.get(f"/c/{conference.slug}/speakers/{rossi.id}"))

    assert text(doc.xpath("//h1")[0]) == "Giulia Rossi"
    assert text(doc.xpath("//p[@class='lead']")[0]) == (
        "Professor of Molecular Oncology, Università di Pavia"
    )
    assert texts(doc, "//section[@aria-labelledby='bio-heading']//p") == [
        "Works on tumour genomics."
    ]
    sessions = doc.xpath("//section[@aria-labelledby='sessions-heading']//li")
    assert [text(li.xpath(".//h3")[0]) for li in sessions] == [
        "Opening keynote",
        "Called-off workshop Cancelled",
    ]
    assert text(sessions[0].xpath(".//p[@class='when']")[0]) == (
        "Tuesday, May 6, 2031 · 09:30–10:30 CST (Asia/Shanghai) · Main Hall"
    )
    assert sessions[0].xpath(".//a/@href") == [
        f"/c/{conference.slug}/sessions/{talks['keynote'].id}"
    ]


def test_speaker_of_another_conference_is_not_found(app, client):
    mine = make_conference()
    other = make_conference()
    stranger = make_speaker(other)
    make_talk(other, speakers=[stranger])

    page(client.get(f"/c/{mine.slug}/speakers/{stranger.id}"), status=404)
    page(client.get(f"/c/{mine.slug}/speakers/999999"), status=404)
    page(client.get(f"/c/{other.slug}/speakers/{stranger.id}"))


def test_unknown_address_gets_the_site_404_page(app, client):
    response = client.get("/no/such/page")

    doc = page(response, status=404)
    assert text(doc.xpath("//h1")[0]) == "Page not found"
    assert doc.xpath("//main//a/@href") == ["/"]


def test_pages_forbid_inline_scripts_and_styles(app, client, programme):
    conference, _ = programme
    response = client.get(f"/c/{conference.slug}/schedule")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    doc = page(response)
    assert not doc.xpath("//*[@style]") and not doc.xpath("//style")
    # Scripts only as files of the site itself (the local-time helper), never inline.
    assert not doc.xpath("//script[not(@src)]")
    assert all(src.startswith("/static/") for src in doc.xpath("//script/@src"))


# --- queries per page --------------------------------------------------------------------


def make_programme(sessions: int):
    """A conference with rooms, tracks and shared speakers, and ``sessions`` sessions."""
    day = date(2031, 5, 6)
    conference = make_conference(start_date=day, end_date=day + timedelta(days=4))
    rooms = [make_room(conference, name=f"Room {i}", position=i) for i in range(5)]
    tracks = [make_track(conference, name=f"Track {i}") for i in range(3)]
    speakers = [make_speaker(conference, name=f"Speaker {i}") for i in range(40)]
    start = make_talk(conference, start="08:00", end="08:30").start_at
    for i in range(sessions - 1):
        begin = start + timedelta(minutes=30 * (i // len(rooms)))
        db.session.add(
            Talk(
                conference=conference,
                title=f"Session {i}",
                kind="break" if i % 50 == 0 else "talk",
                start_at=begin,
                end_at=begin + timedelta(minutes=25),
                room=None if i % 50 == 0 else rooms[i % len(rooms)],
                track=tracks[i % len(tracks)],
                status="cancelled" if i % 17 == 0 else "scheduled",
                speakers=[speakers[i % 40], speakers[(i * 7) % 40]] if i % 3 else [],
            )
        )
    db.session.commit()
    slug = conference.slug
    db.session.expunge_all()  # pages start from an empty session, like a real request
    return slug


@pytest.mark.parametrize(
    "path", ["/c/{slug}/schedule", "/c/{slug}/", "/c/{slug}/schedule?view=list"]
)
def test_pages_take_the_same_few_queries_for_50_or_500_sessions(app, client, path):
    counts = {}
    for sessions in (50, 500):
        slug = make_programme(sessions)
        with count_queries() as queries:
            response = client.get(path.format(slug=slug))
        assert response.status_code == 200
        assert response.data.count(b"Session ") >= (sessions - 1 if "schedule" in path else 0)
        counts[sessions] = queries.count

    assert counts[50] == counts[500], counts
    assert counts[500] <= 6, counts
