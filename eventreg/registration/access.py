"""Who may register in which category: the public categories, access codes and the
organizers' invitations, as the form and the registration service read them."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.registration.models import AccessCode, Invitation, Registration, RegistrationCategory


def normalise_code(text: str) -> str:
    """Codes are compared without surrounding spaces and letter case."""
    return (text or "").strip().upper()


def categories(conference_id: int) -> list[RegistrationCategory]:
    """All the conference's categories, in the organizers' order."""
    return list(
        db.session.scalars(
            sa.select(RegistrationCategory)
            .filter_by(conference_id=conference_id)
            .order_by(RegistrationCategory.position, RegistrationCategory.id)
        )
    )


def public_categories(conference_id: int) -> list[RegistrationCategory]:
    """The categories the form offers to everyone."""
    return [c for c in categories(conference_id) if c.visibility == "public"]


def code_for_text(conference_id: int, text: str) -> AccessCode | None:
    """The access code as typed, whether or not it can still be used."""
    code = normalise_code(text)
    if not code or len(code) > 40:
        return None
    return db.session.scalar(
        sa.select(AccessCode).filter_by(conference_id=conference_id, code=code)
    )


def invitation_for_token(conference_id: int, token: str) -> Invitation | None:
    """The invitation whose personal link carries ``token``."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(Invitation).filter_by(conference_id=conference_id, token_hash=hash_token(token))
    )


def code_uses(code: AccessCode) -> int:
    """The registrations made with the code that still count: not cancelled, not rejected."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Registration)
            .where(
                Registration.access_code_id == code.id,
                Registration.status.not_in(("cancelled", "rejected")),
            )
        )
        or 0
    )


def code_refusal(code: AccessCode | None, now: datetime, wanted: int = 1) -> str | None:
    """Why the code cannot admit ``wanted`` more registrations now (None: it can). The
    registration service asks again under the conference's lock, where the uses counted
    cannot change before it commits."""
    if code is None:
        return str(_("This access code is not valid for this conference."))
    if code.valid_until is not None and code.valid_until <= now:
        return str(_("This access code has expired."))
    if code.max_uses is None:
        return None
    left = code.max_uses - code_uses(code)
    if left <= 0:
        return str(_("This access code has been used up."))
    if left < wanted:
        return str(
            ngettext(
                "This access code admits only %(num)d more person.",
                "This access code admits only %(num)d more people.",
                left,
            )
        )
    return None
