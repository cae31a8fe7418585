"""Finding your way in the programme: filters and search on the schedule, "now and next",
the printable day agenda, wide grids, and joining a session from its (private) page."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import lxml.html
import pytest
from freezegun import freeze_time

from eventreg.conferences.models import Talk
from eventreg.core.extensions import db
from eventreg.site.schedule import normalize_text
from tests.conftest import count_queries
from tests.factories import at, make_conference, make_room, make_speaker, make_talk, make_track
from tests.registration.helpers import latest_link_for, page_text, register, submit

DAY = date(2031, 5, 6)
NEXT_DAY = DAY + timedelta(days=1)


def page(response, status: int = 200):
    assert response.status_code == status, response.data[:500]
    return lxml.html.fromstring(response.data)


def text(element) -> str:
    return " ".join(element.text_content().split())


def listed(doc) -> list[str]:
    """The titles of the list view's sessions, in order."""
    return [
        text(h3.xpath("a")[0]) for h3 in doc.xpath("//ol[contains(@class, 'session-list')]//h3")
    ]


@pytest.fixture
def programme(app):
    """Two days in Shanghai, three rooms, two tracks, talks in Chinese, Italian, English."""
    conference = make_conference(timezone="Asia/Shanghai", start_date=DAY, end_date=NEXT_DAY)
    hall = make_room(conference, name="Main Hall", position=0)
    pearl = make_room(conference, name="Pearl River Room", position=1)
    lab = make_room(conference, name="Lab Studio", position=2)
    bio = make_track(conference, name="Biomedicine")
    tech = make_track(conference, name="Health Tech")
    rossi = make_speaker(conference, name="Giulia Rossi")
    chen = make_speaker(conference, name="陈伟")
    talks = {
        "keynote": make_talk(
            conference, title="人工智能与医疗的未来", kind="keynote", room=hall, track=tech,
            start="09:00", end="10:00", speakers=[chen], abstract="深圳的医院如何使用数据。",
        ),
        "italian": make_talk(
            conference, title="Perché la ricerca clinica è lenta", room=pearl, track=bio,
            start="09:00", end="09:45", speakers=[rossi],
            abstract="Sperimentazioni, **qualità** e regolamentazione.",
        ),
        "break": make_talk(
            conference, title="Coffee break", kind="break", start="10:00", end="10:30"
        ),
        "workshop": make_talk(
            conference, title="Wound-healing lab", kind="workshop", room=lab, track=bio,
            start="10:30", end="12:00", abstract="Hands-on with hydrogels.",
        ),
        "day_two": make_talk(
            conference, title="Digital twins of patients", room=hall, track=tech,
            day=NEXT_DAY, start="09:00", end="09:45", speakers=[rossi],
        ),
        "day_two_pearl": make_talk(
            conference, title="Regulation in Europe", room=pearl, day=NEXT_DAY,
            start="10:00", end="10:45",
        ),
    }  # fmt: skip
    return conference, talks, {"hall": hall, "pearl": pearl, "lab": lab, "bio": bio, "tech": tech}


def schedule(client, conference, status=200, **args):
    return page(client.get(f"/c/{conference.slug}/schedule", query_string=args), status)


# --- filters ------------------------------------------------------------------------------


def test_filters_narrow_the_list_by_day_track_room_and_kind(client, programme):
    conference, _, places = programme

    by_day = schedule(client, conference, view="list", day=NEXT_DAY.isoformat())
    by_track = schedule(client, conference, view="list", track=places["bio"].id)
    by_room = schedule(client, conference, view="list", room=places["hall"].id)
    by_kind = schedule(client, conference, view="list", kind="workshop")
    combined = schedule(client, conference, view="list", track=places["tech"].id, day=DAY)

    assert listed(by_day) == ["Digital twins of patients", "Regulation in Europe"]
    assert listed(by_track) == ["Perché la ricerca clinica è lenta", "Wound-healing lab"]
    assert listed(by_room) == ["人工智能与医疗的未来", "Digital twins of patients"]
    assert listed(by_kind) == ["Wound-healing lab"]
    assert listed(combined) == ["人工智能与医疗的未来"]
    assert "1 of 6 sessions match." in text(combined.xpath("//p[@data-filter-status]")[0])


def test_the_form_keeps_the_filters_and_the_view_so_the_address_can_be_shared(client, programme):
    conference, _, places = programme

    doc = schedule(
        client, conference, view="list", track=places["bio"].id, q="lab", tz="Europe/Rome"
    )

    form = doc.xpath("//form[@data-schedule-filters]")[0]
    assert form.get("method") == "get" and form.get("action") == f"/c/{conference.slug}/schedule"
    assert form.xpath(".//select[@name='track']/option[@selected]/text()") == ["Biomedicine"]
    assert form.xpath(".//select[@name='room']/option[@selected]") == []  # "All rooms"
    assert form.xpath(".//input[@name='q']/@value") == ["lab"]
    hidden = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    assert hidden == {"view": "list", "tz": "Europe/Rome"}
    # Switching views keeps the filters; clearing them keeps the view.
    grid_link = doc.xpath("//nav[@aria-label='Schedule views']/a")[0].get("href")
    assert f"track={places['bio'].id}" in grid_link and "q=lab" in grid_link
    clear = doc.xpath("//a[contains(@class, 'clear-filters')]")[0]
    assert clear.get("hidden") is None and "track" not in clear.get("href")
    assert "view=list" in clear.get("href")


def test_no_match_says_so_clearly(client, programme):
    conference, _, places = programme

    doc = schedule(client, conference, view="list", kind="panel")

    assert listed(doc) == []
    message = doc.xpath("//p[@data-no-results]")[0]
    assert message.get("hidden") is None
    assert text(message).startswith("No session matches these filters.")
    # With matches, the message is in the page (for the script) but hidden.
    assert schedule(client, conference).xpath("//p[@data-no-results]")[0].get("hidden") is not None


@pytest.mark.parametrize(
    "args, message",
    [
        ({"track": "999999"}, "“999999” is not a choice of the filter “Track”; it is left out."),
        ({"room": "hall"}, "“hall” is not a choice of the filter “Room”; it is left out."),
        (
            {"day": "2031-13-40"},
            "“2031-13-40” is not a choice of the filter “Day”; it is left out.",
        ),
        ({"kind": "party"}, "“party” is not a choice of the filter “Kind”; it is left out."),
        (
            {"q": "x" * 201},
            "The search text is longer than 200 characters; only its start is used.",
        ),
    ],
)
def test_a_filter_value_not_on_offer_is_a_400_that_says_which(client, programme, args, message):
    conference, _, _ = programme

    doc = schedule(client, conference, 400, view="list", **args)

    assert doc.xpath("//p[@role='alert']/text()") == [message]
    if "q" not in args:  # the rest of the programme is still shown
        assert len(listed(doc)) == 6


# --- search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, titles",
    [
        ("人工智能", ["人工智能与医疗的未来"]),  # Chinese, inside a title without spaces
        ("深圳", ["人工智能与医疗的未来"]),  # in the abstract
        ("陈伟", ["人工智能与医疗的未来"]),  # a speaker's name
        ("perche", ["Perché la ricerca clinica è lenta"]),  # accents need not be typed
        ("PERCHÉ", ["Perché la ricerca clinica è lenta"]),
        ("qualita", ["Perché la ricerca clinica è lenta"]),  # Markdown abstract
        ("rossi", ["Perché la ricerca clinica è lenta", "Digital twins of patients"]),
        ("rossi twins", ["Digital twins of patients"]),  # every word must match
        ("ｌａｂ", ["Wound-healing lab"]),  # full-width letters, as a Chinese keyboard types
        ("nothing like this", []),
    ],
)
def test_search_finds_titles_abstracts_and_speakers(client, programme, query, titles):
    conference, _, _ = programme
    assert listed(schedule(client, conference, view="list", q=query)) == titles


def test_search_index_holds_each_sessions_normalised_text(client, programme):
    conference, talks, _ = programme

    response = client.get(f"/c/{conference.slug}/schedule/search.json")

    texts = response.get_json()["texts"]
    assert set(texts) == {str(talk.id) for talk in talks.values()}
    italian = texts[str(talks["italian"].id)]
    assert "perche la ricerca" in italian and "giulia rossi" in italian and "qualita" in italian


def test_normalize_text_folds_case_accents_and_width_but_keeps_chinese():
    assert normalize_text("Perché QUALITÀ") == "perche qualita"
    assert normalize_text("ＡＩ与医疗") == "ai与医疗"


# --- wide grids and empty rooms -------------------------------------------------------------


def test_rooms_without_sessions_that_day_are_left_out_of_its_grid(client, programme):
    conference, _, _ = programme

    doc = schedule(client, conference)

    day_one, day_two = doc.xpath("//table[contains(@class, 'schedule-grid')]")
    heads = ".//thead/th[@scope='col'] | .//thead/tr/th[@scope='col']"
    assert [text(th) for th in day_one.xpath(heads)][1:] == [
        "Main Hall",
        "Pearl River Room",
        "Lab Studio",
    ]
    assert [text(th) for th in day_two.xpath(heads)][1:] == ["Main Hall", "Pearl River Room"]
    assert "rooms-2" in day_two.get("class")


def test_a_wide_grid_says_it_scrolls_and_can_be_scrolled_by_keyboard(client, app):
    conference = make_conference(start_date=DAY, end_date=DAY)
    for position in range(5):
        room = make_room(conference, name=f"Room {position}", position=position)
        make_talk(conference, room=room, title=f"Talk {position}")

    doc = schedule(client, conference)

    box = doc.xpath("//div[contains(@class, 'grid-scroll')]")[0]
    assert box.get("tabindex") == "0" and box.get("role") == "region"
    assert box.get("aria-label") == "Sessions on Tuesday, May 6, 2031 by room and time"
    hint = doc.xpath(f"//*[@id='{box.get('aria-describedby')}']")[0]
    assert text(hint) == "Wider than the screen: scroll sideways to see every room."


def test_a_narrow_grid_has_no_scroll_hint(client, programme):
    conference, _, _ = programme
    doc = schedule(client, conference)
    assert not doc.xpath("//*[@data-scroll-hint]")
    assert doc.xpath("//div[contains(@class, 'grid-scroll')]/@tabindex") == ["0", "0"]


# --- now and next ----------------------------------------------------------------------------


def now_page(client, conference, **args):
    return page(client.get(f"/c/{conference.slug}/now", query_string=args))


def rooms_now(doc) -> dict[str, tuple[list[str], list[str]]]:
    """Each room's titles now and next."""
    found = {}
    for section in doc.xpath("//section[contains(@class, 'now-room')]"):
        name = text(section.xpath("h2")[0])
        now, following = [], []
        bucket = now
        for element in section.xpath("h3 | div | p[contains(@class, 'nothing')]"):
            if element.tag == "h3":
                bucket = now if text(element) == "Now" else following
            elif element.tag == "div":
                bucket.append(text(element.xpath(".//p[@class='title']/a")[0]))
        found[name] = (now, following)
    return found


def test_now_and_next_during_the_conference_per_room(client, programme):
    conference, talks, _ = programme
    talks["workshop"].status = "cancelled"
    make_talk(
        conference,
        title="Afternoon in the lab",
        room=talks["workshop"].room,
        start="14:00",
        end="15:00",
    )
    db.session.commit()

    with freeze_time(at(conference, DAY, "09:30")):
        doc = now_page(client, conference, tz="Europe/Rome")

    assert rooms_now(doc) == {
        "For everyone": ([], ["Coffee break"]),
        "Main Hall": (["人工智能与医疗的未来"], ["Digital twins of patients"]),
        "Pearl River Room": (["Perché la ricerca clinica è lenta"], ["Regulation in Europe"]),
        # The cancelled workshop is not what comes next.
        "Lab Studio": ([], ["Afternoon in the lab"]),
    }
    body = text(doc.xpath("//main")[0])
    assert "At the conference it is 09:30 CST (Asia/Shanghai)." in body
    assert "On your clock: Rome 03:30." in body  # the reader's clock, as on the schedule
    # Tomorrow's session says its day.
    hall = doc.xpath("//section[h2='Main Hall']//div[contains(@class, 'session')]")[1]
    assert text(hall.xpath("p[@class='when']")[0]).startswith("Wed, May 7 · 09:00–09:45 CST")


def test_a_cancelled_session_under_way_shows_as_cancelled(client, programme):
    conference, talks, _ = programme
    talks["keynote"].status = "cancelled"
    db.session.commit()

    with freeze_time(at(conference, DAY, "09:50")):
        doc = now_page(client, conference)

    hall = doc.xpath("//section[h2='Main Hall']//div[contains(@class, 'session')]")[0]
    assert "is-cancelled" in hall.get("class") and "Cancelled" in text(hall)


@pytest.mark.parametrize(
    "when, message",
    [
        (
            (DAY - timedelta(days=3), "12:00"),
            "The conference has not started yet: it begins on Tuesday, May 6, 2031.",
        ),
        ((NEXT_DAY, "10:45"), "The conference is over: nothing more is on."),
    ],
)
def test_before_and_after_the_conference_now_says_so_and_points_to_the_schedule(
    client, programme, when, message
):
    conference, _, _ = programme

    with freeze_time(at(conference, *when)):
        doc = now_page(client, conference)

    assert text(doc.xpath("//p[@class='notice']")[0]) == message
    assert not doc.xpath("//section[contains(@class, 'now-room')]")
    assert doc.xpath("//a[.='See the whole schedule']/@href") == [f"/c/{conference.slug}/schedule"]


def test_schedule_links_to_now_only_while_the_conference_is_on(client, programme):
    conference, _, _ = programme
    with freeze_time(at(conference, DAY, "11:00")):
        during = schedule(client, conference)
    with freeze_time(at(conference, DAY + timedelta(days=5), "11:00")):
        after = schedule(client, conference)
    assert during.xpath("//a[contains(@class, 'now-link')]/@href") == [f"/c/{conference.slug}/now"]
    assert not after.xpath("//a[contains(@class, 'now-link')]")


# --- print -------------------------------------------------------------------------------------


def test_printable_day_agenda_is_one_compact_table(client, programme):
    conference, _, _ = programme

    doc = page(client.get(f"/c/{conference.slug}/schedule/{DAY.isoformat()}/print"))

    rows = doc.xpath("//table[@class='agenda-table']/tbody/tr")
    assert [text(row) for row in rows] == [
        "09:00–10:00 Main Hall 人工智能与医疗的未来 Keynote · Health Tech 陈伟",
        "09:00–09:45 Pearl River Room Perché la ricerca clinica è lenta Biomedicine Giulia Rossi",
        "10:00–10:30 All rooms Coffee break Break",
        "10:30–12:00 Lab Studio Wound-healing lab Workshop · Biomedicine",
    ]
    assert doc.xpath("//link[@media='print']/@href") == ["/static/css/print.css"]
    # Each day of the schedule links to its agenda.
    links = schedule(client, conference).xpath("//p[@class='print-day']/a/@href")
    assert links == [
        f"/c/{conference.slug}/schedule/{d.isoformat()}/print" for d in (DAY, NEXT_DAY)
    ]


@pytest.mark.parametrize("day", ["2031-05-09", "not-a-day", "2031-02-30"])
def test_printable_agenda_of_a_day_without_sessions_is_not_found(client, programme, day):
    conference, _, _ = programme
    assert client.get(f"/c/{conference.slug}/schedule/{day}/print").status_code == 404


def test_schedule_pages_carry_the_print_stylesheet(client, programme):
    conference, talks, _ = programme
    for path in ("schedule", f"sessions/{talks['keynote'].id}", "now"):
        doc = page(client.get(f"/c/{conference.slug}/{path}"))
        assert doc.xpath("//link[@media='print']/@href") == ["/static/css/print.css"], path


# --- joining from the session page ----------------------------------------------------------------


def attendee(app, conference, name: str):
    client = app.test_client()
    address = f"{name}@example.org"
    assert register(client, conference, full_name=name, email=address).status_code == 303
    return client, latest_link_for(address)


def test_attendee_joins_and_leaves_from_the_private_session_page(app, programme):
    conference, talks, _ = programme
    workshop = talks["workshop"]
    workshop.capacity = 1
    db.session.commit()
    client, link = attendee(app, conference, "ada")
    session_page = f"{link}/sessions/{workshop.id}"

    response = client.get(session_page)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "1 seat left" in page_text(response) and "Wound-healing lab" in page_text(response)

    joined = submit(client, session_page, action="/join")
    assert joined.status_code == 303 and joined.headers["Location"] == session_page
    after = client.get(session_page)
    assert "In your agenda: you have a seat" in page_text(after)
    assert "You have a seat in “Wound-healing lab”." in page_text(after)
    # The management page shows it, and links its sessions to their private pages.
    manage = page(client.get(link))
    item = manage.xpath(f"//li[@id='session-{workshop.id}']")[0]
    assert "In your agenda" in text(item)
    assert item.xpath(".//p[@class='title']/a/@href") == [session_page]

    left = submit(client, session_page, action="/leave")
    assert left.headers["Location"] == session_page
    assert "“Wound-healing lab” is no longer in your agenda." in page_text(client.get(session_page))


def test_a_full_session_offers_its_waiting_list(app, programme):
    conference, talks, _ = programme
    talks["workshop"].capacity = 1
    db.session.commit()
    first, first_link = attendee(app, conference, "ada")
    second, second_link = attendee(app, conference, "bruno")
    submit(first, f"{first_link}/sessions/{talks['workshop'].id}", action="/join")

    session_page = f"{second_link}/sessions/{talks['workshop'].id}"
    doc = page(second.get(session_page))
    assert doc.xpath("//section[contains(@class, 'agenda-choice')]//button/text()") == [
        "Join the waiting list"
    ]
    submit(second, session_page, action="/join")
    assert "Waiting list: you are number 1" in page_text(second.get(session_page))


def test_the_public_session_page_holds_no_secret_and_needs_no_cookie(app, programme):
    conference, talks, _ = programme
    _, link = attendee(app, conference, "ada")
    anonymous = app.test_client()

    response = anonymous.get(f"/c/{conference.slug}/sessions/{talks['keynote'].id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "/manage/" not in html and "csrf_token" not in html and '<form method="post"' not in html
    assert link.rsplit("/", 1)[1] not in html


def test_the_private_session_page_refuses_foreign_tokens_and_sessions(app, programme):
    conference, talks, _ = programme
    other = make_conference()
    foreign_talk = make_talk(other, title="Elsewhere")
    _, link = attendee(app, conference, "ada")
    _, other_link = attendee(app, other, "bruno")
    client = app.test_client()
    token = link.rsplit("/", 1)[1]
    other_token = other_link.rsplit("/", 1)[1]
    unscheduled = make_talk(conference, start_at=None, end_at=None)

    paths = [
        f"/c/{conference.slug}/manage/{other_token}/sessions/{talks['keynote'].id}",
        f"/c/{conference.slug}/manage/not-a-token/sessions/{talks['keynote'].id}",
        f"/c/{conference.slug}/manage/{token}/sessions/{foreign_talk.id}",
        f"/c/{conference.slug}/manage/{token}/sessions/{unscheduled.id}",
        f"/c/no-such-conference/manage/{token}/sessions/{talks['keynote'].id}",
    ]
    assert [client.get(path).status_code for path in paths] == [404] * len(paths)


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/x", "/c/other/schedule", "", None]
)
def test_joining_goes_back_to_a_page_of_the_site_only(app, programme, back):
    conference, talks, _ = programme
    client, link = attendee(app, conference, "ada")
    talk = talks["keynote"]

    response = submit(client, f"{link}/sessions/{talk.id}", action="/join", back=back)

    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "eventreg.test")
    assert location.path + ("#" + location.fragment if location.fragment else "") == (
        f"{link}#session-{talk.id}"
    )


def test_the_private_page_says_why_a_session_cannot_be_picked(app, programme):
    conference, talks, _ = programme
    client, link = attendee(app, conference, "ada")

    coffee = page_text(client.get(f"{link}/sessions/{talks['break'].id}"))

    assert "This session cannot be added to an agenda." in coffee
    with freeze_time(at(conference, NEXT_DAY + timedelta(days=2), "09:00")):
        over = page(client.get(f"{link}/sessions/{talks['keynote'].id}"))
    assert "The conference is over: the agenda can no longer change." in text(over)
    assert not over.xpath("//form[@method='post']")


# --- queries --------------------------------------------------------------------------------------


def make_sessions(count: int):
    """A two-day conference with ``count`` sessions over five rooms and three tracks."""
    conference = make_conference(start_date=DAY, end_date=NEXT_DAY)
    rooms = [make_room(conference, name=f"Room {i}", position=i) for i in range(5)]
    tracks = [make_track(conference, name=f"Track {i}") for i in range(3)]
    speakers = [make_speaker(conference, name=f"Speaker {i}") for i in range(10)]
    first = make_talk(conference, room=rooms[0], start="08:00", end="08:30", speakers=speakers[:2])
    for i in range(count - 1):
        begin = first.start_at + timedelta(minutes=30 * (i // len(rooms)))
        db.session.add(
            Talk(
                conference=conference,
                title=f"Session {i}",
                abstract=f"Abstract {i}",
                start_at=begin,
                end_at=begin + timedelta(minutes=25),
                room=rooms[i % len(rooms)],
                track=tracks[i % len(tracks)],
                speakers=[speakers[i % 10]],
            )
        )
    db.session.commit()
    slug, talk_id = conference.slug, first.id
    db.session.expunge_all()
    return slug, talk_id, at(conference, DAY, "08:10")


@pytest.mark.parametrize(
    "path",
    [
        "/c/{slug}/schedule",
        "/c/{slug}/schedule?view=list&track={track}&q=session+abstract",
        "/c/{slug}/sessions/{talk}",
        "/c/{slug}/now",
        "/c/{slug}/schedule/2031-05-06/print",
        "/c/{slug}/schedule/search.json",
    ],
)
def test_finding_pages_take_the_same_few_queries_for_10_or_100_sessions(app, client, path):
    counts = {}
    for sessions in (10, 100):
        slug, talk_id, during = make_sessions(sessions)
        track = db.session.scalar(db.select(Talk.track_id).filter_by(id=talk_id + 1))
        url = path.format(slug=slug, talk=talk_id, track=track)
        with freeze_time(during), count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[sessions] = queries.count

    assert counts[10] == counts[100], counts
    assert counts[100] <= 7, counts


def test_private_session_page_takes_the_same_few_queries_with_a_full_agenda(app):
    conference = make_conference(start_date=DAY, end_date=DAY)
    talks = [
        make_talk(conference, title=f"Talk {i}", start=f"{9 + i}:00", end=f"{9 + i}:30")
        for i in range(6)
    ]
    client, link = attendee(app, conference, "ada")
    counts = []
    # Other sessions than the one shown: their times are read to find clashes.
    for picked in (talks[1:2], talks[2:6]):
        for talk in picked:
            submit(client, f"{link}/sessions/{talk.id}", action="/join")
        with count_queries() as queries:
            assert client.get(f"{link}/sessions/{talks[0].id}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


# --- validators -----------------------------------------------------------------------------------


def test_schedule_revalidates_with_a_304_until_the_programme_changes(app, client, programme):
    conference, talks, places = programme
    url = f"/c/{conference.slug}/schedule"
    first = client.get(url)
    etag = first.headers["ETag"]

    again = client.get(url, headers={"If-None-Match": etag})
    filtered = client.get(url, query_string={"track": places["bio"].id})
    searched = client.get(url, query_string={"q": "lab"})
    # The language is chosen once and kept in the session: another reader's.
    italian = app.test_client().get(url, query_string={"lang": "it"})
    assert again.status_code == 304 and not again.data
    assert len({etag, *(r.headers["ETag"] for r in (filtered, searched, italian))}) == 4
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    talks["keynote"].title = "A new title"
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "A new title" in changed.get_data(as_text=True)
