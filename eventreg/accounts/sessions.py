"""Staff login sessions kept on the server (``StaffSession``).

The session cookie carries a random secret; the database keeps its SHA-256. A request is
logged in only while that row exists and has not expired, so logging out, a new password
and deactivating the account end sessions for good, copied cookies included.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from eventreg.accounts.models import StaffSession, User
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token

# The secret of the session an account object was loaded for: an attribute of that object
# only (never stored), read by ``User.get_id`` when Flask-Login writes the cookie.
_SECRET_ATTRIBUTE = "_login_secret"  # noqa: S105  (an attribute name)

# A longer one was never issued: "not found" without asking the database.
MAX_SECRET_LENGTH = 100


def start(user: User) -> str:
    """Open a session for ``user`` and return its secret, in the caller's write
    transaction (or one of its own). The account's expired sessions are removed."""
    secret = new_token()
    max_age = timedelta(seconds=current_app.config["STAFF_SESSION_MAX_AGE"])
    now = utcnow()
    with write_transaction():
        db.session.execute(
            sa.delete(StaffSession).where(
                StaffSession.user_id == user.id, StaffSession.expires_at <= now
            )
        )
        db.session.add(
            StaffSession(
                user_id=user.id,
                token_hash=hash_token(secret),
                created_at=now,
                expires_at=now + max_age,
            )
        )
        audit.log(user, "user.logged_in", user, conference_id=None, summary=user.email)
    setattr(user, _SECRET_ATTRIBUTE, secret)
    return secret


def secret_of(user: User) -> str | None:
    """The secret of the session this account object was logged in or loaded with."""
    secret: str | None = getattr(user, _SECRET_ATTRIBUTE, None)
    return secret


def user_for(secret: str) -> User | None:
    """The active account whose live session has this secret, else None."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    user: User | None = db.session.scalar(
        sa.select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(StaffSession.token_hash == hash_token(secret), StaffSession.expires_at > utcnow())
    )
    if user is None or not user.active:
        return None
    setattr(user, _SECRET_ATTRIBUTE, secret)
    return user


def end(user: User, secret: str | None) -> None:
    """Log out: the session with this secret ends, on the server."""
    with write_transaction():
        if secret:
            db.session.execute(
                sa.delete(StaffSession).where(
                    StaffSession.user_id == user.id, StaffSession.token_hash == hash_token(secret)
                )
            )
        audit.log(user, "user.logged_out", user, conference_id=None, summary=user.email)


def end_others(user: User, *, keep: str | None = None) -> None:
    """End every session of ``user`` but the one with the secret ``keep`` (all when None);
    part of the caller's write transaction (a new password, a deactivation)."""
    condition = StaffSession.user_id == user.id
    if keep:
        condition = sa.and_(condition, StaffSession.token_hash != hash_token(keep))
    with write_transaction():
        db.session.execute(sa.delete(StaffSession).where(condition))
