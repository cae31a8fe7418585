"""Login and reset-link requests are rate-limited per client address."""

import pytest

from tests.conftest import csrf_token_from
from tests.organizers.conftest import make_user


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_RATE_LIMIT": "3 per minute",
        "RESET_LINK_RATE_LIMIT": "2 per minute",
    }


def test_login_attempts_beyond_the_limit_get_429_even_with_the_right_password(app, client):
    make_user("ada@example.org")
    token = csrf_token_from(client.get("/manage/login").text)

    def attempt(password):
        data = {"csrf_token": token, "email": "ada@example.org", "password": password}
        return client.post("/manage/login", data=data)

    assert [attempt("guess").status_code for _ in range(3)] == [400, 400, 400]
    blocked = attempt("correct horse battery")
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.text
    assert client.get("/manage/login").status_code == 200  # only attempts are counted


def test_reset_link_requests_are_limited_too(app, client):
    token = csrf_token_from(client.get("/manage/password/forgot").text)

    def ask():
        data = {"csrf_token": token, "email": "someone@example.org"}
        return client.post("/manage/password/forgot", data=data).status_code

    assert [ask(), ask(), ask()] == [302, 302, 429]
