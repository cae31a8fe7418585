"""The outbox: every message, recorded in the transaction that causes it."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventreg.core.db import UTCDateTime, utcnow
from eventreg.core.extensions import Model

OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conference.id", ondelete="SET NULL"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    # A reminder's session (None for the conference's own reminder and all other mail), and
    # whose calendar it is for (``registration:<id>`` / ``speaker:<id>``, as in
    # ``invites.sequences``): a moved or cancelled session finds its pending reminders by them.
    talk_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("talk.id", ondelete="SET NULL"), index=True
    )
    recipient_key: Mapped[str | None] = mapped_column(sa.String(40))
    # What caused it, e.g. "registration_confirmed", "session_updated"; for dashboards.
    kind: Mapped[str] = mapped_column(sa.String(40))
    # Fixed when the message is recorded, so a resend after a crash carries the same one.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    # The complete RFC 5322 message: rendered when recorded, or, for a message recorded as
    # ``content`` (what to say), empty until the sender composes it at delivery.
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # What to compose at delivery (JSON-ready, no secrets), and what only the recording
    # moment knew that must stay secret (a new link's token), sealed with a key derived
    # from SECRET_KEY; both are cleared once the message is composed.
    content: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    sealed: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker's lease: others leave the row alone until it runs out.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="known_status"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )


class InboundMessage(Model):
    """A message the inbound receiver (SMTP or IMAP) has handled, by its Message-ID, so the
    same reply delivered twice is acted on once. No address, no content: only what was done."""

    message_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    # What the handler did, e.g. "joined", "left", "asked_to_confirm", "ignored:no_calendar".
    outcome: Mapped[str] = mapped_column(sa.String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
