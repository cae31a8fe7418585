"""The audit log: every change staff make, with who, when, and the values before and after."""

from datetime import UTC, date, datetime

from eventreg.db import utcnow
from eventreg.extensions import db
from eventreg.organizers.models import AuditEntry, User


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The named attributes of ``obj`` as JSON-ready values."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields whose values differ, on both sides."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def log(
    actor: User | None,
    action: str,
    obj,
    *,
    conference_id: int | None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Add an entry to the current transaction; it commits (or not) with the change itself."""
    entry = AuditEntry(
        conference_id=conference_id,
        user_id=actor.id if actor else None,
        actor=actor.email if actor else "command line",
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


def _plain(value):
    if isinstance(value, datetime):
        # One spelling per instant, so an unchanged time never shows up as a change.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
