"""Registration and "resend my link" are rate-limited per client address, with a kind page."""

import pytest
import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.registration.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import make_conference
from tests.registration.helpers import fill_registration, outbox, page_text, register_url


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "REGISTRATION_RATE_LIMIT": "3 per minute"}


def registration_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def test_too_many_registrations_from_one_address_get_a_friendly_429(app, client):
    conference = make_conference()
    forms = [fill_registration(client, conference, email=f"p{n}@example.org") for n in range(4)]

    statuses = [client.post(register_url(conference), data=form).status_code for form in forms]

    assert statuses == [303, 303, 303, 429]
    refused = client.post(register_url(conference), data=forms[3])
    assert refused.status_code == 429
    assert "Please slow down" in page_text(refused)
    assert "wait a few minutes" in page_text(refused)
    assert int(refused.headers["Retry-After"]) > 0
    assert registration_count() == 3
    # Reading pages is not limited, and another client address still gets through.
    assert client.get(register_url(conference)).status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    form = fill_registration(other, conference, email="other@example.org")
    assert other.post(register_url(conference), data=form).status_code == 303


def test_resending_the_link_is_limited_too(app, client):
    conference = make_conference()
    url = f"/c/{conference.slug}/resend"
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    statuses = [
        client.post(url, data={"csrf_token": token, "email": "x@example.org"}).status_code
        for _ in range(4)
    ]

    assert statuses == [303, 303, 303, 429]
    assert outbox() == []


def test_invalid_submissions_count_towards_the_limit(app, client):
    conference = make_conference()
    form = fill_registration(client, conference, email="not-an-address")

    statuses = [client.post(register_url(conference), data=form).status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
