"""Who works on which conference: organizers and check-in staff, granted per conference."""

import sqlalchemy as sa
from flask_babel import gettext as _

from eventreg.accounts.models import User
from eventreg.conferences.models import ROLES, Conference, ConferenceRole
from eventreg.core import audit
from eventreg.core.db import write_transaction
from eventreg.core.errors import Invalid
from eventreg.core.extensions import db


def role_in(user: User, conference: Conference) -> str | None:
    """The user's role in ``conference`` ("organizer" for administrators), or None."""
    if user.is_admin:
        return "organizer"
    return db.session.scalar(
        sa.select(ConferenceRole.role).filter_by(user_id=user.id, conference_id=conference.id)
    )


def grant_role(actor: User | None, user: User, conference: Conference, role: str) -> ConferenceRole:
    """Give ``user`` this role in the conference, replacing any other role they had there."""
    if role not in ROLES:
        raise Invalid({"role": _("Choose organizer or check-in staff.")})
    with write_transaction():
        existing = db.session.scalar(
            sa.select(ConferenceRole).filter_by(user_id=user.id, conference_id=conference.id)
        )
        before = {"user": user.email, "role": existing.role} if existing else None
        if existing is None:
            existing = ConferenceRole(user_id=user.id, conference_id=conference.id, role=role)
            db.session.add(existing)
        existing.role = role
        db.session.flush()
        audit.log(
            actor,
            "role.granted",
            existing,
            conference_id=conference.id,
            summary=f"{user.email}: {role}",
            before=before,
            after={"user": user.email, "role": role},
        )
        return existing


def revoke_role(actor: User, user: User, conference: Conference) -> None:
    with write_transaction():
        existing = db.session.scalar(
            sa.select(ConferenceRole).filter_by(user_id=user.id, conference_id=conference.id)
        )
        if existing is None:
            return
        audit.log(
            actor,
            "role.revoked",
            existing,
            conference_id=conference.id,
            summary=user.email,
            before={"user": user.email, "role": existing.role},
        )
        db.session.delete(existing)


def conferences_visible_to(user: User) -> list[tuple[Conference, str]]:
    """The conferences the user works on, with their role, newest first."""
    if user.is_admin:
        conferences = db.session.scalars(
            sa.select(Conference).order_by(Conference.start_date.desc())
        ).all()
        return [(conference, "organizer") for conference in conferences]
    rows = db.session.execute(
        sa.select(Conference, ConferenceRole.role)
        .join(ConferenceRole, ConferenceRole.conference_id == Conference.id)
        .where(ConferenceRole.user_id == user.id)
        .order_by(Conference.start_date.desc())
    ).all()
    return [(conference, role) for conference, role in rows]
