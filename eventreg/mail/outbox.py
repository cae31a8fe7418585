"""Recording messages in the outbox, inside the caller's transaction."""

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from eventreg.extensions import db
from eventreg.mail.models import OutboxMessage


def record(
    message: EmailMessage,
    *,
    kind: str,
    conference_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Add ``message`` to the outbox in the current transaction; the caller commits.

    The Message-ID is fixed here, so every delivery attempt sends the same one.
    """
    if "Message-ID" not in message:
        domain = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip("> ")
        message["Message-ID"] = make_msgid(domain=domain)
    if "From" not in message:
        message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False, usegmt=True)
    row = OutboxMessage(
        kind=kind,
        conference_id=conference_id,
        registration_id=registration_id,
        message_id=message["Message-ID"],
        recipient=str(message["To"]),
        subject=str(message["Subject"]),
        raw=message.as_bytes(),
    )
    db.session.add(row)
    return row
