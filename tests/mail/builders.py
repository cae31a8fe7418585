"""Registrations and sign-ups for mail and calendar tests."""

from itertools import count

from eventreg.core.extensions import db
from eventreg.core.tokens import hash_token, new_token
from eventreg.registration.models import Registration, SessionSignup

_numbers = count(1)


def make_registration(conference, **fields) -> Registration:
    n = next(_numbers)
    values = {
        "email": f"attendee{n}@example.org",
        "full_name": f"Attendee {n}",
        "status": "confirmed",
        "locale": "en",
        "token_hash": hash_token(new_token()),
    }
    values.update(fields)
    registration = Registration(conference=conference, **values)
    db.session.add(registration)
    db.session.commit()
    return registration


def add_signup(registration, talk, status: str = "confirmed") -> SessionSignup:
    signup = SessionSignup(registration=registration, talk=talk, status=status)
    db.session.add(signup)
    db.session.commit()
    return signup
