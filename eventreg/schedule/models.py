"""Sessions of a conference and the people who speak in them."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventreg.conferences.models import Conference, Room, Track
from eventreg.db import UTCDateTime, utcnow
from eventreg.extensions import db

TALK_KINDS = ("talk", "keynote", "panel", "workshop", "break")
TALK_STATUSES = ("scheduled", "cancelled")

talk_speaker = sa.Table(
    "talk_speaker",
    db.metadata,
    sa.Column("talk_id", sa.ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("speaker_id", sa.ForeignKey("speaker.id", ondelete="CASCADE"), primary_key=True),
)


class Talk(db.Model):
    """One entry of the programme: a talk, keynote, panel, workshop or break.

    Named ``Talk`` so it is never confused with ``db.session``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # The iCalendar UID and the frab guid: never changes, whatever else does.
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(250))
    abstract: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="talk")
    # Unscheduled sessions have neither start nor end.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="SET NULL"))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    # Bumped on every change attendees' calendars must follow; it is the iCalendar SEQUENCE.
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    conference: Mapped[Conference] = relationship()
    room: Mapped[Room | None] = relationship()
    track: Mapped[Track | None] = relationship()
    speakers: Mapped[list["Speaker"]] = relationship(
        secondary=talk_speaker, back_populates="talks", order_by="Speaker.name"
    )

    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("(start_at IS NULL) = (end_at IS NULL)", name="start_and_end_together"),
        sa.CheckConstraint(f"kind IN {TALK_KINDS!r}", name="known_kind"),
        sa.CheckConstraint(f"status IN {TALK_STATUSES!r}", name="known_status"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.Index("ix_talk_conference_start", "conference_id", "start_at"),
    )

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def scheduled(self) -> bool:
        return self.start_at is not None

    def __repr__(self) -> str:
        return f"<Talk {self.id} {self.title!r}>"


class Speaker(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    # Honorific or job title, e.g. "Chief Representative".
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    conference: Mapped[Conference] = relationship()
    talks: Mapped[list[Talk]] = relationship(
        secondary=talk_speaker, back_populates="speakers", order_by="Talk.start_at"
    )

    def __repr__(self) -> str:
        return f"<Speaker {self.name!r}>"
