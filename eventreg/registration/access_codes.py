"""The organizers' access codes: each opens a category, skips the approval, or both, for
a number of registrations until a time. Registrations made with a code keep it as a record
(``Registration.access_code_id``), which is also how its uses are counted."""

import re
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventreg.accounts.models import User
from eventreg.conferences.models import Conference
from eventreg.conferences.rules import skipped_time_message
from eventreg.conferences.services import audited, insert_or_refuse
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.errors import Conflict, Invalid
from eventreg.core.extensions import db
from eventreg.core.text import has_forbidden_characters
from eventreg.core.timeutil import instants_on_clock, within_calendar
from eventreg.registration.access import normalise_code
from eventreg.registration.models import AccessCode, Registration, RegistrationCategory

CODE_FIELDS = ("code", "category_id", "skips_approval", "max_uses", "valid_until", "note")
# Generated codes leave out the characters read alike (0/O, 1/I/L), as people type them.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 8
# Letters, digits and hyphens: a code travels in links and is read out on the phone.
CODE_PATTERN = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{1,38}[A-Z0-9])?")
MIN_CODE_LENGTH = 4
NOTE_MAX = 200
# Registrations in these statuses no longer hold the code's use.
NOT_USING = ("cancelled", "rejected")


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(GENERATED_LENGTH))


def code_uses(conference_id: int) -> dict[int, int]:
    """Per access code of the conference: the registrations using it (one query)."""
    rows = db.session.execute(
        sa.select(Registration.access_code_id, sa.func.count())
        .filter_by(conference_id=conference_id)
        .where(Registration.access_code_id.is_not(None))
        .where(Registration.status.not_in(NOT_USING))
        .group_by(Registration.access_code_id)
    )
    return {code_id: number for code_id, number in rows if code_id is not None}


def code_state(access_code: AccessCode, uses: int, now: datetime | None = None) -> str:
    """ "active", "expired" (past its time) or "used_up" (as many uses as it allows)."""
    if access_code.valid_until is not None and access_code.valid_until <= (now or utcnow()):
        return "expired"
    if access_code.max_uses is not None and uses >= access_code.max_uses:
        return "used_up"
    return "active"


def save_access_code(
    actor: User, conference: Conference, access_code: AccessCode | None = None, **values: Any
) -> AccessCode:
    """Create (``access_code`` None) or change one of the conference's codes. An empty code
    is generated for a new one and left as it was for an existing one."""
    unknown = set(values) - set(CODE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    code = _code(values.get("code"), access_code, errors)
    cleaned: dict[str, Any] = {
        "code": code,
        "category_id": _category_id(conference, values.get("category_id"), errors),
        "skips_approval": bool(values.get("skips_approval")),
        "max_uses": _max_uses(values.get("max_uses"), errors),
        "valid_until": _valid_until(conference, values.get("valid_until"), errors),
        "note": _note(values.get("note"), errors),
    }
    opens_nothing = cleaned["category_id"] is None and not cleaned["skips_approval"]
    if opens_nothing and "category_id" not in errors:
        errors["category_id"] = _(
            "A code must open a category or skip the approval; otherwise it does nothing."
        )
    if errors:
        raise Invalid(errors)
    with write_transaction():
        clash = db.session.scalar(
            sa.select(AccessCode).filter_by(conference_id=conference.id, code=code)
        )
        if clash is not None and clash is not access_code:
            raise _code_taken(code)
        if access_code is None:
            access_code = AccessCode(conference_id=conference.id, **cleaned)
            insert_or_refuse(access_code, lambda: _code_taken(code))
            audit.log(
                actor,
                "access_code.created",
                access_code,
                conference_id=conference.id,
                summary=access_code.code,
                after=audited(access_code, CODE_FIELDS),
            )
            return access_code
        before = audited(access_code, CODE_FIELDS)
        try:
            with db.session.begin_nested():
                for field, value in cleaned.items():
                    setattr(access_code, field, value)
                db.session.flush()
        except IntegrityError:  # the same code, saved by someone else meanwhile
            raise _code_taken(code) from None
        old, new = audit.changed(before, audited(access_code, CODE_FIELDS))
        if new:
            audit.log(
                actor,
                "access_code.updated",
                access_code,
                conference_id=conference.id,
                summary=access_code.code,
                before=old,
                after=new,
            )
        return access_code


def delete_access_code(actor: User, conference: Conference, access_code: AccessCode) -> None:
    """Registrations made with the code stay as they are (they forget the code)."""
    with write_transaction():
        audit.log(
            actor,
            "access_code.deleted",
            access_code,
            conference_id=conference.id,
            summary=access_code.code,
            before=audited(access_code, CODE_FIELDS),
        )
        db.session.delete(access_code)


def _code_taken(code: str) -> Conflict:
    return Conflict({"code": _("This conference already has the code %(code)s.", code=code)})


def _code(value: object, existing: AccessCode | None, errors: dict[str, str]) -> str:
    code = normalise_code(value if isinstance(value, str) else "")
    if not code:
        return existing.code if existing is not None else generate_code()
    if len(code) < MIN_CODE_LENGTH or len(code) > 40 or not CODE_PATTERN.fullmatch(code):
        errors["code"] = _(
            "Use %(min)d to %(max)d letters, digits and hyphens, or leave it empty for a "
            "generated code.",
            min=MIN_CODE_LENGTH,
            max=40,
        )
    return code


def _category_id(conference: Conference, value: object, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        return None
    category = (
        db.session.get(RegistrationCategory, value)
        if isinstance(value, int) and not isinstance(value, bool)
        else None
    )
    if category is None or category.conference_id != conference.id:
        errors["category_id"] = _("Choose one of the conference's categories.")
        return None
    return category.id


def _max_uses(value: object, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        errors["max_uses"] = _("Give a number of uses (0 or more), or leave it empty.")
        return None
    return value


def _valid_until(conference: Conference, value: object, errors: dict[str, str]) -> datetime | None:
    """An aware instant; a form's wall-clock time is read in the conference's zone."""
    if value is None or value == "":
        return None
    # Far years first: converting them between zones would overflow.
    if not isinstance(value, datetime) or not 1 < value.year < 9999:
        errors["valid_until"] = _("Give a date and time, or leave it empty.")
        return None
    if value.tzinfo is None:
        found = instants_on_clock(value.date(), value.time(), conference.tz)
        if not found:
            errors["valid_until"] = skipped_time_message(value.date(), value.time(), conference.tz)
            return None
        value = found[0]
    if not within_calendar(value):
        errors["valid_until"] = _("Give a date and time, or leave it empty.")
        return None
    return value.astimezone(UTC)


def _note(value: object, errors: dict[str, str]) -> str:
    note = value.strip() if isinstance(value, str) else ""
    if len(note) > NOTE_MAX:
        errors["note"] = _("Use at most %(n)d characters.", n=NOTE_MAX)
    elif has_forbidden_characters(note, multiline=False):
        errors["note"] = _("Please use a single line without control characters.")
    return note
