"""Who registered for what: registrations, their answers, and their session sign-ups."""

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from eventreg.conferences.models import Conference, Talk
from eventreg.core.db import UTCDateTime, utcnow
from eventreg.core.extensions import Model

# "pending": waiting for an organizer's approval; "rejected": the organizer said no.
REGISTRATION_STATUSES = ("confirmed", "waiting", "cancelled", "pending", "rejected")
SIGNUP_STATUSES = ("confirmed", "waiting")
QUESTION_KINDS = ("short_text", "long_text", "single_choice", "multiple_choice", "checkbox")
# "public": offered on the form to everyone; "hidden": only through an access code or an
# organizer's invitation.
CATEGORY_VISIBILITIES = ("public", "hidden")


def email_key(address: str | None) -> str | None:
    """What makes two addresses the same attendee: the address, ignoring letter case."""
    return address.lower() if address else None


def _email_key_default(context: DefaultExecutionContext) -> str | None:
    # Bulk inserts (demo data, imports) bypass the ORM validator below.
    params = context.get_current_parameters()  # type: ignore[no-untyped-call]  # SA: untyped
    return email_key(params.get("email"))


class RegistrationCategory(Model):
    """A kind of attendee ("delegation", "industry", "press") with its own seats within the
    conference's, its own questions, and a visibility."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    translated_fields: ClassVar[tuple[str, ...]] = ("name", "description")
    # Texts in the languages other than the conference's main one (see core.translations).
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    # Seats for this category, counted within the conference's own (None: only those limit).
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    visibility: Mapped[str] = mapped_column(
        sa.String(10), default="public", server_default="public"
    )
    # Registrations in this category wait for an organizer's decision, even when the
    # conference itself takes everyone.
    requires_approval: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    conference: Mapped[Conference] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "name"),
        sa.CheckConstraint(f"visibility IN {CATEGORY_VISIBILITIES!r}", name="known_visibility"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )


class AccessCode(Model):
    """A code an organizer hands out: it opens a hidden category, skips the approval, or
    both, for at most ``max_uses`` registrations until ``valid_until``."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # Upper-cased: people type codes in any case.
    code: Mapped[str] = mapped_column(sa.String(40))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration_category.id", ondelete="CASCADE")
    )
    skips_approval: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    # Registrations made with the code that are not cancelled or rejected count as uses.
    max_uses: Mapped[int | None] = mapped_column(sa.Integer)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conference: Mapped[Conference] = relationship()
    category: Mapped[RegistrationCategory | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("conference_id", "code"),
        sa.CheckConstraint("max_uses IS NULL OR max_uses >= 0", name="max_uses_not_negative"),
    )


class Question(Model):
    """A question an organizer adds to the conference's registration form."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(300))
    help_text: Mapped[str] = mapped_column(sa.String(500), default="")
    kind: Mapped[str] = mapped_column(sa.String(20))
    required: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The options of single and multiple choice questions, in display order.
    choices: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    translated_fields: ClassVar[tuple[str, ...]] = ("label", "help_text", "choices")
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"label": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Asked of one category only (None: of everyone).
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration_category.id", ondelete="CASCADE")
    )

    conference: Mapped[Conference] = relationship()
    category: Mapped[RegistrationCategory | None] = relationship()

    __table_args__ = (sa.CheckConstraint(f"kind IN {QUESTION_KINDS!r}", name="known_kind"),)


class Registration(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # Normalised by email-validator; NULL once the attendee's data has been erased.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # The address lower-cased: "Ada@example.org" and "ada@example.org" are one person, and
    # the unique constraint below must see them as one. Kept in step with ``email``.
    email_key: Mapped[str | None] = mapped_column(sa.String(254), default=_email_key_default)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    country: Mapped[str] = mapped_column(sa.String(100), default="")
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    status: Mapped[str] = mapped_column(sa.String(20))
    # SHA-256 hex digest of the management-link secret; never the secret itself.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Digest of the spare link's secret, the one "resend my link" mails: derived from the app
    # secret and ``token_hash``, so mailing it again (anyone may ask) ends no link.
    spare_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    consent_text: Mapped[str] = mapped_column(sa.Text, default="")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The place in the queue: waiting-list order is first come, first served by this instant
    # (then id). A cancelled registration that comes back joins at the end, so it is reset.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an organizer approved or rejected a registration that needed approval.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moves with every change of what the personal agenda feed shows (sign-ups, status,
    # what each calendar was sent), in the same transaction: the feed's ETag comes from it.
    agenda_revision: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration_category.id", ondelete="RESTRICT"), index=True
    )
    access_code_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("access_code.id", ondelete="SET NULL"), index=True
    )
    # Who registered this person along with themselves (a colleague's registration): the
    # group is that registration and every one it made.
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )

    conference: Mapped[Conference] = relationship()
    category: Mapped[RegistrationCategory | None] = relationship()
    access_code: Mapped[AccessCode | None] = relationship()
    registered_by: Mapped["Registration | None"] = relationship(remote_side=[id])
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    signups: Mapped[list["SessionSignup"]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # Backs "one seat per person": a second registration with the same address is refused.
        sa.UniqueConstraint("conference_id", "email_key"),
        sa.CheckConstraint(f"status IN {REGISTRATION_STATUSES!r}", name="known_status"),
        sa.Index("ix_registration_conference_status", "conference_id", "status", "queued_at"),
    )

    @validates("email")
    def _keep_email_key(self, key: str, value: str | None) -> str | None:
        self.email_key = email_key(value)
        return value


class Answer(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"))
    # A string, a list of strings (multiple choice) or a boolean (checkbox).
    value: Mapped[object] = mapped_column(sa.JSON)

    registration: Mapped[Registration] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()

    __table_args__ = (sa.UniqueConstraint("registration_id", "question_id"),)


class Invitation(Model):
    """An organizer's personal invitation: its link pre-fills the form, opens the
    invitation's category (hidden or not) and, if so set, skips the approval."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # NULL once the invitee's data has been erased.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_key: Mapped[str | None] = mapped_column(sa.String(254), default=_email_key_default)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    locale: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration_category.id", ondelete="SET NULL")
    )
    skips_approval: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    # SHA-256 hex digest of the link's secret; the secret travels only in the mail.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The registration made through the link.
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conference: Mapped[Conference] = relationship()
    category: Mapped[RegistrationCategory | None] = relationship()
    registration: Mapped[Registration | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("conference_id", "email_key"),)

    @validates("email")
    def _keep_email_key(self, key: str, value: str | None) -> str | None:
        self.email_key = email_key(value)
        return value


class SessionSignup(Model):
    """A session in an attendee's personal agenda: a seat, or a waiting-list place."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    talk_id: Mapped[int] = mapped_column(sa.ForeignKey("talk.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="signups")
    talk: Mapped[Talk] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "talk_id"),
        sa.CheckConstraint(f"status IN {SIGNUP_STATUSES!r}", name="known_status"),
    )


# Who a broadcast goes to: every active registration, a session's seat holders, the
# conference's waiting list, registrations pending approval, the speakers, or the attendees
# not yet checked in.
BROADCAST_AUDIENCES = (
    "all",
    "session",
    "category",
    "waiting",
    "pending",
    "speakers",
    "not_checked_in",
)
BROADCAST_STATUSES = ("sent", "scheduled", "cancelled")


class Broadcast(Model):
    """A message organizers wrote to a group of attendees (or the speakers), in one go."""

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    # Set when the message went to the seat holders of one session only.
    talk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("talk.id", ondelete="SET NULL"))
    # Set when the message went to one registration category only.
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration_category.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    sender: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    translated_fields: ClassVar[tuple[str, ...]] = ("subject", "body")
    # Texts in the languages other than the conference's main one (see core.translations):
    # {"zh": {"subject": "…"}, …}; the columns above hold the main language.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    audience: Mapped[str] = mapped_column(sa.String(20), default="all", server_default="all")
    # "scheduled" until ``send_at``, when its recipients are chosen and its mail recorded.
    status: Mapped[str] = mapped_column(sa.String(20), default="sent", server_default="sent")
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conference: Mapped[Conference] = relationship()
    talk = relationship("Talk")

    __table_args__ = (
        sa.CheckConstraint(f"audience IN {BROADCAST_AUDIENCES!r}", name="known_audience"),
        sa.CheckConstraint(f"status IN {BROADCAST_STATUSES!r}", name="known_status"),
    )


class BroadcastMessage(Model):
    """One recipient's copy of a broadcast: its outbox row says whether it was delivered."""

    broadcast_id: Mapped[int] = mapped_column(
        sa.ForeignKey("broadcast.id", ondelete="CASCADE"), primary_key=True
    )
    outbox_message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outbox_message.id", ondelete="CASCADE"), primary_key=True
    )
