"""Delivering the outbox: claim due messages, send them, record each outcome.

Claiming is one atomic UPDATE that stamps a lease (``claimed_by``, ``claimed_until``) on a
batch of due rows. On PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``, so
concurrent workers take disjoint batches without waiting for one another; on SQLite the
database-wide write lock serialises the claims. While the lease runs no other worker
touches the rows; when a worker dies, its rows become due again once the lease runs out.

Each outcome is committed on its own, right after the SMTP server answers, so a crash can
repeat at most the one message that was in flight, and it then carries the same
Message-ID.

A message recorded as what to say (``outbox.record_deferred``) is composed by the sender
that claimed it, just before its first attempt, and stored composed in a transaction of its
own: every later attempt sends the same bytes. One that cannot be composed (its secret no
longer opens after a ``SECRET_KEY`` change, its registration is gone) fails at once with the
reason as its last error; an unexpected error while composing counts as a failed attempt.
"""

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

import sqlalchemy as sa
from flask import Flask, current_app

from eventreg.core.db import checkpoint_sqlite, utcnow, write_transaction
from eventreg.core.extensions import db
from eventreg.mail.hooks import prepare_mail
from eventreg.mail.models import OutboxMessage
from eventreg.mail.outbox import (
    CannotCompose,
    compose,
    purge_delivered,
    sender_address,
    store_composed,
)
from eventreg.mail.transports import ClaimedMessage, DeliveryError, Transport, transport_for

log = logging.getLogger(__name__)

# Delivery passes run often (after every commit with mail); the retention purge needs to
# run only now and then. When it last ran is kept per app, in app.extensions.
PURGE_INTERVAL = timedelta(minutes=10)
_LAST_PURGE = "eventreg.mail.last_purge"


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def __add__(self, other: "DeliveryReport") -> "DeliveryReport":
        return DeliveryReport(
            self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:80]


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: the base delay after the first failure, doubling, capped."""
    config = current_app.config
    seconds = config["MAIL_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["MAIL_RETRY_MAX_SECONDS"]))


def scheduled(now: datetime) -> sa.ColumnElement[bool]:
    """Messages recorded to go out later (reminders), not yet tried: counted apart from
    those waiting to be sent, which a stuck sender would leave piling up."""
    return sa.and_(
        OutboxMessage.status == "pending",
        OutboxMessage.attempts == 0,
        OutboxMessage.next_attempt_at > now,
    )


def status_counts(*criteria: sa.ColumnElement[bool]) -> dict[str, int]:
    """How many messages (of those matching ``criteria``) are in each state, with the ones
    recorded for later (:func:`scheduled`) counted as "scheduled", not "pending"; one query."""
    state = sa.case((scheduled(utcnow()), "scheduled"), else_=OutboxMessage.status)
    rows = db.session.execute(
        sa.select(state, sa.func.count()).where(*criteria).group_by(state)
    ).all()
    return {name: count for name, count in rows}


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def claim(size: int, now: datetime, lease: timedelta) -> tuple[str, list[ClaimedMessage]]:
    """Lease up to ``size`` due messages to this worker; returns the lease token and them."""
    token = f"{worker_name()}/{secrets.token_hex(8)}"
    # The rows picked stay locked (PostgreSQL) or the database stays write-locked (SQLite)
    # until the transaction commits, so no other worker can pick them in between. (A single
    # UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) is not enough:
    # PostgreSQL may re-run the subquery and take more than n rows.)
    with write_transaction():
        rows = db.session.execute(
            sa.select(
                OutboxMessage.id,
                OutboxMessage.recipient,
                OutboxMessage.raw,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
            )
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        messages = [ClaimedMessage(*row) for row in rows]
        if messages:
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_([message.id for message in messages]))
                .values(claimed_by=token, claimed_until=now + lease)
                .execution_options(synchronize_session=False)
            )
    return token, messages


def _finish(message: ClaimedMessage, token: str, **values: object) -> bool:
    """Record an outcome, only while the lease is still this worker's; False when not."""
    with write_transaction():  # one per message, committed as soon as SMTP has answered
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.claimed_by == token)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
    if not result.rowcount:  # type: ignore[attr-defined]
        log.warning("outbox message %s: lease lost before its outcome was recorded", message.id)
        return False
    return True


def _vanished(message: ClaimedMessage) -> bool:
    """The row is gone: the attendee's data was erased while the message was in flight."""
    return db.session.get(OutboxMessage, message.id) is None


def _record_failure(
    message: ClaimedMessage, token: str, error: DeliveryError, now: datetime
) -> bool:
    attempts = message.attempts + 1
    final = error.permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]
    values = {"attempts": attempts, "last_error": str(error)[:2000]}
    if final:
        values["status"] = "failed"
        log.error("outbox message %s failed for good: %s", message.id, error)
    else:
        values["next_attempt_at"] = now + retry_delay(attempts)
        log.warning("outbox message %s: attempt %s failed: %s", message.id, attempts, error)
    _finish(message, token, **values)
    return final


def deliver_due(*, limit: int | None = None, now: datetime | None = None) -> DeliveryReport:
    """Send every message that is due, batch by batch, until none is left.

    ``now`` moves the clock (tests and tools: "as if it were then"); the clock keeps running
    from there, so each batch's lease starts when the batch is claimed. Runs inside an app
    context; returns what happened.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    prepare_mail()  # mail the layers above were asked for (password-reset requests)
    offset = (now - utcnow()) if now is not None else timedelta(0)
    lease = timedelta(seconds=config["MAIL_LEASE_SECONDS"])
    report = DeliveryReport()
    transport = transport_for(app, sender_address())
    try:
        while limit is None or report.handled < limit:
            size = config["MAIL_BATCH_SIZE"]
            if limit is not None:
                size = min(size, limit - report.handled)
            claimed_at = utcnow() + offset
            token, batch = claim(size, claimed_at, lease)
            if not batch:
                break
            report += _send_batch(transport, token, batch, claimed_at, lease)
    finally:
        transport.close()
    _purge_now_and_then(app)
    return report


def _purge_now_and_then(app: Flask) -> None:
    """The retention purge of delivered mail, at most every PURGE_INTERVAL per process.
    On SQLite it also tries to empty the write-ahead log, which an erasure under load may
    have had to leave holding old versions of rows."""
    now = utcnow()
    last = app.extensions.get(_LAST_PURGE)
    if last is not None and now - last < PURGE_INTERVAL:
        return
    app.extensions[_LAST_PURGE] = now
    purged = purge_delivered(now)
    if purged:
        log.info("outbox: content of %s delivered messages purged (retention)", purged)
    checkpoint_sqlite(wait_ms=0)  # only if nobody reads: writers never wait for it


EXPIRED_ERROR = "expired: its Expires time passed before it could be sent"


def _expired(message: ClaimedMessage, now: datetime) -> bool:
    """The message says it is worthless after a moment (``Expires``, RFC 4021), now past."""
    head = message.raw.partition(b"\r\n\r\n")[0]
    expires = BytesHeaderParser(policy=policy.default).parsebytes(head)["Expires"]
    if expires is None:
        return False
    try:
        moment = parsedate_to_datetime(str(expires))
    except (TypeError, ValueError):
        return False  # unreadable: sent, as it would be without the header
    return moment.tzinfo is not None and moment <= now


def _compose_claimed(message: ClaimedMessage, token: str, now: datetime) -> ClaimedMessage | str:
    """The claimed message with its composed bytes (stored for every later attempt), or
    what happened instead: "failed", "retrying" or "lost" (erased meanwhile, lease over)."""
    row = db.session.get(OutboxMessage, message.id, populate_existing=True)
    if row is None or row.claimed_by != token:
        return "lost"
    try:
        raw, subject = compose(row)
    except CannotCompose as error:
        db.session.rollback()
        log.error("outbox message %s cannot be composed: %s", message.id, error)
        store_composed(message.id, None, error=str(error), lease=token)
        return "failed"
    except Exception as error:  # a bug or a lost connection: retried like a failed send
        db.session.rollback()
        log.exception("outbox message %s: composing failed", message.id)
        failure = DeliveryError(f"could not be composed: {type(error).__name__}: {error}")
        return "failed" if _record_failure(message, token, failure, now) else "retrying"
    if not store_composed(message.id, raw, subject=subject, lease=token):
        log.warning("outbox message %s: lease lost while it was composed", message.id)
        return "lost"
    return replace(message, raw=raw)


def _send_batch(
    transport: Transport,
    token: str,
    batch: list[ClaimedMessage],
    claimed_at: datetime,
    lease: timedelta,
) -> DeliveryReport:
    report = DeliveryReport()
    # Stop well before the lease ends: past it another worker may take the rows.
    deadline = time.monotonic() + lease.total_seconds() * 0.8
    for position, message in enumerate(batch):
        if time.monotonic() > deadline:
            log.warning(
                "lease nearly over; %s messages left to the next claim", len(batch) - position
            )
            break
        if not message.raw:
            composed = _compose_claimed(message, token, claimed_at)
            if composed == "failed":
                report.failed += 1
            elif composed == "retrying":
                report.retrying += 1
            if isinstance(composed, str):
                continue
            message = composed
        if _expired(message, claimed_at):
            # A reminder of an event that has begun (the server was down when it was due).
            log.warning("outbox message %s expired before it could be sent", message.id)
            _finish(message, token, status="failed", last_error=EXPIRED_ERROR)
            report.failed += 1
            continue
        try:
            transport.send(message)
        except DeliveryError as error:
            if _record_failure(message, token, error, claimed_at):
                report.failed += 1
            else:
                report.retrying += 1
            continue
        recorded = _finish(
            message,
            token,
            status="sent",
            sent_at=utcnow(),
            attempts=message.attempts + 1,
            last_error="",
        )
        if not recorded and _vanished(message):
            transport.discard(message)  # e.g. the .eml copy written after the erasure
        report.sent += 1
    return report


def delivery_pass() -> DeliveryReport:
    """One :func:`deliver_due` for long-running workers: errors are logged, not raised, so a
    database restart or a bug in one pass never ends the worker."""
    try:
        report = deliver_due()
    except Exception:
        log.exception("outbox delivery pass failed")
        db.session.rollback()
        return DeliveryReport()
    finally:
        db.session.remove()
    if report.handled:
        log.info(
            "outbox: %s sent, %s to retry, %s failed", report.sent, report.retrying, report.failed
        )
    return report


def deliver_forever(*, interval: float, stop: threading.Event | None = None) -> None:
    """Deliver, then wait ``interval`` seconds (or until ``stop`` is set), and again."""
    stop = stop or threading.Event()
    while not stop.is_set():
        delivery_pass()
        stop.wait(interval)
