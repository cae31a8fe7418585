"""Building categories, codes and invitations, and registering through the service."""

from eventreg.core import audit
from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token
from eventreg.registration import services
from eventreg.registration.models import AccessCode, Invitation, RegistrationCategory


def make_category(conference, **fields) -> RegistrationCategory:
    values = {"name": f"Category {fields.get('capacity')}-{id(fields)}", "visibility": "public"}
    values.update(fields)
    category = RegistrationCategory(conference=conference, **values)
    db.session.add(category)
    db.session.commit()
    return category


def make_code(conference, code: str = "PRESS", **fields) -> AccessCode:
    access_code = AccessCode(conference=conference, code=code, **fields)
    db.session.add(access_code)
    db.session.commit()
    return access_code


def make_invitation(conference, token: str, **fields) -> Invitation:
    values = {"email": "guest@example.org", "full_name": "Guest", "token_hash": hash_token(token)}
    values.update(fields)
    invitation = Invitation(conference=conference, **values)
    db.session.add(invitation)
    db.session.commit()
    return invitation


def sign_up(conference, address: str, **fields):
    data = services.RegistrationData(full_name=address.split("@")[0], email=address, **fields)
    return services.register(audit.ATTENDEE, conference, data)
