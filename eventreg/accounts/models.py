"""Staff accounts and their personal API tokens (roles per conference: ``ConferenceRole``)."""

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventreg.core.db import UTCDateTime, utcnow
from eventreg.core.extensions import Model


class User(UserMixin, Model):  # type: ignore[misc]  # flask_login is untyped
    """A staff account. Attendees never have one: they use their private link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised by email-validator, so one address is one account.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    # An argon2id hash in PHC string format (salt and parameters included).
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Organizers who may start new conferences (they become organizers of what they create).
    may_create_conferences: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles = relationship("ConferenceRole", back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_create_conferences(self) -> bool:
        return self.is_admin or self.may_create_conferences

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the secret of this login's
        server-side session (``accounts.sessions``). Outside a request (tests, tools)
        each call opens a new session, as a login would."""
        from eventreg.accounts import sessions

        secret = sessions.secret_of(self)
        if secret is None or not has_request_context():
            secret = sessions.start(self)
        return secret

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class StaffSession(Model):
    """One login of a staff account, on one browser. The cookie holds a random secret and
    the database its SHA-256: logging out deletes the row, and the cookie, even copied
    before, opens nothing any more. A new password ends the account's other sessions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<StaffSession {self.id} of user {self.user_id}>"


class PasswordResetRequest(Model):
    """A "forgot password" form sent, waiting for the mail sender (``accounts.resets``).

    The request only records the address, whether or not an account has it, so it takes
    the same time either way; the sender mails a link when an active account has it, and
    deletes the row in any case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    # The language of the form, for the mail.
    locale: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PasswordResetRequest {self.id}>"


class ApiToken(Model):
    """One named token of one account. It acts with the account's own roles, so it reaches
    exactly the conferences its owner may manage, now and after any change of role."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # SHA-256 hex digest of the secret; the secret itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} of user {self.user_id}>"
