"""A conference and the places (rooms) and topics (tracks) its sessions belong to."""

import re
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from eventreg.db import UTCDateTime, utcnow
from eventreg.extensions import db


class Conference(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable identity for calendars and exports that survives renaming the slug.
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64))
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organizer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    organizer_email: Mapped[str] = mapped_column(sa.String(254))
    privacy_notice: Mapped[str] = mapped_column(sa.Text, default="")
    published: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The iCalendar SEQUENCE of the conference's own calendar event; bumped when its span moves.
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rooms: Mapped[list["Room"]] = relationship(
        back_populates="conference", order_by="Room.position, Room.id", cascade="all, delete-orphan"
    )
    tracks: Mapped[list["Track"]] = relationship(
        back_populates="conference", order_by="Track.name", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint(
            "registration_closes_at IS NULL OR registration_opens_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="registration_window_in_order",
        ),
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def registration_state(self, now: datetime) -> str:
        """One of: open, draft, not_yet_open, closed, past."""
        if not self.published:
            return "draft"
        if now.astimezone(self.tz).date() > self.end_date:
            return "past"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet_open"
        if self.registration_closes_at and now >= self.registration_closes_at:
            return "closed"
        return "open"

    def __repr__(self) -> str:
        return f"<Conference {self.slug}>"


class Room(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    seats: Mapped[int | None] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    conference: Mapped[Conference] = relationship(back_populates="rooms")

    __table_args__ = (sa.UniqueConstraint("conference_id", "name"),)


COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


class Track(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # A CSS colour for the schedule grid, e.g. "#2a7ab0".
    color: Mapped[str] = mapped_column(sa.String(7), default="#5a6b7b")

    conference: Mapped[Conference] = relationship(back_populates="tracks")

    __table_args__ = (sa.UniqueConstraint("conference_id", "name"),)

    @validates("color")
    def _check_color(self, key, value):
        # It is written into a stylesheet, so nothing but a hex colour may pass.
        if not COLOR_PATTERN.fullmatch(value or ""):
            raise ValueError(f"track colour must look like #1a2b3c, not {value!r}")
        return value
