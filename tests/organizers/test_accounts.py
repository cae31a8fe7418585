"""Staff accounts: logging in and out, passwords, reset and welcome links, account management."""

import re
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import unquote

import sqlalchemy as sa
from argon2 import PasswordHasher
from freezegun import freeze_time

from eventreg.accounts.models import User
from eventreg.conferences.models import ConferenceRole
from eventreg.core.audit import AuditEntry
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.mail.hooks import prepare_mail
from eventreg.mail.models import OutboxMessage
from tests.conftest import csrf_token_from, make_test_app
from tests.factories import make_conference
from tests.organizers.conftest import (
    PASSWORD,
    give_role,
    log_in,
    log_in_with_form,
    make_user,
    post_form,
)


def outbox(kind: str) -> list[OutboxMessage]:
    return db.session.scalars(sa.select(OutboxMessage).filter_by(kind=kind)).all()


def link_in(message: OutboxMessage) -> str:
    """The workspace path of the link in a recorded e-mail, as its reader would follow it."""
    parsed = message_from_bytes(message.raw, policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"http://eventreg\.test(/manage/\S+)", body)
    assert match, body
    return match.group(1)


def logged_in(client) -> bool:
    return client.get("/manage/").status_code == 200


# --- logging in and out -----------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_workspace(app, client):
    make_user("ada@example.org")

    response = log_in_with_form(client, "ada@example.org")

    assert response.status_code == 302
    assert response.location == "/manage/"
    page = client.get("/manage/")
    assert "Logged in as ada@example.org" in page.text
    assert db.session.scalar(sa.select(User.last_login_at)) is not None


def test_login_accepts_the_address_in_any_letter_case(app, client):
    make_user("ada@example.org")

    assert log_in_with_form(client, "ADA@Example.org").status_code == 302


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(app, client):
    make_user("ada@example.org")

    wrong_password = log_in_with_form(client, "ada@example.org", "not the password")
    unknown = log_in_with_form(client, "nobody@example.org")

    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "The e-mail address or the password is wrong." in response.text
    assert not logged_in(client)


def test_an_inactive_account_cannot_log_in(app, client):
    user = make_user("gone@example.org")
    user.active = False
    db.session.commit()

    assert log_in_with_form(client, "gone@example.org").status_code == 400
    assert not logged_in(client)


def test_an_account_deactivated_while_logged_in_loses_its_session(app, client):
    user = make_user()
    log_in(client, user)
    assert logged_in(client)

    user.active = False
    db.session.commit()

    assert not logged_in(client)


def test_login_follows_a_local_next_address(app, client):
    make_user("ada@example.org")

    response = log_in_with_form(client, "ada@example.org", next_url="/manage/password")

    assert response.location == "/manage/password"


def test_login_never_follows_a_next_address_to_another_site(app, client):
    make_user("ada@example.org")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        client.post("/manage/logout", data={"csrf_token": _token(client)})

        response = log_in_with_form(client, "ada@example.org", next_url=target)

        assert response.location == "/manage/", target


def _token(client) -> str:
    return csrf_token_from(client.get("/manage/password/forgot").text)


def test_anonymous_visitors_are_sent_to_the_login_page_and_back(app, client):
    make_user("ada@example.org")

    response = client.get("/manage/password")

    assert response.status_code == 302
    assert response.location.startswith("/manage/login?next=")
    next_url = unquote(response.location.split("next=", 1)[1])
    assert log_in_with_form(client, "ada@example.org", next_url=next_url).location == (
        "/manage/password"
    )


def test_logout_needs_a_post_and_ends_the_session(app, client):
    log_in(client, make_user())
    home = client.get("/manage/")

    assert client.get("/manage/logout").status_code == 405
    assert logged_in(client)

    response = client.post("/manage/logout", data={"csrf_token": csrf_token_from(home.text)})

    assert response.status_code == 302
    assert not logged_in(client)


def test_a_login_form_without_its_csrf_token_is_refused(app, client):
    make_user("ada@example.org")

    response = client.post("/manage/login", data={"email": "ada@example.org", "password": PASSWORD})

    assert response.status_code == 400
    assert not logged_in(client)


def test_the_session_cookie_is_httponly_and_samesite(app, client):
    make_user("ada@example.org")

    log_in_with_form(client, "ada@example.org")

    cookie = client.get_cookie("session", domain="eventreg.test")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure  # served over plain http in this test


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(
    app, database_url, instance_path
):
    make_user("ada@example.org")
    https_app = make_test_app(database_url, instance_path, PREFERRED_URL_SCHEME="https")
    client = https_app.test_client()
    try:
        log_in_with_form(client, "ada@example.org")
        cookie = client.get_cookie("session", domain="eventreg.test")
        assert cookie is not None and cookie.secure and cookie.http_only
    finally:
        with https_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_outdated_password_hash_is_upgraded_at_login(app, client):
    user = make_user("ada@example.org")
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert PasswordHasher().check_needs_rehash(weak_hash)
    user.password_hash = weak_hash
    db.session.commit()

    assert log_in_with_form(client, "ada@example.org").status_code == 302

    db.session.expire_all()
    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != weak_hash
    assert not PasswordHasher().check_needs_rehash(upgraded)
    assert log_in_with_form(app.test_client(), "ada@example.org").status_code == 302


# --- changing the password ----------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(app, client):
    log_in(client, make_user("ada@example.org"))

    response = post_form(
        client,
        "/manage/password",
        {
            "current_password": "wrong",
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        },
    )

    assert response.status_code == 400
    assert "This is not your current password." in response.text


def test_a_new_password_that_is_too_short_is_refused(app, client):
    log_in(client, make_user("ada@example.org"))

    response = post_form(
        client,
        "/manage/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )

    assert response.status_code == 400
    assert "Use at least 10 characters." in response.text


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client):
    make_user("ada@example.org")
    other_device = app.test_client()
    log_in_with_form(other_device, "ada@example.org")
    log_in_with_form(client, "ada@example.org")

    response = post_form(
        client,
        "/manage/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        },
    )

    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(other_device)
    fresh = app.test_client()
    assert log_in_with_form(fresh, "ada@example.org", PASSWORD).status_code == 400
    assert log_in_with_form(fresh, "ada@example.org", "a brand new secret").status_code == 302


# --- the password-reset link ---------------------------------------------------------------------


def request_reset(client, email: str):
    """Ask for a reset link, then let the mail sender prepare what was asked for, as it
    does before each delivery pass."""
    response = post_form(client, "/manage/password/forgot", {"email": email})
    prepare_mail()
    return response


def test_a_reset_link_is_e_mailed_and_sets_a_new_password_once(app, client):
    make_user("ada@example.org")

    response = request_reset(client, "ada@example.org")

    assert response.status_code == 302
    [message] = outbox("password_reset")
    assert message.recipient == "ada@example.org"
    link = link_in(message)
    form = client.get(link)
    assert form.status_code == 200
    assert "For the account ada@example.org." in form.text

    done = post_form(
        client,
        link,
        {"new_password": "reset to something", "confirm_password": "reset to something"},
    )

    assert done.status_code == 302
    assert log_in_with_form(app.test_client(), "ada@example.org").status_code == 400
    assert log_in_with_form(client, "ada@example.org", "reset to something").status_code == 302
    assert client.get(link).status_code == 404  # used: the password it was tied to is gone


def test_a_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing(app, client):
    make_user("ada@example.org")

    known = request_reset(app.test_client(), "ada@example.org")
    unknown = request_reset(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert len(outbox("password_reset")) == 1


def test_a_reset_link_expires(app, client):
    make_user("ada@example.org")
    request_reset(client, "ada@example.org")
    link = link_in(outbox("password_reset")[0])

    with freeze_time(utcnow() + timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] + 60)):
        response = client.get(link)

    assert response.status_code == 404
    assert "This link no longer works" in response.text


def test_a_tampered_reset_link_is_refused(app, client):
    make_user("ada@example.org")
    request_reset(client, "ada@example.org")
    link = link_in(outbox("password_reset")[0])

    assert client.get(link[:-3] + "xyz").status_code == 404
    assert client.get("/manage/password/reset/nonsense").status_code == 404


def test_a_welcome_link_does_not_work_as_a_reset_link(app, client, admin):
    log_in(client, admin)
    post_form(client, "/manage/users/new", {"email": "new@example.org"})
    [welcome] = outbox("account_welcome")
    token = link_in(welcome).rsplit("/", 1)[1]

    assert client.get(f"/manage/password/reset/{token}").status_code == 404
    assert client.get(f"/manage/welcome/{token}").status_code == 200


# --- accounts, for administrators -----------------------------------------------------------------


def test_an_admin_creates_an_account_whose_owner_chooses_the_password(app, client, admin):
    log_in(client, admin)

    response = post_form(
        client,
        "/manage/users/new",
        {"email": "Lin@Example.org", "name": "Lin Mei", "may_create_conferences": "y"},
    )

    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).filter_by(email="lin@example.org"))
    assert user.name == "Lin Mei" and user.may_create_conferences and not user.is_admin
    [welcome] = outbox("account_welcome")
    assert welcome.recipient == "lin@example.org"
    assert "Lin Mei <lin@example.org>" in welcome.raw.decode()
    newcomer = app.test_client()
    link = link_in(welcome)
    post_form(
        newcomer, link, {"new_password": "my own secret", "confirm_password": "my own secret"}
    )
    assert log_in_with_form(newcomer, "lin@example.org", "my own secret").status_code == 302
    entry = db.session.scalar(
        sa.select(AuditEntry).filter_by(action="user.created", summary="lin@example.org")
    )
    assert entry.actor == "admin@example.org"
    assert entry.after["email"] == "lin@example.org"


def test_an_account_cannot_be_created_twice(app, client, admin):
    log_in(client, admin)
    make_user("lin@example.org")

    response = post_form(client, "/manage/users/new", {"email": "LIN@example.org"})

    assert response.status_code == 400
    assert "An account with this e-mail address already exists." in response.text


def test_an_admin_grants_and_revokes_a_role_and_the_conference_log_shows_it(app, client, admin):
    conference = make_conference(title="Pavia Days")
    user = make_user("lin@example.org")
    log_in(client, admin)

    response = post_form(
        client,
        f"/manage/users/{user.id}/roles",
        {"conference_id": conference.id, "role": "checkin"},
        form_page=f"/manage/users/{user.id}",
    )

    assert response.status_code == 302
    role = db.session.scalar(sa.select(ConferenceRole))
    assert (role.user_id, role.conference_id, role.role) == (user.id, conference.id, "checkin")
    assert "Pavia Days: Check-in staff" in client.get(f"/manage/users/{user.id}").text

    post_form(
        client,
        f"/manage/users/{user.id}/roles/{conference.id}/revoke",
        {},
        form_page=f"/manage/users/{user.id}",
    )

    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConferenceRole)) == 0
    log_page = client.get(f"/manage/c/{conference.slug}/audit").text
    assert "role.granted" in log_page and "role.revoked" in log_page
    assert "lin@example.org: checkin" in log_page


def test_granting_a_second_role_in_a_conference_replaces_the_first(app):
    conference = make_conference()
    user = make_user("lin@example.org")

    give_role(user, conference, "checkin")
    give_role(user, conference, "organizer")

    roles = db.session.scalars(sa.select(ConferenceRole.role)).all()
    assert roles == ["organizer"]


def test_an_admin_cannot_take_away_their_own_rights(app, client, admin):
    log_in(client, admin)

    response = post_form(client, f"/manage/users/{admin.id}", {"name": "Boss", "active": "y"})

    assert response.status_code == 400
    assert "You cannot take away your own administrator rights" in response.text
    db.session.refresh(admin)
    assert admin.is_admin


def test_an_admin_deactivates_another_account(app, client, admin):
    user = make_user("lin@example.org", may_create_conferences=True)
    log_in(client, admin)

    response = post_form(client, f"/manage/users/{user.id}", {"name": "Lin"})

    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.active and not user.may_create_conferences
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="user.updated"))
    assert entry.before == {"name": "", "may_create_conferences": True, "active": True}
    assert entry.after == {"name": "Lin", "may_create_conferences": False, "active": False}


def test_form_fields_are_labelled_and_their_errors_tied_to_them(app, client):
    page = client.get("/manage/login").text
    assert '<label for="email">' in page and '<label for="password">' in page
    assert "aria-describedby" not in page and "None" not in page

    log_in(client, make_user("ada@example.org"))
    refused = post_form(
        client,
        "/manage/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert 'aria-describedby="new_password-hint new_password-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert '<p class="error" id="new_password-error">Use at least 10 characters.</p>' in (
        refused.text
    )
