"""Whatever comes in, every route answers a clear 4xx, never a 500: ids beyond what a table
holds, dates at the edge of the calendar, overlong tokens, control characters, bodies of the
wrong type. API errors are JSON in the documented shape, 500s included."""

from io import BytesIO

import pytest
import sqlalchemy as sa

from eventreg.accounts import api_tokens as tokens
from eventreg.core.extensions import db
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference, make_room, make_speaker, make_talk
from tests.organizers.conftest import give_role, log_in, make_user

HUGE_IDS = ["2147483648", "9223372036854775808", "99999999999999999999999"]
ERROR_SHAPE = {"status", "error", "message", "errors"}


@pytest.fixture
def app_config():
    # Unexpected exceptions answered as a served app answers them, not raised into the test.
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def expo(app):
    conference = make_conference(slug="expo")
    talk = make_talk(conference, room=make_room(conference), speakers=[make_speaker(conference)])
    return conference, talk


@pytest.fixture
def bearer(app, expo):
    organizer = make_user("organizer@example.org")
    give_role(organizer, expo[0])
    return {"Authorization": f"Bearer {tokens.issue(organizer, 'tests')[1]}"}


@pytest.fixture
def as_admin(app, client, expo):
    log_in(client, make_user("admin@example.org", is_admin=True))
    return client


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/c/expo/sessions/{n}",
        "/c/expo/sessions/{n}.ics",
        "/c/expo/speakers/{n}",
        "/manage/c/expo/sessions/{n}",
        "/manage/c/expo/sessions/{n}/cancel",
        "/manage/c/expo/rooms/{n}",
        "/manage/c/expo/messages/{n}",
    ],
)
def test_an_id_beyond_any_table_is_not_found(as_admin, path, number):
    assert as_admin.get(path.format(n=number)).status_code == 404


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/conferences/expo/sessions/{n}"),
        ("get", "/api/v1/manage/conferences/expo/sessions/{n}"),
        ("patch", "/api/v1/manage/conferences/expo/sessions/{n}"),
        ("post", "/api/v1/manage/conferences/expo/sessions/{n}/cancel"),
    ],
)
def test_an_id_beyond_any_table_is_not_found_in_the_api(client, bearer, method, path, number):
    kwargs = {"json": {"title": "New"}} if method == "patch" else {}
    response = getattr(client, method)(path.format(n=number), headers=bearer, **kwargs)

    assert response.status_code == 404
    assert set(response.json) == ERROR_SHAPE


def test_a_page_number_beyond_any_list_shows_the_first_page(as_admin):
    for path in ("/manage/c/expo/audit", "/manage/c/expo/attendees"):
        assert as_admin.get(f"{path}?page=99999999999999999999999").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/conferences?updated_since=0001-01-01T00:00:00%2B14:00",
        "/api/v1/conferences?updated_since=9999-12-31T23:59:59-14:00",
        "/api/v1/conferences/expo/sessions?day=9999-12-31",
        "/api/v1/conferences/expo/sessions?day=0001-01-01",
        "/api/v1/conferences/expo/speakers?updated_since=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_refused_with_a_message(client, expo, query):
    response = client.get(query)

    assert response.status_code == 422
    assert "between 0001-01-02 and 9999-12-30" in response.json["message"]
    (message,) = response.json["errors"].values()
    assert message.startswith("must lie between")  # our words, without pydantic's prefix


@pytest.mark.parametrize(
    "times",
    [
        {"start_at": "9999-12-31T22:00:00-14:00", "end_at": "9999-12-31T23:59:59-14:00"},
        {"start_at": "0001-01-01T00:00:00+14:00", "end_at": "0001-01-01T01:00:00+14:00"},
    ],
)
def test_session_times_at_the_edge_of_the_calendar_are_refused(client, expo, bearer, times):
    created = client.post(
        "/api/v1/manage/conferences/expo/sessions", json={"title": "Edge", **times}, headers=bearer
    )
    changed = client.patch(
        f"/api/v1/manage/conferences/expo/sessions/{expo[1].id}", json=times, headers=bearer
    )

    assert created.status_code == changed.status_code == 422
    assert set(created.json["errors"]) == {"start_at", "end_at"}


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/agenda/{digits}-signature.ics",
        "/feeds/agenda/99999999999-signature.ics",
        "/c/expo/manage/{digits}/details",
        "/manage/password/reset/{digits}",
    ],
)
def test_an_overlong_token_is_not_found(client, expo, path):
    assert client.get(path.format(digits="1" * 4400)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/c/exp%00o/",
        "/c/expo/sessions/1%00",
        "/api/v1/conferences/exp%00o",
        "/api/v1/manage/conferences/exp%01o/registrations",
    ],
)
def test_a_control_character_in_an_address_is_not_found(client, expo, bearer, path):
    assert client.get(path, headers=bearer).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/c/expo/schedule?tz=%00", "/c/expo/schedule?view=a%0Db", "/manage/c/expo/attendees?q=%00"],
)
def test_a_control_character_in_a_query_is_a_bad_request(as_admin, path):
    assert as_admin.get(path).status_code == 400


def _registration_form(client, **fields) -> dict:
    page = client.get("/c/expo/register")
    return {"csrf_token": csrf_token_from(page.text), "privacy": "y", **fields}


def test_nul_in_a_form_is_refused_and_nothing_is_written(app, client, expo):
    data = _registration_form(client, full_name="Ada\x00", email="ada@example.org")

    response = client.post("/c/expo/register", data=data)

    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_file_where_text_is_expected_is_refused(app, client, expo):
    data = _registration_form(client, full_name=(BytesIO(b"\xff"), "name.bin"))

    response = client.post("/c/expo/register", data=data)

    assert response.status_code == 415
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {"title": "A form"}}, 415),
        ({"data": {}, "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": b"title=x", "content_type": "text/plain"}, 415),
        ({"data": b'{"title": "\xff"}', "content_type": "application/json"}, 400),
        ({"data": b'{"title": ', "content_type": "application/json"}, 400),
        ({"json": None}, 422),
        ({"json": False}, 422),
        ({"json": ["title"]}, 422),
        ({"json": {"title": "Strict", "capacity": True}}, 422),
        ({"json": {"title": "Strict", "capacity": "5"}}, 422),
        ({"json": {"title": "Bell\x07"}}, 422),
        ({"json": {"title": "Fine", "abstract": "Nul\x00"}}, 422),
    ],
)
def test_an_api_body_of_the_wrong_type_is_refused_in_the_error_shape(
    client, expo, bearer, kwargs, status
):
    response = client.post("/api/v1/manage/conferences/expo/sessions", headers=bearer, **kwargs)

    assert response.status_code == status, response.json
    assert set(response.json) == ERROR_SHAPE
    assert response.json["status"] == status


def test_an_api_405_is_json_and_names_the_allowed_methods(client, expo):
    response = client.delete("/api/v1/conferences")

    assert response.status_code == 405
    assert set(response.json) == ERROR_SHAPE
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}


def test_an_html_405_names_the_allowed_methods(client, expo):
    response = client.put("/c/expo/")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_an_unknown_api_address_is_json_in_the_error_shape(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert set(response.json) == ERROR_SHAPE


def test_an_unexpected_api_error_is_a_json_500_and_an_html_one_a_page(app, client):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/broken", "broken_api", broken)
    app.add_url_rule("/broken", "broken_page", broken)

    api = client.get("/api/v1/broken")
    page = client.get("/broken")

    assert api.status_code == 500
    assert set(api.json) == ERROR_SHAPE
    assert "a bug" not in api.text
    assert page.status_code == 500
    assert "Something went wrong" in page.text
