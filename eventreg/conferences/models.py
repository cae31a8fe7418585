"""A conference and its programme: rooms, tracks, sessions (``Talk``) and speakers."""

import re
import uuid
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from eventreg.core.db import UTCDateTime, utcnow
from eventreg.core.extensions import Model, db


class Conference(Model):
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
    translated_fields: ClassVar[tuple[str, ...]] = (
        "title",
        "description",
        "venue",
        "address",
        "organizer_name",
        "privacy_notice",
    )
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"title": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    # The language the columns are written in; readers of another get their translation.
    main_language: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    published: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Registrations wait as "pending" until an organizer approves (a seat or a waiting-list
    # place, by the usual rules) or rejects them.
    requires_approval: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    # The iCalendar SEQUENCE of the conference's own calendar event; bumped when its span moves.
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Reminder e-mails, as minutes before the conference starts and before each session of
    # an agenda (e.g. [1440] and [60]); none by default, so older conferences mail nobody new.
    conference_reminder_minutes: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    session_reminder_minutes: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # A VALARM this many minutes before each invited event; None: invites carry no alarm.
    invite_alarm_minutes: Mapped[int | None] = mapped_column(sa.Integer)
    # Moves (in the same transaction) with every change that reaches a public feed, export
    # or page of the conference: validators and caches are derived from it, not from hashes.
    feed_revision: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # How the conference looks: images by their key in the upload storage, and the accent
    # colour as "#rrggbb" (None: the site's own).
    logo_key: Mapped[str | None] = mapped_column(sa.String(200))
    banner_key: Mapped[str | None] = mapped_column(sa.String(200))
    accent_color: Mapped[str | None] = mapped_column(sa.String(7))
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
        sa.CheckConstraint(
            "invite_alarm_minutes IS NULL OR invite_alarm_minutes >= 0",
            name="invite_alarm_not_negative",
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


class Room(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    translated_fields: ClassVar[tuple[str, ...]] = ("name",)
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"name": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    seats: Mapped[int | None] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)

    conference: Mapped[Conference] = relationship(back_populates="rooms")

    __table_args__ = (sa.UniqueConstraint("conference_id", "name"),)


COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")


class Track(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conference.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    translated_fields: ClassVar[tuple[str, ...]] = ("name", "description")
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"name": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    # A CSS colour for the schedule grid, e.g. "#2a7ab0".
    color: Mapped[str] = mapped_column(sa.String(7), default="#5a6b7b")

    conference: Mapped[Conference] = relationship(back_populates="tracks")

    __table_args__ = (sa.UniqueConstraint("conference_id", "name"),)

    @validates("color")
    def _check_color(self, key: str, value: str) -> str:
        # It is written into a stylesheet, so nothing but a hex colour may pass.
        if not COLOR_PATTERN.fullmatch(value or ""):
            raise ValueError(f"track colour must look like #1a2b3c, not {value!r}")
        return value


TALK_KINDS = ("talk", "keynote", "panel", "workshop", "break")
TALK_STATUSES = ("scheduled", "cancelled")
# A speaker's answer to being given a session, through their private link.
SPEAKER_RESPONSES = ("pending", "confirmed", "declined")

talk_speaker = sa.Table(
    "talk_speaker",
    db.metadata,
    sa.Column("talk_id", sa.ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("speaker_id", sa.ForeignKey("speaker.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("response", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("responded_at", UTCDateTime),
    sa.CheckConstraint(f"response IN {SPEAKER_RESPONSES!r}", name="known_response"),
)


class Talk(Model):
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
    translated_fields: ClassVar[tuple[str, ...]] = ("title", "abstract")
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"title": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    # The languages it is given in (codes of LANGUAGES), and whether interpretation into the
    # conference's other languages is offered.
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    interpretation: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    kind: Mapped[str] = mapped_column(sa.String(20), default="talk")
    # Unscheduled sessions have neither start nor end.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="SET NULL"))
    track_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track.id", ondelete="SET NULL"))
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    # Where people who hold the session join it online (a video call); only they ever see it.
    online_url: Mapped[str] = mapped_column(sa.String(500), default="")
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


class Speaker(Model):
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
    translated_fields: ClassVar[tuple[str, ...]] = ("title", "bio")
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"title": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # The language of the speaker's mail and private pages; None: the conference's main one.
    language: Mapped[str | None] = mapped_column(sa.String(10))
    # SHA-256 hex digest of the secret of the speaker's private link; never the secret itself.
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Links the speaker lists on their page: [{"label": "…", "url": "https://…"}, …].
    links: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # The speaker's photo by its key in the upload storage (resized, without metadata).
    photo_key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    conference: Mapped[Conference] = relationship()
    talks: Mapped[list[Talk]] = relationship(
        secondary=talk_speaker, back_populates="speakers", order_by="Talk.start_at"
    )
    availability: Mapped[list["SpeakerAvailability"]] = relationship(
        back_populates="speaker",
        order_by="SpeakerAvailability.start_at",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Speaker {self.name!r}>"


class SpeakerAvailability(Model):
    """A span in which a speaker can speak. A speaker with none stated is available always."""

    id: Mapped[int] = mapped_column(primary_key=True)
    speaker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("speaker.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)

    speaker: Mapped[Speaker] = relationship(back_populates="availability")

    __table_args__ = (sa.CheckConstraint("end_at > start_at", name="ends_after_start"),)


class TalkDraft(Model):
    """An unreleased edit of a published session's place in the schedule.

    Edits of a published schedule collect here; releasing the draft applies them all in one
    transaction, so each affected person gets one update per session, not one per drag.
    """

    talk_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talk.id", ondelete="CASCADE"), primary_key=True
    )
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # Where the session is to be: both None moves it back to the unscheduled tray.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id", ondelete="SET NULL"))
    # The session is to be cancelled on release.
    cancel: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    talk: Mapped[Talk] = relationship()
    room: Mapped[Room | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("end_at > start_at", name="ends_after_start"),
        sa.CheckConstraint("(start_at IS NULL) = (end_at IS NULL)", name="start_and_end_together"),
    )


ROLES = ("organizer", "checkin")


class ConferenceRole(Model):
    """What one account may do in one conference: organize it, or check attendees in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", back_populates="roles")
    conference: Mapped[Conference] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("user_id", "conference_id"),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="known_role"),
    )
