"""Issuing, revoking and recognising personal API tokens."""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from eventreg.accounts.models import ApiToken, User
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db
from eventreg.core.text import has_forbidden_characters
from eventreg.core.tokens import hash_token, new_token

# "Last used" needs no finer grain; this spares a write on every request of a busy script.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_NAME_LENGTH = 100


def issue(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the account, and its secret: the only time the secret is known."""
    name = " ".join((name or "").split())
    if has_forbidden_characters(name, multiline=False):
        raise Invalid({"name": _("Please use a single line without control characters.")})
    if not name:
        raise Invalid({"name": _("Say what the token is for.")})
    if len(name) > MAX_NAME_LENGTH:
        raise Invalid({"name": _("Use at most %(n)d characters.", n=MAX_NAME_LENGTH)})
    secret = new_token()
    with write_transaction():
        token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret))
        db.session.add(token)
        db.session.flush()
        audit.log(user, "api_token.created", token, conference_id=None, summary=token.name)
        return token, secret


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .filter_by(user_id=user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def revoke(user: User, token_id: int) -> ApiToken | None:
    """Revoke one of the account's own tokens; None when it has no such token. Revoking
    twice keeps the first instant."""
    with write_transaction():
        token = db.session.scalar(sa.select(ApiToken).filter_by(id=token_id, user_id=user.id))
        if token is None:
            return None
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.log(user, "api_token.revoked", token, conference_id=None, summary=token.name)
        return token


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, its account active; its use is recorded (at most
    once per ``LAST_USED_PRECISION``, in a write transaction of its own)."""
    if not secret:
        return None
    token = _live_token(secret)
    if token is None:
        return None
    if token.last_used_at is None or utcnow() - token.last_used_at >= LAST_USED_PRECISION:
        with write_transaction():
            token = _live_token(secret)
            if token is not None:
                token.last_used_at = utcnow()
    return token


def _live_token(secret: str) -> ApiToken | None:
    token = db.session.scalar(
        sa.select(ApiToken)
        .filter_by(token_hash=hash_token(secret))
        .execution_options(populate_existing=True)
    )
    if token is None or token.revoked or not token.user.active:
        return None
    return token
