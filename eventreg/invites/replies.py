"""Per-registration reply addresses: where an attendee's calendar sends its answers.

Every invite to an attendee names as ORGANIZER (and comes From) ``rsvp+<token>@domain``,
the configured ``REPLY_ADDRESS`` with a token in its local part. Accept / Tentative /
Decline pressed in a calendar app goes back there (iMIP REPLY, RFC 6047), and the token
says whose answer it is: ``<registration id>-<HMAC of the id>``, so nobody can answer for
someone else by guessing or changing the number.

The token is lowercase base32: some mail servers lower-case local parts on the way, and
it keeps the address far below the 64 characters a local part may have.
"""

import base64
import hmac
from email.utils import parseaddr

from flask import current_app

from eventreg.core.tokens import derived_token

PURPOSE = "calendar-reply-address"
# 16 base32 characters: 80 bits of the HMAC, far beyond guessing by sending mail.
MAC_LENGTH = 16


def base_address() -> str | None:
    """The configured reply address (``rsvp@domain``), or None when replies are off.

    ``REPLY_ADDRESS`` unset (None) means ``rsvp@`` the domain of ``MAIL_DEFAULT_SENDER``;
    an empty string turns replies off.
    """
    configured = current_app.config.get("REPLY_ADDRESS")
    if configured is None:
        _name, sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
        domain = sender.rpartition("@")[2]
        return f"rsvp@{domain}" if domain else None
    return str(configured).strip() or None


def _mac(registration_id: int) -> str:
    # derived_token gives URL-safe base64 (mixed case); the same HMAC in lowercase base32.
    token = derived_token(current_app.config["SECRET_KEY"], PURPOSE, str(registration_id))
    digest = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return base64.b32encode(digest).decode().lower()[:MAC_LENGTH]


def reply_address(registration_id: int) -> str | None:
    """The address this registration's calendar answers to; None when replies are off."""
    base = base_address()
    if base is None:
        return None
    local, _at, domain = base.rpartition("@")
    return f"{local}+{registration_id}-{_mac(registration_id)}@{domain}"


def _token_of(address: str) -> str | None:
    """The token part of a ``rsvp+<token>@domain`` address (any letter case), or None."""
    base = base_address()
    if base is None:
        return None
    local, _at, domain = base.lower().rpartition("@")
    _name, address = parseaddr(address)
    their_local, _at, their_domain = address.strip().lower().rpartition("@")
    if their_domain != domain or not their_local.startswith(f"{local}+"):
        return None
    return their_local.removeprefix(f"{local}+")


def is_reply_address(address: str) -> bool:
    """Whether ``address`` has the form of a reply address (the token is not checked)."""
    return bool(_token_of(address))


def registration_id_for(address: str) -> int | None:
    """The registration a reply address belongs to, if its token is genuine."""
    token = _token_of(address)
    if not token:
        return None
    number, _dash, mac = token.partition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        return None
    registration_id = int(number)
    if str(registration_id) != number:  # one spelling per registration: no leading zeros
        return None
    if not hmac.compare_digest(mac.encode(), _mac(registration_id).encode()):
        return None
    return registration_id
