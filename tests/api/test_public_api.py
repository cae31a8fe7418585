"""The public API's behaviour: published data only, filters, pagination, syncing, errors."""

from datetime import timedelta

import sqlalchemy as sa

from eventreg.conferences.models import Talk
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from tests.factories import make_conference, make_room, make_speaker, make_talk, make_track


def _programme():
    conference = make_conference(slug="expo", timezone="Asia/Shanghai")
    hall = make_room(conference, name="Main Hall")
    side = make_room(conference, name="Side Room")
    trade = make_track(conference, name="Trade")
    first = make_talk(conference, title="Opening", start="09:00", end="10:00", room=hall)
    first.speakers = [make_speaker(conference, name="Ada Li", email="ada@example.org")]
    make_talk(conference, title="Deals", start="11:00", end="12:00", room=side, track=trade)
    make_talk(
        conference, title="Day two", day=conference.end_date, start="00:30", end="01:00", room=hall
    )
    db.session.commit()
    return conference


def test_lists_only_published_conferences(client):
    make_conference(slug="expo")
    make_conference(slug="draft", published=False)
    body = client.get("/api/v1/conferences").get_json()
    assert [c["slug"] for c in body["items"]] == ["expo"]
    assert body["total"] == 1


def test_a_draft_conference_and_its_programme_are_invisible(client):
    make_conference(slug="draft", published=False)
    for path in ("/api/v1/conferences/draft", "/api/v1/conferences/draft/sessions"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["message"] == (
            "There is no published conference at this address."
        )


def test_sessions_filter_by_local_day_track_and_room(client):
    conference = _programme()
    rooms = client.get("/api/v1/conferences/expo/rooms").get_json()["items"]
    side = next(r["id"] for r in rooms if r["name"] == "Side Room")
    track = client.get("/api/v1/conferences/expo/tracks").get_json()["items"][0]["id"]

    def titles(query):
        body = client.get(f"/api/v1/conferences/expo/sessions?{query}").get_json()
        return [s["title"] for s in body["items"]]

    assert titles(f"day={conference.end_date}") == ["Day two"]
    assert titles(f"day={conference.start_date}") == ["Opening", "Deals"]
    assert titles(f"track={track}") == ["Deals"]
    assert titles(f"room={side}") == ["Deals"]


def test_pagination_reports_totals(client):
    _programme()
    body = client.get("/api/v1/conferences/expo/sessions?per_page=2&page=2").get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 3, 2)
    assert [s["title"] for s in body["items"]] == ["Day two"]


def test_updated_since_returns_only_what_changed(client):
    conference = _programme()
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(sa.update(Talk).values(updated_at=an_hour_ago))
    db.session.commit()
    make_talk(conference, title="Added later", start="15:00", end="16:00")
    since = (an_hour_ago + timedelta(minutes=1)).isoformat()
    body = client.get(
        "/api/v1/conferences/expo/sessions", query_string={"updated_since": since}
    ).get_json()
    assert [s["title"] for s in body["items"]] == ["Added later"]
    everything = client.get(
        "/api/v1/conferences/expo/sessions",
        query_string={"updated_since": (an_hour_ago - timedelta(minutes=1)).isoformat()},
    ).get_json()
    assert everything["total"] == 4


def test_a_time_without_offset_is_refused_with_a_clear_message(client):
    _programme()
    response = client.get("/api/v1/conferences/expo/sessions?updated_since=2026-01-01T10:00:00")
    assert response.status_code == 422
    body = response.get_json()
    assert (body["status"], body["error"]) == (422, "Unprocessable request")
    assert body["errors"] == {"updated_since": "Input should have timezone info"}
    assert "updated_since: Input should have timezone info" in body["message"]


def test_speakers_never_show_their_email(client):
    _programme()
    body = client.get("/api/v1/conferences/expo/speakers").get_json()
    assert [s["name"] for s in body["items"]] == ["Ada Li"]
    assert "example.org" not in client.get("/api/v1/conferences/expo/speakers").get_data(
        as_text=True
    )


def test_cancelled_sessions_are_listed_with_their_status(client):
    conference = _programme()
    make_talk(conference, title="Dropped", status="cancelled", start="16:00", end="17:00")
    items = client.get("/api/v1/conferences/expo/sessions").get_json()["items"]
    assert {s["title"]: s["status"] for s in items}["Dropped"] == "cancelled"


def test_unknown_api_addresses_answer_json_but_the_site_keeps_html(client):
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json()["status"] == 404
    site = client.get("/no-such-page")
    assert site.status_code == 404
    assert site.content_type.startswith("text/html")


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/v1/conferences")
    assert response.status_code == 405
    assert response.get_json()["status"] == 405


def test_public_reads_allow_any_origin(client):
    make_conference(slug="expo")
    assert client.get("/api/v1/conferences").headers["Access-Control-Allow-Origin"] == "*"
    assert client.options("/api/v1/conferences").headers["Access-Control-Allow-Origin"] == "*"


def test_the_docs_page_lists_every_operation_of_the_spec(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    html = client.get("/api/v1/").get_data(as_text=True)
    for path, operations in spec["paths"].items():
        for method in operations:
            assert f"{method.upper()} {path}" in html
    assert "https://" not in html.split("<main")[0]


def test_a_session_id_beyond_any_row_is_a_json_404(client):
    _programme()
    response = client.get("/api/v1/conferences/expo/sessions/99999999999")
    assert response.status_code == 404
    assert response.get_json()["message"] == "This conference has no such session."
