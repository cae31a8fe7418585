"""The schedule editor's page, its JSON endpoints and the draft page."""

import re

import pytest
import sqlalchemy as sa

from eventreg.conferences.models import Talk, TalkDraft
from eventreg.core.extensions import db
from eventreg.mail.models import OutboxMessage
from tests.conftest import csrf_token_from
from tests.factories import at, make_talk
from tests.organizers.conftest import give_role, log_in, make_user
from tests.programme import DAY_ONE, build_programme

EDITOR = "/manage/c/rome/schedule/editor"
DRAFT = "/manage/c/rome/schedule/draft"


@pytest.fixture
def programme(app):
    return build_programme("rome")


@pytest.fixture
def organizer_client(app, client, programme):
    organizer = make_user("organizer@example.org")
    give_role(organizer, programme["conference"])
    log_in(client, organizer)
    return client


def editor_token(client) -> str:
    page = client.get(EDITOR)
    return re.search(r'data-csrf="([^"]+)"', page.text).group(1)


def drop(client, talk, **place):
    return client.post(
        f"{EDITOR}/sessions/{talk.id}/place",
        json={"day": DAY_ONE.isoformat(), **place},
        headers={"X-CSRFToken": editor_token(client)},
    )


def messages() -> int:
    db.session.rollback()
    query = sa.select(sa.func.count()).select_from(OutboxMessage)
    return db.session.scalar(query.where(OutboxMessage.kind.not_like("%reminder%")))


def test_the_editor_shows_rooms_sessions_the_tray_and_a_form_per_session(
    organizer_client, programme
):
    make_talk(programme["conference"], title="Poster walk", start_at=None, end_at=None)

    page = organizer_client.get(EDITOR)

    assert page.status_code == 200
    text = page.text
    assert f'data-room="{programme["lab"].id}">Lab<' in text
    assert f'data-talk="{programme["workshop"].id}" data-day="2027-03-27" data-start="660"' in text
    tray = text[text.index('id="editor-tray"') :]
    assert "Poster walk" in tray[: tray.index("</section>")]
    assert f'action="{EDITOR}/sessions/{programme["workshop"].id}/place"' in text
    assert "js/schedule-editor.js" in text and "css/schedule-editor.css" in text


def test_the_editor_is_only_for_the_conference_organizers(app, client, programme):
    log_in(client, make_user("someone@example.org"))

    assert client.get(EDITOR).status_code == 404


def test_checking_a_place_answers_free_or_the_clash_without_saving(organizer_client, programme):
    workshop, hall = programme["workshop"], programme["hall"]
    query = f"{EDITOR}/check?talk={workshop.id}&day=2027-03-27&room={hall.id}"

    free = organizer_client.get(query + "&start=14:00&end=15:00").get_json()
    taken = organizer_client.get(query + "&start=09:30&end=10:30").get_json()

    assert free["ok"] is True
    assert {"label": "Room", "before": "Lab", "after": "Hall"} in free["changes"]
    assert free["notified"] == 3
    assert taken["ok"] is False
    assert "Hall is already taken at that time by “Opening keynote”" in taken["message"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TalkDraft)) == 0


def test_a_malformed_place_is_a_clear_4xx(organizer_client, programme):
    workshop = programme["workshop"]

    bad_time = organizer_client.get(
        f"{EDITOR}/check?talk={workshop.id}&day=2027-03-27&start=25:00&end=26:00"
    )
    bad_room = organizer_client.get(
        f"{EDITOR}/check?talk={workshop.id}&day=2027-03-27&start=10:00&end=11:00&room=x"
    )
    far_away = organizer_client.get(
        f"{EDITOR}/check?talk={workshop.id}&day=0001-01-01&start=10:00&end=11:00"
    )
    no_talk = organizer_client.get(f"{EDITOR}/check?day=2027-03-27")
    unknown = organizer_client.get(f"{EDITOR}/check?talk=99999&day=2027-03-27")
    listed = organizer_client.post(
        f"{EDITOR}/sessions/{workshop.id}/place",
        json=["2027-03-27"],
        headers={"X-CSRFToken": editor_token(organizer_client)},
    )

    assert bad_time.status_code == 422
    assert "HH:MM" in bad_time.get_json()["message"]
    assert bad_room.status_code == 422
    assert far_away.status_code == 422
    assert "the conference's days" in far_away.get_json()["message"]
    assert no_talk.status_code == 422
    assert unknown.status_code == 404
    assert listed.status_code == 400


def test_a_drop_saves_into_the_draft_and_a_clash_is_refused_with_its_reason(
    organizer_client, programme
):
    workshop, hall = programme["workshop"], programme["hall"]

    refused = drop(organizer_client, workshop, start="09:30", end="10:30", room=hall.id)
    saved = drop(organizer_client, workshop, start="14:00", end="15:00", room=hall.id)

    assert refused.status_code == 409
    assert "“Opening keynote”" in refused.get_json()["message"]
    body = saved.get_json()
    assert saved.status_code == 200
    assert (body["ok"], body["applied"], body["drafted"]) == (True, False, 1)
    assert body["drafted_label"] == "1 change"
    assert messages() == 0
    assert db.session.get(Talk, workshop.id).room_id == programme["lab"].id


def test_a_drop_without_the_csrf_header_is_refused(organizer_client, programme):
    response = organizer_client.post(
        f"{EDITOR}/sessions/{programme['workshop'].id}/place",
        json={"day": "2027-03-27", "start": "14:00", "end": "15:00"},
    )

    assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TalkDraft)) == 0


def test_the_form_places_a_session_without_javascript(organizer_client, programme):
    workshop, hall = programme["workshop"], programme["hall"]
    token = csrf_token_from(organizer_client.get(EDITOR).text)

    response = organizer_client.post(
        f"{EDITOR}/sessions/{workshop.id}/place",
        data={
            "csrf_token": token,
            "room": str(hall.id),
            "day": "2027-03-27",
            "start": "14:00",
            "end": "15:00",
        },
        follow_redirects=True,
    )

    assert "“CAR-T workshop” is in the draft (1 change to release)." in response.text
    assert db.session.get(TalkDraft, workshop.id).room_id == hall.id


def test_the_draft_page_shows_the_difference_and_releasing_it_notifies_once(
    organizer_client, programme
):
    workshop, hall = programme["workshop"], programme["hall"]
    drop(organizer_client, workshop, start="14:00", end="15:00", room=hall.id)
    drop(organizer_client, workshop, start="15:00", end="16:00", room=hall.id)

    page = organizer_client.get(DRAFT)

    assert page.status_code == 200
    assert "Moved (1)" in page.text
    assert "11:00–12:00 → 15:00–16:00" in page.text and "Lab → Hall" in page.text
    assert "2 seat holders" in page.text and "1 speaker" in page.text
    assert "Release and notify 3 people" in page.text

    released = organizer_client.post(
        f"{DRAFT}/release",
        data={"csrf_token": csrf_token_from(page.text)},
        follow_redirects=True,
    )

    assert "1 session has been released. 3 people have been notified." in released.text
    assert "The draft is empty" in released.text
    assert messages() == 3
    moved = db.session.get(Talk, workshop.id)
    assert moved.start_at == at(programme["conference"], DAY_ONE, "15:00")


def test_one_change_can_be_discarded_or_applied_now(organizer_client, programme):
    workshop, keynote, hall = programme["workshop"], programme["keynote"], programme["hall"]
    drop(organizer_client, workshop, start="14:00", end="15:00", room=hall.id)
    drop(organizer_client, keynote, start="16:00", end="17:00", room=hall.id)
    token = csrf_token_from(organizer_client.get(DRAFT).text)

    organizer_client.post(f"{DRAFT}/{workshop.id}/discard", data={"csrf_token": token})
    organizer_client.post(f"{DRAFT}/{keynote.id}/release", data={"csrf_token": token})

    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TalkDraft)) == 0
    assert db.session.get(Talk, workshop.id).room_id == programme["lab"].id
    assert db.session.get(Talk, keynote.id).start_at == at(
        programme["conference"], DAY_ONE, "16:00"
    )


def test_cancelling_in_the_draft_waits_for_the_release(organizer_client, programme):
    keynote = programme["keynote"]
    token = csrf_token_from(organizer_client.get(EDITOR).text)

    response = organizer_client.post(
        f"{EDITOR}/sessions/{keynote.id}/cancel", data={"csrf_token": token}, follow_redirects=True
    )

    assert "will be cancelled when you release the draft" in response.text
    assert "Cancelled (1)" in response.text
    assert db.session.get(Talk, keynote.id).status == "scheduled"
    assert messages() == 0


def test_before_publishing_a_drop_applies_at_once(app, client):
    programme = build_programme("rome", published=False)
    organizer = make_user("organizer@example.org")
    give_role(organizer, programme["conference"])
    log_in(client, organizer)

    saved = drop(
        client, programme["keynote"], start="14:00", end="15:00", room=programme["hall"].id
    )

    assert saved.get_json()["applied"] is True
    db.session.rollback()
    assert db.session.get(Talk, programme["keynote"].id).start_at == at(
        programme["conference"], DAY_ONE, "14:00"
    )
