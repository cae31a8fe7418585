"""Staff accounts, their roles per conference, and the audit log of what they changed."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventreg.conferences.models import Conference
from eventreg.db import UTCDateTime, utcnow
from eventreg.extensions import db

ROLES = ("organizer", "checkin")


class User(UserMixin, db.Model):
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

    roles: Mapped[list["ConferenceRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_create_conferences(self) -> bool:
        return self.is_admin or self.may_create_conferences

    def get_id(self) -> str:
        # The session names the account and its current password: changing the password
        # ends every other session of the account (see auth.load_user).
        from eventreg.organizers.passwords import password_fingerprint

        return f"{self.id}:{password_fingerprint(self.password_hash)}"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class ConferenceRole(db.Model):
    """What one account may do in one conference: organize it, or check attendees in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    conference: Mapped[Conference] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "conference_id"),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="known_role"),
    )


class AuditEntry(db.Model):
    """One change made by staff: who, when, what, and the values before and after."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Kept as written at the time, so the log still says who it was after an account is gone.
    actor: Mapped[str] = mapped_column(sa.String(254))
    # e.g. "conference.updated", "room.created", "role.granted".
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_audit_entry_conference_created", "conference_id", "created_at"),)


class Broadcast(db.Model):
    """A message organizers wrote to all attendees, or to a session's, in one go."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # Set when the message went to the seat holders of one session only.
    talk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("talk.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    recipient_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conference: Mapped[Conference] = relationship()
    talk = relationship("Talk")


class BroadcastMessage(db.Model):
    """One recipient's copy of a broadcast: its outbox row says whether it was delivered."""

    broadcast_id: Mapped[int] = mapped_column(
        sa.ForeignKey("broadcast.id", ondelete="CASCADE"), primary_key=True
    )
    outbox_message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="CASCADE"), primary_key=True
    )
