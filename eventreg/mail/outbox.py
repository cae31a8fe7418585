"""The outbox: every message is recorded in the transaction that causes it.

A registration that commits always has its mail recorded, one that rolls back never does.
Delivery happens later and elsewhere (``eventreg.mail.delivery``); once a transaction that
recorded mail commits, the configured dispatcher is told (``eventreg.mail.dispatch``).
"""

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from eventreg.core.db import utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.mail.compose import WIRE_POLICY
from eventreg.mail.models import OutboxMessage
from eventreg.mail.transports import outbox_directory, remove_eml_files

PURGE_BATCH = 500

# Set in the session's info while a transaction holds newly recorded mail.
_NEW_MAIL = "eventreg.outbox.new_mail"


def sender_address() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


def record(
    message: EmailMessage,
    *,
    kind: str,
    conference_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Add ``message`` to the outbox in the current transaction; the caller commits.

    The Message-ID is fixed here, so every delivery attempt sends the same one and a
    duplicate after a crash can be recognised by mail systems and clients.
    """
    if "Message-ID" not in message:
        domain = sender_address().rpartition("@")[2] or "eventreg.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
    if "From" not in message:
        message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False, usegmt=True)
    recipients = message["To"].addresses
    if len(recipients) != 1:
        raise ValueError("an outbox message goes to exactly one recipient")
    row = OutboxMessage(
        kind=kind,
        conference_id=conference_id,
        registration_id=registration_id,
        message_id=str(message["Message-ID"]),
        recipient=recipients[0].addr_spec,
        subject=str(message["Subject"])[:300],
        # CRLF line ends, as SMTP wants them: smtplib sends bytes exactly as given.
        raw=message.as_bytes(policy=WIRE_POLICY),
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.info[_NEW_MAIL] = True
    return row


def resend(message_id: int) -> bool:
    """Put a failed message (by its ``OutboxMessage.id``) back in the queue, with a fresh
    set of attempts and the same Message-ID. Returns False when it had not failed. One
    write transaction of its own (or part of the caller's)."""
    with write_transaction():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
            .values(
                status="pending",
                attempts=0,
                next_attempt_at=utcnow(),
                claimed_by=None,
                claimed_until=None,
            )
        )
        if result.rowcount:  # type: ignore[attr-defined]
            db.session.info[_NEW_MAIL] = True
    return bool(result.rowcount)  # type: ignore[attr-defined]


def retention() -> timedelta | None:
    """How long delivered messages keep their content (MAIL_RETENTION_DAYS; None: for ever)."""
    days = current_app.config["MAIL_RETENTION_DAYS"]
    return None if days is None else timedelta(days=float(days))


def purge_delivered(now: datetime | None = None) -> int:
    """Forget the content of messages delivered longer ago than the retention period: their
    raw message, subject, recipient and last error, and their .eml copies. The row stays,
    without personal data, so that the organizers' delivery counts remain right. Returns
    how many messages were purged; each batch is a write transaction of its own."""
    keep = retention()
    if keep is None:
        return 0
    cutoff = (now or utcnow()) - keep
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    purged = 0
    while True:
        # Read first: most passes find nothing and then take no write lock.
        rows = db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.created_at)
            .where(
                OutboxMessage.status == "sent",
                # Implied by sent_at (a row is due before it is sent); lets the index help.
                OutboxMessage.next_attempt_at < cutoff,
                OutboxMessage.sent_at < cutoff,
                OutboxMessage.recipient != "",
            )
            .order_by(OutboxMessage.id)
            .limit(PURGE_BATCH)
        ).all()
        if not rows:
            db.session.commit()  # ends the read: an SQLite checkpoint may follow
            return purged
        with write_transaction():
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in rows]))
                .values(recipient="", subject="", raw=b"", last_error="")
                .execution_options(synchronize_session=False)
            )
        remove_eml_files(outbox_directory(app), [(row.id, row.created_at) for row in rows])
        purged += len(rows)


@sa.event.listens_for(db.session, "after_commit")
def _tell_dispatcher(session: Session) -> None:
    if session.info.pop(_NEW_MAIL, False):
        from eventreg.mail.dispatch import mail_committed

        mail_committed(current_app._get_current_object())  # type: ignore[attr-defined]


@sa.event.listens_for(db.session, "after_rollback")
def _forget_rolled_back_mail(session: Session) -> None:
    session.info.pop(_NEW_MAIL, None)
