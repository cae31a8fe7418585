"""Who may open which management page.

Every view of the /manage blueprint carries one of these decorators, and each records its
level on the view (``access_level``) so the tests can check every route against it:

- ``public``: the login and password-reset pages;
- ``staff``: any logged-in account (its home page, logout, password change);
- ``admin``: administrators only (accounts and roles);
- ``creator``: accounts allowed to start conferences;
- ``organizer`` / ``checkin``: a conference's organizers, or its organizers and check-in staff.

The answer is consistent: a conference the account has no role in does not exist for it
(404, whatever the page), while a role too small for the page gets 403. Administrators may
do everything. Anonymous visitors are sent to the login page.
"""

from functools import wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from eventreg.accounts import sessions
from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.conferences.roles import role_in
from eventreg.core.extensions import db, login_manager

ACCESS_LEVELS = ("public", "staff", "admin", "creator", "organizer", "checkin")

login_manager.login_view = "organizers.login"
login_manager.login_message = _l("Please log in to open this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_secret: str) -> User | None:
    """The active account whose server-side session the cookie names, while that session
    lasts: logging out, a new password or deactivation ends it (``accounts.sessions``)."""
    return sessions.user_for(session_secret)


def is_local_url(target: str | None) -> bool:
    """Only paths on this site may follow a login: never another host, not even //host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def _mark(view, level: str):
    view.access_level = level
    return view


def public(view):
    return _mark(view, "public")


def require_login(view):
    return _mark(login_required(view), "staff")


def require_admin(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return _mark(login_required(checked), "admin")


def require_creator(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if not current_user.can_create_conferences:
            abort(403)
        return view(*args, **kwargs)

    return _mark(login_required(checked), "creator")


def require_conference_role(conference: Conference | None, roles: tuple[str, ...]) -> Conference:
    """Stop the request unless the current user holds one of ``roles`` in the conference:
    404 without any role there (or no such conference), 403 with a role not in ``roles``."""
    if conference is None:
        abort(404)
    role = role_in(current_user, conference)
    if role is None:
        abort(404)
    if role not in roles:
        abort(403)
    return conference


def conference_view(*roles: str):
    """For views under /manage/c/<slug>/: checks the role, then calls the view with the
    conference in place of the slug."""
    level = "checkin" if "checkin" in roles else "organizer"

    def decorate(view):
        @wraps(view)
        def checked(slug: str, **kwargs):
            conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
            require_conference_role(conference, roles)
            return view(conference, **kwargs)

        return _mark(login_required(checked), level)

    return decorate
