"""The one way every e-mail is built: templates rendered, MIME composed, outbox row recorded.

Each domain's notification module decides who is told what; this module makes sure all of
them look alike on the wire: text and HTML bodies, cleaned headers, a Reply-To, and the
calendar part when there is one. The message is recorded in the caller's transaction.
"""

from typing import Any

from flask import current_app, render_template

from eventreg.mail.compose import Recipient, address, compose
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import record


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
    carries ``MAIL_DEFAULT_SENDER`` as Sender, the agent that actually sends it."""
    text = render_template(f"{template}.txt", **context)
    html = render_template(f"{template}.html", **context)
    message = compose(to, subject, text, html, calendar=calendar, method=method, reply_to=reply_to)
    if sender is not None and sender.email:
        message["From"] = address(sender.name, sender.email)
        message["Sender"] = current_app.config["MAIL_DEFAULT_SENDER"]
    return record(message, kind=kind, conference_id=conference_id, registration_id=registration_id)
