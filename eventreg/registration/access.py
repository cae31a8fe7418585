"""Who may register in which category: the public categories, access codes and the
organizers' invitations, as the form and the registration service read them."""

import sqlalchemy as sa

from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.registration.models import AccessCode, Invitation, RegistrationCategory


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
    return db.session.scalar(sa.select(AccessCode).filter_by(conference_id=conference_id, code=code))


def invitation_for_token(conference_id: int, token: str) -> Invitation | None:
    """The invitation whose personal link carries ``token``."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(Invitation).filter_by(conference_id=conference_id, token_hash=hash_token(token))
    )
