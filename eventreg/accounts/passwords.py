"""Password hashing with argon2, and the signed links that let a person set a new password."""

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

# argon2-cffi's defaults follow RFC 9106's recommended profile; raising them later makes
# check_needs_rehash() upgrade each stored hash at its owner's next login.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a fresh hash to store when the old one is outdated."""
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if _hasher.check_needs_rehash(stored_hash):
        return True, _hasher.hash(password)
    return True, None


# Verifying against this costs what a real check costs, so a login for an unknown address
# takes as long as one with a wrong password and does not reveal which addresses exist.
_UNKNOWN_ACCOUNT_HASH = _hasher.hash("no account has this password")


def spend_check_time(password: str) -> None:
    check_password(_UNKNOWN_ACCOUNT_HASH, password)


def password_fingerprint(stored_hash: str) -> str:
    """A short digest of the stored hash: it changes whenever the password does.

    A digest rather than a piece of the hash itself, so links and cookies that carry it
    reveal nothing about the hash.
    """
    return hashlib.sha256(stored_hash.encode()).hexdigest()[:16]


# Each kind of link has its own salt, so a token made for one purpose is useless for another.
LINK_SALTS = {"reset": "eventreg.password-reset", "welcome": "eventreg.account-welcome"}
WELCOME_MAX_AGE = 7 * 24 * 3600  # a new colleague may not read their mail within the hour


def _max_age(purpose: str) -> int:
    if purpose == "welcome":
        return WELCOME_MAX_AGE
    max_age: int = current_app.config["PASSWORD_RESET_MAX_AGE"]
    return max_age


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALTS[purpose])


def make_password_token(purpose: str, user_id: int, stored_hash: str) -> str:
    """A link secret tied to the current password: once the password changes, it is spent."""
    return _serializer(purpose).dumps({"user": user_id, "pw": password_fingerprint(stored_hash)})


def read_password_token(purpose: str, token: str) -> tuple[int, str] | None:
    """The (user id, password fingerprint) a genuine, unexpired token carries, else None."""
    try:
        data = _serializer(purpose).loads(token, max_age=_max_age(purpose))
    except BadSignature:  # also SignatureExpired, its subclass
        return None
    if not isinstance(data, dict):
        return None
    user_id, fingerprint = data.get("user"), data.get("pw")
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    return user_id, fingerprint
