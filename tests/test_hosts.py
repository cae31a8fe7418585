"""Hosts and links: every absolute link comes from BASE_URL, other hosts are refused, and
behind a reverse proxy the client's own address is the one rate limits count."""

from contextlib import contextmanager
from email.message import EmailMessage

import pytest

from eventreg.core.extensions import db
from eventreg.core.links import id_links, trusted_hosts_for, url_builder
from eventreg.mail.hooks import prepare_mail
from tests.conftest import csrf_token_from, make_test_app
from tests.factories import make_conference, make_speaker, make_talk
from tests.mail.mailbox import deliver
from tests.organizers.conftest import make_user

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def readable(message: EmailMessage) -> str:
    """Headers and every text part, decoded (quoted-printable could split a host name)."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def test_the_trusted_hosts_are_those_of_the_public_address():
    assert trusted_hosts_for("https://register.example.org/events") == ["register.example.org"]
    assert trusted_hosts_for("https://register.example.org", "www.example.org:8443") == [
        "register.example.org",
        "www.example.org",
    ]
    assert trusted_hosts_for("http://127.0.0.1:8000") == ["127.0.0.1", "localhost"]
    assert trusted_hosts_for("http://localhost:5000") == ["localhost", "127.0.0.1"]


def test_a_request_for_another_host_is_refused(app, client):
    assert client.get("/manage/password/forgot").status_code == 200
    forged = client.get("/manage/password/forgot", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    # X-Forwarded-Host means nothing without a trusted proxy: the request's own host counts.
    page = client.get("/manage/password/forgot", headers={"X-Forwarded-Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text


def test_the_trusted_hosts_follow_the_base_url_and_can_be_set(app, database_url, instance_path):
    app.config["BASE_URL"] = "https://register.example.org"
    app.config["SERVER_NAME"] = None
    client = app.test_client()
    assert client.get("/", headers={"Host": "register.example.org"}).status_code != 400
    assert client.get("/", headers={"Host": "eventreg.test"}).status_code == 400

    app.config["TRUSTED_HOSTS"] = ["eventreg.test", ".example.net"]
    assert client.get("/", headers={"Host": "eventreg.test"}).status_code != 400
    assert client.get("/", headers={"Host": "www.example.net"}).status_code != 400
    assert client.get("/", headers={"Host": "register.example.org"}).status_code == 400


@contextmanager
def another_app(database_url, instance_path, **config):
    """A second app on the test database, with settings of its own, inside its context."""
    other = make_test_app(database_url, instance_path, **config)
    with other.app_context():
        yield other
        db.session.remove()
        db.engine.dispose()  # no pooled connection may hold up emptying the tables


def test_behind_a_proxy_a_forwarded_host_is_checked_too(database_url, instance_path, app):
    with another_app(database_url, instance_path, TRUSTED_PROXIES=1) as proxied:
        client = proxied.test_client()
        assert client.get("/", headers={"X-Forwarded-Host": "eventreg.test"}).status_code != 400
        assert client.get("/", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400


@pytest.fixture
def any_host(app_config):
    """Even when a host is let through (a wildcard proxy, TRUSTED_HOSTS opened up), no link
    may take it from the request."""
    app_config.update(TRUSTED_HOSTS=[], SERVER_NAME=None, TRUSTED_PROXIES=1)
    return app_config


@pytest.fixture
def app_config(smtp_server):
    return dict(smtp_server.app_config)


def test_a_forged_host_never_reaches_a_reset_mail(any_host, app, smtp_server):
    make_user("ada@example.org")
    client = app.test_client()
    page = client.get("/manage/password/forgot", headers=FORGED)
    response = client.post(
        "/manage/password/forgot",
        data={"csrf_token": csrf_token_from(page.text), "email": "ada@example.org"},
        headers=FORGED,
    )
    prepare_mail()

    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"] + response.text
    (message,) = deliver(smtp_server)
    text = readable(message)
    assert "http://eventreg.test/manage/password/reset/" in text
    assert "evil.example" not in text


def test_a_forged_host_never_reaches_the_schedule_page_or_the_frab_export(any_host, app):
    conference = make_conference()
    talk = make_talk(conference, title="Opening", start="09:00", end="10:00")
    talk.speakers = [make_speaker(conference, name="Lin")]
    db.session.commit()
    client = app.test_client()
    base = f"/c/{conference.slug}"

    for path in (f"{base}/schedule", f"{base}/schedule.xml", f"{base}/schedule.json"):
        response = client.get(path, headers=FORGED)
        assert response.status_code == 200, path
        assert "evil.example" not in response.text, path
        assert "http://eventreg.test/c/" in response.text, path


# --- behind a reverse proxy ----------------------------------------------------------------

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy's address


def login_statuses(client, forwarded_for: str, attempts: int) -> list[int]:
    token = csrf_token_from(client.get("/manage/login", environ_base=PROXY).text)
    data = {"csrf_token": token, "email": "ada@example.org", "password": "wrong password"}
    return [
        client.post(
            "/manage/login",
            data=data,
            environ_base=PROXY,
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code
        for _ in range(attempts)
    ]


@pytest.mark.parametrize(("proxies", "second_client"), [(1, [400, 400]), (0, [429, 429])])
def test_the_login_limit_counts_the_client_the_trusted_proxy_names(
    app, database_url, instance_path, proxies, second_client
):
    with another_app(
        database_url,
        instance_path,
        TRUSTED_PROXIES=proxies,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="2 per minute",
    ) as limited:
        make_user("ada@example.org")
        client = limited.test_client()

        assert login_statuses(client, "203.0.113.7", 3) == [400, 400, 429]
        # Behind one trusted proxy, another client has a limit of its own; without one,
        # X-Forwarded-For is only a header anybody can send, and the proxy's address counts.
        assert login_statuses(client, "198.51.100.9", 2) == second_client


def test_links_built_once_for_every_id_are_the_links_built_one_by_one(app):
    conference = make_conference(slug="id-links-2147483647")  # the template's id in the slug
    with app.test_request_context():
        build = url_builder()
        talk_url = id_links(build, "schedule.talk", "talk_id", slug=conference.slug)
        for talk_id in (1, 42, 2**31 - 1):
            assert talk_url(talk_id) == build(
                "schedule.talk", slug=conference.slug, talk_id=talk_id
            )
        assert talk_url(42).startswith("http://eventreg.test/")
