"""The outbox: every message is recorded in the transaction that causes it.

A registration that commits always has its mail recorded, one that rolls back never does.
Delivery happens later and elsewhere (``eventreg.mail.delivery``); once a transaction that
recorded mail commits, the configured dispatcher is told (``eventreg.mail.dispatch``).

A message is recorded either complete (:func:`record`, the rendered RFC 5322 bytes) or as
what to say (:func:`record_deferred`): its kind, Message-ID, recipient and subject, the
parameters only the recording moment knows (``content``) and a secret sealed with a key
derived from ``SECRET_KEY``. The sender composes such a message just before its first
attempt (:func:`compose_deferred`), with the composer registered for its kind
(:func:`composer`), so that the action recording it (a registration, under the conference's
lock) pays for a row, not for templates and MIME.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from eventreg.core import sealing
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


def new_message_id() -> str:
    domain = sender_address().rpartition("@")[2] or "eventreg.invalid"
    return make_msgid(domain=domain)


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

    While a deferred message is being composed (:func:`compose_deferred`), the message is
    not added: it becomes that row's content, with the row's Message-ID and date.
    """
    composing = _composing.get()
    if composing is not None:
        return composing.take(message, kind)
    if "Message-ID" not in message:
        message["Message-ID"] = new_message_id()
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


# --- messages composed at delivery -------------------------------------------------------

# Purpose label of the key that seals an outbox row's secret (see ``eventreg.core.sealing``).
SEAL_PURPOSE = "outbox-secret"

# A composer builds the message of a deferred row (through ``builder.send``, as any other
# mail is built, which lands in :func:`record` and is captured there), given the row and its
# unsealed secret (None when it has none). It raises :class:`CannotCompose` when the
# message can no longer be made (the registration it is about is gone).
Composer = Callable[[OutboxMessage, str | None], object]
_COMPOSERS: dict[str, Composer] = {}


class CannotCompose(Exception):
    """A deferred message cannot be composed; the reason is recorded as its last error."""


def composer(*kinds: str) -> Callable[[Composer], Composer]:
    """Register the decorated function as the composer of deferred messages of ``kinds``.

    Higher layers register at import; the app factory imports them, so every process that
    delivers (web server, ``deliver-mail``, Celery worker) knows every composer."""

    def register(function: Composer) -> Composer:
        for kind in kinds:
            _COMPOSERS[kind] = function
        return function

    return register


def composer_kinds() -> frozenset[str]:
    return frozenset(_COMPOSERS)


def record_deferred(
    *,
    kind: str,
    recipient: str,
    subject: str,
    content: dict[str, Any],
    secret: str | None = None,
    conference_id: int | None = None,
    registration_id: int | None = None,
) -> OutboxMessage:
    """Add a message to be composed at delivery, in the current transaction (the caller
    commits). Its Message-ID, recipient, subject and due time are fixed here, like those of
    :func:`record`; ``content`` (JSON-ready, no secrets) is what only this moment knows,
    ``secret`` is sealed. The composer registered for ``kind`` makes the message."""
    if kind not in _COMPOSERS:
        raise ValueError(f"no composer is registered for {kind!r} messages")
    message_id = new_message_id()
    row = OutboxMessage(
        kind=kind,
        conference_id=conference_id,
        registration_id=registration_id,
        message_id=message_id,
        recipient=recipient,
        subject=subject[:300],
        raw=b"",
        content=content,
        sealed=(
            sealing.seal(secret, purpose=SEAL_PURPOSE, context=message_id)
            if secret is not None
            else None
        ),
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.info[_NEW_MAIL] = True
    return row


def deferred() -> sa.ColumnElement[bool]:
    """Recorded as what to say and not composed yet."""
    return sa.and_(OutboxMessage.raw == b"", OutboxMessage.content.is_not(None))


@dataclass
class _Composing:
    """The deferred row being composed, and the message its composer built."""

    row: OutboxMessage
    message: EmailMessage | None = None

    def take(self, message: EmailMessage, kind: str) -> OutboxMessage:
        if self.message is not None or kind != self.row.kind:
            raise CannotCompose(f"the {self.row.kind} composer built another message ({kind})")
        recipients = message["To"].addresses
        if len(recipients) != 1 or recipients[0].addr_spec != self.row.recipient:
            raise CannotCompose("the composed message is not for the recorded recipient")
        message["Message-ID"] = self.row.message_id
        if "From" not in message:
            message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
        # The moment it was recorded, as for a message rendered then.
        message["Date"] = formatdate(self.row.created_at.timestamp(), usegmt=True)
        self.message = message
        return self.row


_composing: ContextVar[_Composing | None] = ContextVar("outbox_composing", default=None)


@contextmanager
def _capturing(row: OutboxMessage) -> Iterator[_Composing]:
    composing = _Composing(row)
    token = _composing.set(composing)
    try:
        yield composing
    finally:
        _composing.reset(token)


def compose(row: OutboxMessage) -> tuple[bytes, str]:
    """The wire bytes and subject of a deferred row's message, made by its kind's composer
    (reads only: the caller stores the result). Raises :class:`CannotCompose`."""
    function = _COMPOSERS.get(row.kind)
    if function is None:
        raise CannotCompose(f"no composer is registered for {row.kind!r} messages")
    secret = None
    if row.sealed:
        try:
            secret = sealing.unseal(row.sealed, purpose=SEAL_PURPOSE, context=row.message_id)
        except sealing.BrokenSeal as broken:
            raise CannotCompose(
                f"its sealed secret cannot be opened ({broken}); was SECRET_KEY changed?"
            ) from None
    with _capturing(row) as composing:
        function(row, secret)
    if composing.message is None:
        raise CannotCompose(f"the {row.kind} composer built no message")
    message = composing.message
    return message.as_bytes(policy=WIRE_POLICY), str(message["Subject"])[:300]


def compose_deferred(ids: list[int] | None = None) -> dict[int, str]:
    """Compose the pending deferred messages now (those of ``ids``, or all), each in a
    write transaction of its own, as the sender does before their first attempt; for tools
    and tests that read messages before delivery. Returns the errors by row id of those
    that could not be composed (they are marked failed)."""
    query = sa.select(OutboxMessage).where(OutboxMessage.status == "pending", deferred())
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    errors: dict[int, str] = {}
    for row in db.session.scalars(query.order_by(OutboxMessage.id)).all():
        try:
            raw, subject = compose(row)
        except CannotCompose as error:
            errors[row.id] = str(error)
            store_composed(row.id, None, error=str(error))
        else:
            store_composed(row.id, raw, subject=subject)
    return errors


def store_composed(
    row_id: int,
    raw: bytes | None,
    *,
    subject: str | None = None,
    error: str = "",
    lease: str | None = None,
) -> bool:
    """Store a composed message (``raw``), its content and sealed secret cleared; or, with
    ``raw`` None, mark it failed with ``error``, keeping what to say (``resend`` after the
    cause is mended, e.g. the old ``SECRET_KEY`` restored, composes it again). With
    ``lease``, only while the row is still leased to that sender. One write transaction (or
    part of the caller's); False when the row is gone, already composed or not leased."""
    values: dict[str, Any]
    if raw is None:
        values = {
            "status": "failed",
            "last_error": f"could not be composed: {error}"[:2000],
            "claimed_by": None,
            "claimed_until": None,
        }
    else:
        # SQL NULL, not JSON's null: "no content" is what :func:`deferred` looks for.
        values = {"raw": raw, "subject": subject or "", "content": sa.null(), "sealed": None}
    criteria = [OutboxMessage.id == row_id, OutboxMessage.raw == b""]
    if lease is not None:
        criteria.append(OutboxMessage.claimed_by == lease)
    with write_transaction():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(*criteria)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


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
                .values(
                    recipient="", subject="", raw=b"", content=sa.null(), sealed=None, last_error=""
                )
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
