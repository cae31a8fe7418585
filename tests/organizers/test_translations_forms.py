"""Content in several languages, as organizers write it: the forms' language tabs, the
main-language switch, the API's checks, the dashboard's completeness, the registration form
in the reader's language, and messages delivered in each recipient's language."""

import re

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens as tokens
from eventreg.conferences.models import Conference, Room, Speaker, Talk, Track
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from eventreg.registration.models import Answer, Question, Registration
from eventreg.schedule import conference_changes
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_speaker, make_talk
from tests.mail.builders import make_registration
from tests.mail.mailbox import deliver, text_body, to
from tests.organizers.conftest import give_role, log_in, make_user, post_form


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.app_config


@pytest.fixture
def conference(app) -> Conference:
    return make_conference(slug="sz", title="Biotech bridge", capacity=None)


@pytest.fixture
def organizer(conference):
    user = make_user("organizer@example.org")
    give_role(user, conference)
    return user


@pytest.fixture
def organizer_client(client, organizer):
    log_in(client, organizer)
    return client


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def conference_form(conference: Conference, **changes) -> dict:
    values = {
        "title": conference.title,
        "main_language": conference.main_language,
        "slug": conference.slug,
        "description": conference.description,
        "venue": conference.venue,
        "address": conference.address,
        "timezone": conference.timezone,
        "start_date": conference.start_date.isoformat(),
        "end_date": conference.end_date.isoformat(),
        "organizer_email": conference.organizer_email,
        "privacy_notice": conference.privacy_notice,
    }
    values.update(changes)
    return values


# --- the forms --------------------------------------------------------------------------------


def test_each_form_stores_the_texts_typed_in_the_other_languages(organizer_client, conference):
    assert (
        post_form(
            organizer_client, "/manage/c/sz/rooms", {"name": "Main Hall", "tr_zh_name": "主会场"}
        ).status_code
        == 302
    )
    post_form(
        organizer_client,
        "/manage/c/sz/tracks",
        {
            "name": "Biomedicine",
            "description": "Therapies.",
            "color": "#b3261e",
            "tr_it_name": "Biomedicina",
            "tr_zh_description": "新疗法。",
        },
    )
    post_form(
        organizer_client,
        "/manage/c/sz/speakers",
        {
            "name": "Li Na",
            "title": "Principal Investigator",
            "bio": "Studies cell therapies.",
            "tr_zh_title": "首席研究员",
            "tr_it_bio": "Studia le terapie cellulari.",
        },
    )
    post_form(
        organizer_client,
        "/manage/c/sz/questions",
        {
            "label": "Topics?",
            "kind": "single_choice",
            "choices": "Biomedicine\nInvestment",
            "tr_zh_label": "主题？",
            "tr_zh_choices": "生物医药\n投资",
        },
    )

    assert db.session.scalar(sa.select(Room)).translations == {"zh": {"name": "主会场"}}
    assert db.session.scalar(sa.select(Track)).translations == {
        "it": {"name": "Biomedicina"},
        "zh": {"description": "新疗法。"},
    }
    assert db.session.scalar(sa.select(Speaker)).translations == {
        "zh": {"title": "首席研究员"},
        "it": {"bio": "Studia le terapie cellulari."},
    }
    question = db.session.scalar(sa.select(Question))
    assert question.choices == ["Biomedicine", "Investment"]
    assert question.translations == {"zh": {"label": "主题？", "choices": ["生物医药", "投资"]}}
    created = db.session.scalar(sa.select(AuditEntry).filter_by(action="room.created"))
    assert created.after["translations"] == {"zh": {"name": "主会场"}}


def test_a_session_keeps_its_translations_spoken_languages_and_interpretation(
    organizer_client, conference
):
    page = organizer_client.get("/manage/c/sz/sessions/new")
    assert 'name="languages" type="checkbox" value="zh"' in page.text
    response = organizer_client.post(
        "/manage/c/sz/sessions/new",
        data={
            "csrf_token": csrf_token_from(page.text),
            "title": "AI in radiology",
            "abstract": "One year on.",
            "tr_zh_title": "放射科里的人工智能",
            "tr_it_abstract": "Un anno dopo.",
            "kind": "talk",
            "track_id": "0",
            "room_id": "0",
            "day": "",
            "languages": ["zh"],
            "interpretation": "y",
        },
    )

    assert response.status_code == 302
    talk = db.session.scalar(sa.select(Talk))
    assert talk.translations == {
        "zh": {"title": "放射科里的人工智能"},
        "it": {"abstract": "Un anno dopo."},
    }
    assert (talk.languages, talk.interpretation) == (["zh"], True)
    edit = organizer_client.get(f"/manage/c/sz/sessions/{talk.id}").text
    assert 'value="放射科里的人工智能"' in edit
    assert re.search(r'checked id="languages-1"|id="languages-1"[^>]*checked', edit)
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="session.created"))
    assert entry.after["languages"] == ["zh"] and entry.after["interpretation"] is True


def test_the_tabs_say_how_many_texts_each_language_lacks(organizer_client, conference):
    speaker = make_speaker(
        conference,
        name="Li Na",
        title="Principal Investigator",
        bio="Studies cell therapies.",
        translations={"zh": {"bio": "研究细胞疗法。"}},
    )

    page = organizer_client.get(f"/manage/c/sz/speakers/{speaker.id}").text

    assert 'role="tablist"' in page and 'role="tab"' in page
    assert re.search(r'id="texts-tab-zh"[^>]*aria-selected="false"', page)
    tab_zh = re.search(r'id="texts-tab-zh".*?</button>', page, re.S).group(0)
    tab_it = re.search(r'id="texts-tab-it".*?</button>', page, re.S).group(0)
    assert "1 missing" in tab_zh
    assert "2 missing" in tab_it
    assert 'value="研究细胞疗法。"' not in page  # a text area: the text is its content
    assert "研究细胞疗法。</textarea>" in page
    assert 'lang="zh"' in page  # the inputs say which language they hold


def test_translations_follow_the_rules_of_the_main_fields(organizer_client, conference):
    room = make_room(conference, name="Main Hall")
    path = f"/manage/c/sz/rooms/{room.id}"

    long = post_form(organizer_client, path, {"name": "Main Hall", "tr_zh_name": "厅" * 121})
    control = post_form(organizer_client, path, {"name": "Main Hall", "tr_it_name": "Sala\x07"})

    assert long.status_code == control.status_code == 400
    assert 'id="tr_zh_name-error"' in long.text
    assert 'id="tr_it_name-error"' in control.text
    assert fresh(room).translations == {}


def test_switching_the_main_language_swaps_every_text_in_one_change(organizer_client, conference):
    room = make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    talk = make_talk(conference, title="Opening", translations={"it": {"title": "Apertura"}})
    saved = post_form(
        organizer_client,
        "/manage/c/sz/edit",
        conference_form(conference, tr_zh_title="生物科技之桥", tr_it_title="Un ponte"),
    )
    assert saved.status_code == 302
    assert fresh(conference).translations["zh"] == {"title": "生物科技之桥"}

    switched = post_form(
        organizer_client,
        "/manage/c/sz/edit",
        conference_form(
            fresh(conference),
            main_language="zh",
            tr_zh_title="生物科技之桥",
            tr_it_title="Un ponte",
        ),
    )

    assert switched.status_code == 302
    conference = fresh(conference)
    assert (conference.main_language, conference.title) == ("zh", "生物科技之桥")
    assert conference.translations["en"]["title"] == "Biotech bridge"
    assert conference.translations["it"] == {"title": "Un ponte"}
    assert "zh" not in conference.translations
    room = fresh(room)
    assert (room.name, room.translations) == ("主会场", {"en": {"name": "Main Hall"}})
    # Not written in Chinese: the column keeps the English text, so nobody reads a blank.
    talk = fresh(talk)
    assert talk.title == "Opening"
    assert talk.translations["it"] == {"title": "Apertura"}
    entry = db.session.scalars(
        sa.select(AuditEntry).filter_by(action="conference.updated").order_by(AuditEntry.id)
    ).all()[-1]
    assert (entry.before["main_language"], entry.after["main_language"]) == ("en", "zh")
    assert entry.after["title"] == "生物科技之桥"
    page = organizer_client.get("/manage/c/sz/edit").text
    assert page.index('id="texts-tab-zh"') < page.index('id="texts-tab-en"')


def test_duplicating_a_conference_copies_its_translations(organizer, conference):
    conference.translations = {"zh": {"title": "生物科技之桥"}}
    make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    make_talk(
        conference,
        title="Opening",
        languages=["it"],
        interpretation=True,
        translations={"it": {"title": "Apertura"}},
    )
    db.session.commit()

    copy = conference_changes.duplicate_conference(
        organizer,
        conference,
        title="Biotech bridge 2",
        slug="sz2",
        start_date=conference.start_date.replace(year=conference.start_date.year + 1),
    )

    assert copy.translations == {"zh": {"title": "生物科技之桥"}}
    assert [room.translations for room in copy.rooms] == [{"zh": {"name": "主会场"}}]
    talk = db.session.scalar(sa.select(Talk).filter_by(conference_id=copy.id))
    assert (talk.translations, talk.languages, talk.interpretation) == (
        {"it": {"title": "Apertura"}},
        ["it"],
        True,
    )


# --- the organizer API ------------------------------------------------------------------------


def test_the_api_takes_translations_and_spoken_languages_and_refuses_unknown_ones(
    client, organizer, conference
):
    headers = {"Authorization": f"Bearer {tokens.issue(organizer, 'script')[1]}"}
    url = "/api/v1/manage/conferences/sz/sessions"

    created = client.post(
        url,
        headers=headers,
        json={
            "title": "Telemedicine",
            "translations": {"it": {"title": "Telemedicina"}},
            "languages": ["it"],
            "interpretation": True,
        },
    )
    unknown_language = client.post(
        url, headers=headers, json={"title": "T", "translations": {"fr": {"title": "Télé"}}}
    )
    main_language = client.post(
        url, headers=headers, json={"title": "T", "translations": {"en": {"title": "T2"}}}
    )
    unknown_field = client.post(
        url, headers=headers, json={"title": "T", "translations": {"zh": {"kind": "x"}}}
    )
    unknown_spoken = client.post(url, headers=headers, json={"title": "T", "languages": ["xx"]})
    too_long = client.post(
        url, headers=headers, json={"title": "T", "translations": {"zh": {"title": "长" * 251}}}
    )

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["translations"] == {"it": {"title": "Telemedicina"}}
    assert (body["languages"], body["interpretation"]) == (["it"], True)
    for refused in (unknown_language, main_language, unknown_field, unknown_spoken, too_long):
        assert refused.status_code == 422, refused.get_json()
    assert "translations.fr" in str(unknown_language.get_json())
    assert "languages" in unknown_spoken.get_json()["errors"]
    assert "translations.zh.title" in too_long.get_json()["errors"]
    talk_id = body["id"]
    patched = client.patch(
        f"{url}/{talk_id}", headers=headers, json={"translations": {"zh": {"title": "远程医疗"}}}
    )
    assert patched.status_code == 200
    assert db.session.get(Talk, talk_id).translations == {"zh": {"title": "远程医疗"}}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Talk)) == 1


# --- the dashboard --------------------------------------------------------------------------


def test_the_dashboard_counts_the_texts_written_in_each_language(organizer_client, conference):
    # Title and description only.
    conference.venue = conference.address = conference.organizer_name = ""
    conference.privacy_notice = ""
    conference.translations = {"zh": {"title": "生物科技之桥", "description": "两天。"}}
    db.session.commit()
    make_room(conference, name="Main Hall", translations={"zh": {"name": "主会场"}})
    make_talk(conference, title="Opening", abstract="", translations={"it": {"title": "Apertura"}})

    page = organizer_client.get("/manage/c/sz/dashboard").text

    # Texts: the conference's 2, the room's name, the session's title.
    assert "Chinese: 3 of 4 texts" in page
    assert "Italian: 1 of 4 texts" in page
    missing = re.search(r'<details class="completeness">.*?</details>', page, re.S).group(0)
    assert "Chinese: 1 text missing" in missing
    talk = db.session.scalar(sa.select(Talk))
    assert f'href="/manage/c/sz/sessions/{talk.id}">Opening</a>: Title' in missing


# --- the registration form in the reader's language -------------------------------------------


def test_the_registration_form_speaks_the_readers_language_and_stores_the_main_choice(
    client, conference
):
    conference.privacy_notice = "We keep your data until 2030."
    conference.translations = {"zh": {"privacy_notice": "我们保存您的数据至2030年。"}}
    question = Question(
        conference=conference,
        label="Topic",
        kind="single_choice",
        required=True,
        choices=["Biomedicine", "Investment"],
        help_text="Pick one.",
        translations={
            "zh": {"label": "主题", "choices": ["生物医药", "投资"]},
            "it": {"label": "Tema"},
        },
    )
    db.session.add(question)
    db.session.commit()

    chinese = client.get("/c/sz/register?lang=zh").text
    assert "主题" in chinese and "Pick one." in chinese  # help text not translated: English
    assert 'value="Investment"> <label' in chinese or 'value="Investment">' in chinese
    assert ">投资</label>" in chinese
    assert "我们保存您的数据至2030年。" in chinese
    response = client.post(
        "/c/sz/register",
        data={
            "csrf_token": csrf_token_from(chinese),
            "full_name": "李娜",
            "email": "lina@example.org",
            "consent": "y",
            f"question_{question.id}": "Investment",
        },
    )
    assert response.status_code == 303
    registration = db.session.scalar(sa.select(Registration))
    assert registration.consent_text == "我们保存您的数据至2030年。"
    assert db.session.scalar(sa.select(Answer)).value == "Investment"

    italian = client.get("/c/sz/register?lang=it").text
    assert "Tema" in italian and ">Investment</label>" in italian  # choices fall back
    assert "We keep your data until 2030." in italian


# --- messages, each in its recipient's language ---------------------------------------------


def test_each_attendee_gets_the_message_in_their_language_else_the_main_one(
    organizer_client, conference, smtp_server
):
    make_registration(conference, email="ana@example.org", full_name="Ana", locale="en")
    make_registration(conference, email="li@example.org", full_name="李娜", locale="zh")
    make_registration(conference, email="gio@example.org", full_name="Gio", locale="it")
    page = organizer_client.get("/manage/c/sz/messages")
    assert 'id="texts-tab-zh"' in page.text

    response = organizer_client.post(
        "/manage/c/sz/messages",
        data={
            "csrf_token": csrf_token_from(page.text),
            "audience": "all",
            "confirmed": "yes",
            "subject": "Shuttle times",
            "body": "The bus leaves at 8:00.",
            "tr_zh_subject": "班车时间",
            "tr_zh_body": "班车八点出发。",
            "tr_it_subject": "Orari della navetta",
        },
    )

    assert response.status_code == 302
    messages = deliver(smtp_server)
    ana, li, gio = (to(messages, f"{who}@example.org")[0] for who in ("ana", "li", "gio"))
    assert ana["Subject"].endswith("Shuttle times")
    assert "The bus leaves at 8:00." in text_body(ana)
    assert li["Subject"].endswith("班车时间")
    assert "班车八点出发。" in text_body(li)
    assert gio["Subject"].endswith("Orari della navetta")
    assert "The bus leaves at 8:00." in text_body(gio)  # no Italian body: the main one


def test_switching_the_main_language_carries_the_stored_answers_along(organizer, conference):
    question = Question(
        conference=conference,
        label="Topic",
        kind="multiple_choice",
        choices=["Biomedicine", "Investment"],
        translations={"zh": {"label": "主题", "choices": ["生物医药", "投资"]}},
    )
    db.session.add(question)
    registration = make_registration(conference)
    db.session.add(Answer(registration=registration, question=question, value=["Investment"]))
    db.session.commit()
    values = {
        field: getattr(conference, field)
        for field in ("title", "slug", "timezone", "start_date", "end_date", "organizer_email")
    }

    conference_changes.update_conference(organizer, conference, **values, main_language="zh")

    question = fresh(question)
    assert (question.label, question.choices) == ("主题", ["生物医药", "投资"])
    assert question.translations == {
        "en": {"label": "Topic", "choices": ["Biomedicine", "Investment"]}
    }
    assert db.session.scalar(sa.select(Answer)).value == ["投资"]


def test_the_demo_conference_is_written_in_every_language(app):
    from eventreg.conferences.completeness import completeness
    from eventreg.demo import load_demo

    demo = load_demo()
    questions = db.session.scalars(sa.select(Question).filter_by(conference_id=demo.id))

    found = completeness(demo, [("question", question) for question in questions])

    assert [(done.language, done.complete) for done in found] == [("zh", True), ("it", True)]
    assert found[0].total > 60
    talks = db.session.scalars(sa.select(Talk).filter_by(conference_id=demo.id)).all()
    spoken = sorted(
        (t.title, t.languages, t.interpretation) for t in talks if t.languages != ["en"]
    )
    assert [languages for _title, languages, _i in spoken] == [["zh"], ["it"]]
    assert all(interpretation for *_rest, interpretation in spoken)
