"""Secrets sealed for a short stay in the database, e.g. a new management link's token kept
in the outbox until the sender composes the mail that carries it.

Sealed with Fernet (AES-128-CBC and HMAC-SHA-256, from ``cryptography``) under a key derived
from the app's ``SECRET_KEY`` by HKDF with a purpose label, so a key serves one purpose only
and the app secret itself never encrypts anything. Each sealed value is also bound to a
context (the outbox row's Message-ID): copied to another row it does not open. A changed
``SECRET_KEY`` makes every sealed value unreadable (:class:`BrokenSeal`), never wrong.
"""

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


class BrokenSeal(ValueError):
    """The value was not sealed with this app's key for this purpose and context."""


@lru_cache(maxsize=32)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"eventreg-seal:{purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, purpose: str, context: str) -> str:
    """``value`` encrypted and authenticated, for :func:`unseal` with the same purpose and
    context (and the same ``SECRET_KEY``)."""
    payload = json.dumps([context, value], separators=(",", ":")).encode()
    return _fernet(current_app.config["SECRET_KEY"], purpose).encrypt(payload).decode("ascii")


def unseal(token: str, *, purpose: str, context: str) -> str:
    """The value :func:`seal` sealed; raises :class:`BrokenSeal` for anything else."""
    try:
        payload = _fernet(current_app.config["SECRET_KEY"], purpose).decrypt(token.encode())
        sealed_context, value = json.loads(payload)
    except (InvalidToken, ValueError, TypeError):
        raise BrokenSeal("the sealed value cannot be opened with this app's key") from None
    if sealed_context != context or not isinstance(value, str):
        raise BrokenSeal("the sealed value belongs to something else")
    return value
