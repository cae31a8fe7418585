"""The audit log: every change, with who made it, when, and the values before and after.

Each domain service writes its entry in the same transaction as the change it records."""

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventreg.core.db import UTCDateTime, utcnow
from eventreg.core.extensions import Model, db


class AuditEntry(Model):
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
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")

    __table_args__ = (sa.Index("ix_audit_entry_conference_created", "conference_id", "created_at"),)


def snapshot(obj: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-ready values."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose values differ, on both sides."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


class StaffAccount(Protocol):
    """What the log keeps of a staff account (``eventreg.accounts.models.User``)."""

    id: int
    email: str


class Recorded(Protocol):
    """What the log keeps of the object changed: its class name and its id."""

    @property
    def id(self) -> int | None: ...


# Actors that are not staff accounts, named as the log shows them.
ATTENDEE = "attendee"  # through their private link
SYSTEM = "system"  # the command line, the demo loader, scheduled work

Actor = StaffAccount | str | None  # None: SYSTEM


def log(
    actor: Actor,
    action: str,
    obj: Recorded,
    *,
    conference_id: int | None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the current transaction; it commits (or not) with the change itself."""
    entry = AuditEntry(
        conference_id=conference_id,
        user_id=None if actor is None or isinstance(actor, str) else actor.id,
        actor=_actor_name(actor),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=obj.id,
        summary=summary[:300],
        before=before,
        after=after,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def _actor_name(actor: Actor) -> str:
    if actor is None:
        return SYSTEM
    return actor if isinstance(actor, str) else actor.email


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        # One spelling per instant, so an unchanged time never shows up as a change.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def redact(object_type: str, object_id: int, words: Sequence[str], replacement: str) -> int:
    """Take personal data out of the log (erasure): entries about the object keep only
    ``replacement`` as their summary, and every other entry of the object's conference that
    is not about another object of that type (sessions, the conference, messages: whatever
    may quote a person) has each of ``words`` (a name, an address) in its summary, before
    and after values replaced by ``replacement``. The entries about the object lose their
    before and after values too: they may hold its earlier names and addresses. Joins the
    caller's transaction; returns how many entries changed."""
    words = [word for word in words if word]
    about = sa.and_(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
    conference_ids = sa.select(AuditEntry.conference_id).where(about).distinct().scalar_subquery()
    quoting = [
        column.ilike(_contains(text), escape="\\")
        for word in words
        for text in {word, json.dumps(word)[1:-1]}  # JSON is stored with \u escapes
        for column in (
            AuditEntry.summary,
            sa.cast(AuditEntry.before, sa.Text),
            sa.cast(AuditEntry.after, sa.Text),
        )
    ]
    others = sa.and_(
        AuditEntry.conference_id.in_(conference_ids),
        AuditEntry.object_type != object_type,
        sa.or_(*quoting) if quoting else sa.false(),
    )
    pattern = _word_pattern(words)
    changed = 0
    for entry in db.session.scalars(sa.select(AuditEntry).where(sa.or_(about, others))):
        is_about = entry.object_type == object_type and entry.object_id == object_id
        summary = replacement if is_about else _replace(entry.summary, pattern, replacement)
        before = None if is_about else _replace(entry.before, pattern, replacement)
        after = None if is_about else _replace(entry.after, pattern, replacement)
        if (summary, before, after) != (entry.summary, entry.before, entry.after):
            entry.summary, entry.before, entry.after = summary[:300], before, after
            changed += 1
    return changed


def _contains(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _word_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    # Whole words only, any letter case: "Ada" goes, "Adam" and "Canada" stay.
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _replace(value: Any, pattern: re.Pattern[str] | None, replacement: str) -> Any:
    """``value`` (a string, or JSON-ready data) with every match replaced."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_replace(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, pattern, replacement) for key, item in value.items()}
    return value
