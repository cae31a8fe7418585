"""The /manage blueprint; its routes live in the *_views modules of this package."""

import sqlalchemy as sa
from flask import Blueprint

from eventreg.conferences.models import Conference
from eventreg.core.extensions import db
from eventreg.registration.models import RegistrationCategory

bp = Blueprint("organizers", __name__, url_prefix="/manage")


@bp.app_template_global()
def reviews_registrations(conference: Conference) -> bool:
    """Whether some registrations of the conference wait for an organizer's decision: the
    conference reviews everyone, or one of its categories does (the nav shows Approvals)."""
    if conference.requires_approval:
        return True
    reviewed = sa.select(RegistrationCategory.id).filter_by(
        conference_id=conference.id, requires_approval=True
    )
    return bool(db.session.scalar(sa.select(reviewed.exists())))
