"""Personal API tokens in the workspace: created with the secret shown once, stored only as
a digest, listed, and revoked by their owner alone."""

import hashlib
import re

import pytest
import sqlalchemy as sa

from eventreg.accounts.models import ApiToken
from eventreg.core.audit import AuditEntry
from eventreg.core.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.organizers.conftest import give_role, log_in, make_user

SECRET = re.compile(r'<code class="token-secret">([A-Za-z0-9_-]{43})</code>')


@pytest.fixture
def organizer_client(app, client):
    organizer = make_user("organizer@example.org")
    give_role(organizer, make_conference(slug="target"))
    log_in(client, organizer)
    return client


def create_token(client, name: str) -> str:
    page = client.get("/manage/tokens")
    response = client.post(
        "/manage/tokens", data={"csrf_token": csrf_token_from(page.text), "name": name}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return SECRET.search(response.text).group(1)


def revoke_token(client, token_id: int):
    page = client.get("/manage/tokens")
    return client.post(
        "/manage/tokens/revoke",
        data={"csrf_token": csrf_token_from(page.text), "token_id": str(token_id)},
    )


def api_status(client, secret: str) -> int:
    headers = {"Authorization": f"Bearer {secret}"}
    return client.get(
        "/api/v1/manage/conferences/target/registrations", headers=headers
    ).status_code


def test_the_workspace_links_to_the_token_page(organizer_client):
    assert 'href="/manage/tokens"' in organizer_client.get("/manage/").text


def test_a_new_tokens_secret_is_shown_once_and_only_its_digest_is_kept(organizer_client):
    secret = create_token(organizer_client, "schedule import")

    token = db.session.scalar(sa.select(ApiToken))
    assert token.name == "schedule import"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in db.session.execute(sa.select(ApiToken.__table__)).one()]
    assert secret not in stored
    later = organizer_client.get("/manage/tokens")
    assert "schedule import" in later.text
    assert secret not in later.text
    assert SECRET.search(later.text) is None
    assert token.last_used_at is None
    assert api_status(organizer_client, secret) == 200
    db.session.rollback()
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(object_type="apitoken"))
    assert (entry.action, entry.actor) == ("api_token.created", "organizer@example.org")


def test_a_token_needs_a_name(organizer_client):
    page = organizer_client.get("/manage/tokens")
    response = organizer_client.post(
        "/manage/tokens", data={"csrf_token": csrf_token_from(page.text), "name": " "}
    )
    assert response.status_code == 400
    assert SECRET.search(response.text) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_a_revoked_token_no_longer_opens_the_api(organizer_client):
    secret = create_token(organizer_client, "laptop")
    kept = create_token(organizer_client, "server")
    token_id = db.session.scalar(sa.select(ApiToken.id).filter_by(name="laptop"))

    response = revoke_token(organizer_client, token_id)

    assert response.status_code == 302
    assert api_status(organizer_client, secret) == 401
    assert api_status(organizer_client, kept) == 200
    page = organizer_client.get("/manage/tokens").text
    assert "Revoked" in page and "Revoke “server”" in page and "Revoke “laptop”" not in page
    db.session.rollback()
    assert db.session.get(ApiToken, token_id).revoked_at is not None


def test_nobody_can_revoke_anothers_token(app, organizer_client):
    secret = create_token(organizer_client, "mine")
    token_id = db.session.scalar(sa.select(ApiToken.id))
    intruder = app.test_client()
    log_in(intruder, make_user("intruder@example.org"))

    assert revoke_token(intruder, token_id).status_code == 404
    assert "mine" not in intruder.get("/manage/tokens").text
    assert api_status(organizer_client, secret) == 200


def test_a_revoke_without_a_token_id_is_a_bad_request(organizer_client):
    page = organizer_client.get("/manage/tokens")
    response = organizer_client.post(
        "/manage/tokens/revoke", data={"csrf_token": csrf_token_from(page.text)}
    )
    assert response.status_code == 400
