"""Fixtures for the organizers' workspace: staff accounts and logging them in."""

import pytest

from eventreg.accounts import services
from eventreg.accounts.models import User
from eventreg.conferences import roles
from eventreg.conferences.models import Conference
from tests.conftest import csrf_token_from

PASSWORD = "correct horse battery"


def make_user(email: str = "staff@example.org", *, password: str = PASSWORD, **flags) -> User:
    return services.create_user(None, email, password=password, **flags)


def give_role(user: User, conference: Conference, role: str = "organizer") -> None:
    roles.grant_role(None, user, conference, role)


def log_in(client, user: User) -> None:
    """Open a logged-in session the way Flask-Login keeps one, without the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def log_in_with_form(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    page = client.get("/manage/login" + (f"?next={next_url}" if next_url else ""))
    data = {"csrf_token": csrf_token_from(page.text), "email": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/manage/login", data=data)


def post_form(client, path: str, data: dict, *, form_page: str | None = None):
    """Submit a form like a browser: fetch its page for the CSRF token, then post."""
    page = client.get(form_page or path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": csrf_token_from(page.text), **data})


@pytest.fixture
def admin(app) -> User:
    return make_user("admin@example.org", is_admin=True)


@pytest.fixture
def creator(app, client):
    """A logged-in account that may create conferences."""
    user = make_user("creator@example.org", may_create_conferences=True)
    log_in(client, user)
    return user
