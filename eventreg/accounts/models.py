"""Staff accounts and their personal API tokens (roles per conference: ``ConferenceRole``)."""

from datetime import datetime

import sqlalchemy as sa
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
        # The session names the account and its current password: changing the password
        # ends every other session of the account (see auth.load_user).
        from eventreg.accounts.passwords import password_fingerprint

        return f"{self.id}:{password_fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


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
