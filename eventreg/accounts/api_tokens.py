"""Issuing, revoking and recognising personal API tokens."""

from datetime import timedelta

import sqlalchemy as sa

from eventreg.accounts.models import ApiToken, User
from eventreg.core import audit
from eventreg.core.db import utcnow
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token

# "Last used" needs no finer grain; this spares a write on every request of a busy script.
LAST_USED_PRECISION = timedelta(minutes=1)


def issue(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the account, and its secret: the only time the secret is known."""
    secret = new_token()
    token = ApiToken(user_id=user.id, name=name.strip(), token_hash=hash_token(secret))
    db.session.add(token)
    db.session.flush()
    audit.log(user, "api_token.created", token, conference_id=None, summary=token.name)
    db.session.commit()
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
    token = db.session.scalar(sa.select(ApiToken).filter_by(id=token_id, user_id=user.id))
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.log(user, "api_token.revoked", token, conference_id=None, summary=token.name)
        db.session.commit()
    return token


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, its account active; its use is recorded."""
    if not secret:
        return None
    token = db.session.scalar(sa.select(ApiToken).filter_by(token_hash=hash_token(secret)))
    if token is None or token.revoked or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token
