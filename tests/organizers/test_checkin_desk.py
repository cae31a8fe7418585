"""The desk's app routes: its page with counter, manifest and worker; the signed list of
codes; the counter; and the sync, with CSRF and the check-in role."""

import json

import pytest
import sqlalchemy as sa

from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.registration.checkin import checkin_code
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.mail.builders import make_registration
from tests.organizers.conftest import give_role, log_in, make_user


@pytest.fixture
def conference(app):
    return make_conference(slug="rome", published=True)


@pytest.fixture
def desk(client, conference):
    staff = make_user("door@example.org")
    give_role(staff, conference, "checkin")
    log_in(client, staff)
    return client


def token(client) -> str:
    return csrf_token_from(client.get("/manage/c/rome/checkin").text)


def post_sync(client, body, *, csrf: str | None = None):
    return client.post(
        "/manage/c/rome/checkin/sync",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": token(client) if csrf is None else csrf},
    )


def signed_list(client) -> str:
    response = client.get("/manage/c/rome/checkin/codes")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()["list"]


def test_the_desk_page_shows_the_counter_and_links_its_app(desk, conference):
    make_registration(conference)
    arrived = make_registration(conference)
    make_registration(conference, status="waiting")
    db.session.execute(
        sa.update(Registration).where(Registration.id == arrived.id).values(checked_in_at=utcnow())
    )
    db.session.commit()

    page = desk.get("/manage/c/rome/checkin").text

    assert '<strong id="desk-checked">1</strong> / <span id="desk-expected">2</span>' in page
    assert 'rel="manifest" href="/manage/c/rome/checkin/manifest.webmanifest"' in page
    assert 'data-worker-url="/manage/c/rome/checkin/sw.js"' in page
    assert "js/desk.js" in page and "css/desk.css" in page
    assert 'data-msg-welcome-title="Checked in: {name}"' in page


def test_the_counter_endpoint_counts_confirmed_arrivals(desk, conference):
    make_registration(conference)
    make_registration(conference, status="cancelled")
    person = make_registration(conference)

    before = desk.get("/manage/c/rome/checkin/status").get_json()
    post_sync(
        desk,
        {
            "list": signed_list(desk),
            "items": [{"id": "1", "code": checkin_code(person.id), "checked_in_at": "x"}],
        },
    )
    post_sync(
        desk,
        {
            "list": signed_list(desk),
            "items": [
                {
                    "id": "2",
                    "code": checkin_code(person.id),
                    "checked_in_at": utcnow().isoformat(),
                }
            ],
        },
    )
    after = desk.get("/manage/c/rome/checkin/status").get_json()

    assert (before["checked_in"], before["expected"]) == (0, 2)
    assert (after["checked_in"], after["expected"]) == (1, 2)
    assert after["csrf_token"]


def test_a_sync_answers_per_item_and_counts_once(desk, conference):
    person = make_registration(conference, full_name="Li Na")
    stranger = make_registration(make_conference(slug="other"))
    items = [
        {"id": "k1", "code": checkin_code(person.id), "checked_in_at": utcnow().isoformat()},
        {"id": "k2", "code": checkin_code(stranger.id), "checked_in_at": utcnow().isoformat()},
    ]
    body = {"list": signed_list(desk), "items": items}

    first = post_sync(desk, body)
    second = post_sync(desk, body)

    assert first.status_code == second.status_code == 200
    answers = {a["id"]: a for a in first.get_json()["items"]}
    assert answers["k1"]["result"] == "checked_in" and answers["k1"]["name"] == "Li Na"
    assert answers["k2"] == {
        "id": "k2",
        "result": "unknown",
        "name": "",
        "status": "",
        "checked_in_at": None,
    }
    assert first.get_json()["checked_in"] == second.get_json()["checked_in"] == 1
    assert [a["result"] for a in second.get_json()["items"]] == ["checked_in", "unknown"]


def test_a_tampered_or_missing_list_is_refused_with_a_400(desk, conference):
    person = make_registration(conference)
    items = [{"id": "k", "code": checkin_code(person.id), "checked_in_at": utcnow().isoformat()}]
    text, signature = signed_list(desk).rsplit(".", 1)

    tampered = post_sync(
        desk, {"list": text.replace("rome", "x") + "x." + signature, "items": items}
    )
    missing = post_sync(desk, {"items": items})
    not_json = desk.post(
        "/manage/c/rome/checkin/sync", data="items", headers={"X-CSRFToken": token(desk)}
    )
    too_many = post_sync(desk, {"list": text + "." + signature, "items": items * 501})

    for response in (tampered, missing, not_json, too_many):
        assert response.status_code == 400
        assert response.get_json()["error"]
    db.session.rollback()
    assert db.session.get(Registration, person.id).checked_in_at is None


def test_a_sync_without_the_csrf_token_is_refused(desk, conference):
    person = make_registration(conference)
    body = {
        "list": signed_list(desk),
        "items": [{"id": "k", "code": checkin_code(person.id), "checked_in_at": None}],
    }

    response = post_sync(desk, body, csrf="")

    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Registration, person.id).checked_in_at is None


def test_the_worker_may_control_the_desk_page(desk):
    response = desk.get("/manage/c/rome/checkin/sw.js")

    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/manage/c/rome/checkin"
    assert response.mimetype == "text/javascript"
    assert b'addEventListener("fetch"' in response.data


def test_the_manifest_opens_the_desk(desk):
    response = desk.get("/manage/c/rome/checkin/manifest.webmanifest")

    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == manifest["scope"] == "/manage/c/rome/checkin"
    assert manifest["display"] == "standalone"


def test_staff_of_another_conference_get_nothing_of_the_desk(client, conference):
    other = make_conference(slug="other")
    staff = make_user("door@example.org")
    give_role(staff, other, "checkin")
    log_in(client, staff)

    for path in ("codes", "status", "sw.js", "manifest.webmanifest"):
        assert client.get(f"/manage/c/rome/checkin/{path}").status_code == 404
    csrf = csrf_token_from(client.get("/manage/c/other/checkin").text)
    response = client.post(
        "/manage/c/rome/checkin/sync",
        json={"list": "x", "items": []},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 404
