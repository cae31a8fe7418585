"""Checking attendees in at the door: a signed code per registration, its QR code, and a
check-in that counts each attendee once however many staff scan them.

The code carries only the registration's number, signed with the app's secret under a
purpose of its own (so no other signed value of the app passes for one): it names nobody,
and it cannot be guessed or made up from another attendee's code.
"""

import io
from dataclasses import dataclass
from datetime import datetime

import segno
import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from eventreg.conferences.models import Conference
from eventreg.core import audit
from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.registration.models import Registration

CHECKIN_SALT = "eventreg.checkin"
SEARCH_LIMIT = 20


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CHECKIN_SALT)


def checkin_code(registration_id: int) -> str:
    return _serializer().dumps(registration_id)


def registration_id_from_code(code: str) -> int | None:
    """The registration a code was made for, or None when it is not a genuine code."""
    try:
        value = _serializer().loads((code or "").strip())
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qr_code(registration_id: int) -> segno.QRCode:
    # A fixed mask pattern: every mask scans, and choosing the "best" one tripled the cost
    # of a confirmation e-mail, which is composed while the conference's seats are locked.
    return segno.make(checkin_code(registration_id), error="m", mask=2)


def checkin_qr(registration_id: int) -> str:
    """The registration's check-in QR code as a PNG data URI, for the management page (the
    content security policy allows ``data:`` images). Mail uses ``checkin_png`` instead:
    mail clients block ``data:`` images."""
    return _qr_code(registration_id).png_data_uri(scale=6, border=4)


def checkin_png(registration_id: int) -> bytes:
    """The same QR code as PNG bytes, for an image attached to an e-mail (by Content-ID)."""
    buffer = io.BytesIO()
    _qr_code(registration_id).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    first_time: bool  # False: already checked in, at ``checked_in_at``
    checked_in_at: datetime | None
    admitted: bool  # only confirmed registrations are checked in


def check_in(actor: audit.Actor, conference: Conference, registration_id: int) -> CheckIn | None:
    """Mark the registration as arrived, once: the conditional update lets exactly one of
    two simultaneous scans count it. None when no such registration is in the conference."""
    with write_transaction():
        registration = db.session.get(Registration, registration_id, populate_existing=True)
        if registration is None or registration.conference_id != conference.id:
            return None
        now = utcnow()
        result = db.session.execute(
            sa.update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.status == "confirmed",
                Registration.checked_in_at.is_(None),
            )
            .values(checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
        first_time = result.rowcount == 1  # type: ignore[attr-defined]
        if first_time:
            audit.log(
                actor,
                "registration.checked_in",
                registration,
                conference_id=conference.id,
                summary=registration.full_name,
                after={"checked_in_at": now.isoformat()},
            )
    db.session.refresh(registration)
    return CheckIn(
        registration=registration,
        first_time=first_time,
        checked_in_at=registration.checked_in_at,
        admitted=registration.status == "confirmed",
    )


def search(conference: Conference, text: str) -> list[Registration]:
    """Registrations whose name or e-mail address contains ``text``, best for the desk."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.conference_id == conference.id,
                sa.or_(
                    Registration.full_name.ilike(pattern, escape="\\"),
                    Registration.email.ilike(pattern, escape="\\"),
                ),
            )
            .order_by(Registration.full_name, Registration.id)
            .limit(SEARCH_LIMIT)
        )
    )
