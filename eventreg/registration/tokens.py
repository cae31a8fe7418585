"""Secrets of the private management link and the personal calendar feed.

The management secret is random and only its SHA-256 digest is stored; a lost link is
replaced by a new one (``resend``). The feed secret is the registration id signed with an
HMAC of the app's secret key: it never changes when the management link is replaced, so
calendar subscriptions keep working, and a leaked feed URL (calendar apps share them
freely) gives no access to the management pages.
"""

import base64
import hashlib
import hmac

from flask import current_app

MAX_REGISTRATION_ID = 2**31 - 1  # the largest id the table holds (an SQL integer)


def _feed_signature(registration_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"agenda-feed:{registration_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def feed_token_for(registration_id: int) -> str:
    return f"{registration_id}-{_feed_signature(registration_id)}"


def registration_id_from_feed_token(token: str) -> int | None:
    """The registration a feed token belongs to, or None when the token is not genuine."""
    number, _, signature = token.partition("-")
    # Ten digits hold every row id; a longer number is no registration's (and one of
    # thousands of digits would not even convert to an int).
    if not (number.isascii() and number.isdigit()) or len(number) > 10 or not signature:
        return None
    if not 1 <= int(number) <= MAX_REGISTRATION_ID:
        return None
    if not hmac.compare_digest(signature, _feed_signature(int(number))):
        return None
    return int(number)
