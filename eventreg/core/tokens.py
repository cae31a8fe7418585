"""Random secrets for links and tokens: only their SHA-256 digest is ever stored."""

import base64
import hashlib
import hmac
import secrets


def new_token() -> str:
    """256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derived_token(key: str, purpose: str, *parts: str) -> str:
    """A secret as strong as ``new_token`` that can be made again from ``key`` and ``parts``
    (HMAC-SHA-256): for a link that must be mailed again without being stored."""
    message = "\x1f".join((purpose, *parts)).encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
