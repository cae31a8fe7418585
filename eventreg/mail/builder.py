"""The one way every e-mail is built: templates rendered, MIME composed, outbox row recorded.

Each domain's notification module decides who is told what; this module makes sure all of
them look alike on the wire: text and HTML bodies, cleaned headers, a Reply-To, and the
calendar part when there is one. The message is recorded in the caller's transaction.

The HTML is written with one stylesheet (``templates/email/mail.css``, in the layout's
``<style>``) and leaves here with every rule copied into ``style=`` attributes: Gmail drops
many ``<style>`` rules and Outlook's Word engine reads little else. Only at-rules (media
queries), which cannot be inlined, stay in the ``<style>`` block for the clients that read it.
"""

import secrets
from typing import Any

import css_inline
from flask import current_app, render_template

from eventreg.core import images, storage
from eventreg.mail.compose import InlineImage, Recipient, address, compose
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import record, sender_address

# What the mail layout is drawn with when a conference has no look of its own (and for mail
# about no conference, such as an account's): see ``brand_for``.
DEFAULT_BRAND: dict[str, Any] = {"accent": "#1f5f8b", "logo": None}
# The box a logo is shown in: half the size it is stored at (600 x 200), so that it stays
# sharp on high-density screens.
LOGO_BOX = (300, 100)

# No remote stylesheets: a mail is built from our own templates only. Minified styles keep
# the repeated attributes short.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False, minify_css=True)


def N_(message: str) -> str:
    """Mark a message for translation (pybabel extracts ``N_`` by default); it is
    translated later, in the recipient's language, with its arguments."""
    return message


def send(
    to: Recipient,
    *,
    kind: str,
    template: str,
    subject: str,
    context: dict[str, Any],
    reply_to: Recipient | None = None,
    sender: Recipient | None = None,
    calendar: bytes | None = None,
    method: str | None = None,
    conference_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Render ``<template>.txt`` and ``<template>.html`` with ``context`` and record the
    message for ``to``; the caller's transaction commits it (or not) with the change.

    With ``sender`` the message is From that person (the organizer an invite names) and
    carries ``MAIL_DEFAULT_SENDER`` as Sender, the agent that actually sends it.

    An HTML template shows an image with ``{{ inline_image("name", png_bytes) }}`` as its
    ``src`` (see ``InlineImages``); the PNG bytes come in ``context``."""
    context = {"brand": brand_for(context.get("conference")), **context}
    text = render_template(f"{template}.txt", **context)
    images = InlineImages()
    html = _INLINER.inline(render_template(f"{template}.html", inline_image=images, **context))
    message = compose(
        to,
        subject,
        text,
        html,
        calendar=calendar,
        method=method,
        reply_to=reply_to,
        images=images.attached,
    )
    if sender is not None and sender.email:
        message["From"] = address(sender.name, sender.email)
        message["Sender"] = current_app.config["MAIL_DEFAULT_SENDER"]
    return record(message, kind=kind, conference_id=conference_id, registration_id=registration_id)


def brand_for(conference: object | None) -> dict[str, Any]:
    """The look of a conference's mail: its accent colour (checked for contrast when it was
    chosen, on white as mail is drawn) and its logo, a PNG sent inside the message and shown
    by Content-ID, with the conference's title as its text. A logo whose file is gone is
    left out rather than holding the mail up."""
    brand = dict(DEFAULT_BRAND)
    if conference is None:
        return brand
    brand["accent"] = getattr(conference, "accent_color", None) or brand["accent"]
    stored = storage.load(getattr(conference, "logo_key", None))
    if stored is not None and stored.content_type == "image/png":
        width, height = images.dimensions(stored.data)
        scale = min(1.0, LOGO_BOX[0] / width, LOGO_BOX[1] / height)
        brand["logo"] = {
            "png": stored.data,
            "width": max(1, round(width * scale)),
            "height": max(1, round(height * scale)),
            "alt": getattr(conference, "title", ""),
        }
    return brand


class InlineImages:
    """The images an HTML body shows, collected while its template is rendered.

    The template calls ``inline_image(name, png)`` where an image goes and gets the ``cid:``
    address of a part attached next to the HTML (see ``compose``). So every address in the
    body has its part, and no part travels that the body does not show. The Content-IDs are
    made here, once, and recorded with the message like its Message-ID: every delivery
    attempt sends the same ones.
    """

    def __init__(self) -> None:
        self.attached: list[InlineImage] = []
        self._addresses: dict[str, str] = {}

    def __call__(self, name: str, png: bytes) -> str:
        if name not in self._addresses:
            domain = sender_address().rpartition("@")[2] or "eventreg.invalid"
            # Random, so it names no time or process; short, so the header stays on one line.
            content_id = f"{name}.{secrets.token_hex(8)}@{domain}"
            self.attached.append(InlineImage(content_id, f"{name}.png", png))
            self._addresses[name] = f"cid:{content_id}"
        return self._addresses[name]
