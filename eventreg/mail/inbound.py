"""Receiving mail: a small SMTP server the app runs, or a poller of an IMAP mailbox.

Both hand every message, as raw bytes with the addresses it was delivered to, to one
callable (``Deliver``) that decides what it means; the command line wires the calendar-reply
handler (``eventreg.registration.replies``), so this layer knows nothing of registrations.

The callable must commit before it returns: only then does the SMTP receiver answer 250, or
the poller flag the message ``\\Seen``. When it raises (the database is down), the SMTP
receiver answers 451 and the sending server tries again later; the poller leaves the message
unseen for its next pass.
"""

import asyncio
import imaplib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)

# What to do with one message: (raw bytes, recipients) -> anything (the result is logged).
Deliver = Callable[[bytes, list[str]], object]
# Whether the receiver takes mail for an address (RCPT TO); others get a 550.
Accepts = Callable[[str], bool]


class _ReceivingHandler:
    """aiosmtpd's handler: recipients filtered at RCPT, each message handed on at DATA."""

    def __init__(self, deliver: Deliver, accepts: Accepts):
        self.deliver = deliver
        self.accepts = accepts

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.accepts(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        recipients = list(envelope.rcpt_tos)
        try:
            # Off the event loop: the handler talks to the database and may wait for locks.
            outcome = await asyncio.get_running_loop().run_in_executor(
                None, self.deliver, raw, recipients
            )
        except Exception:
            log.exception("an inbound message could not be handled; the sender will retry")
            return "451 4.3.0 Temporary failure, please try again later"
        log.info("inbound message handled: %s", outcome)
        return "250 2.0.0 Message accepted"


class SmtpReceiver:
    """The SMTP server of ``flask receive-mail``, in a thread of its own (start / stop)."""

    def __init__(self, deliver: Deliver, *, accepts: Accepts, host: str, port: int, max_bytes: int):
        self.host, self.port = host, port
        # aiosmtpd answers 552 beyond ``data_size_limit`` and never reads the rest.
        self.controller = Controller(
            _ReceivingHandler(deliver, accepts),
            hostname=host,
            port=port,
            data_size_limit=max_bytes,
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- IMAP -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapMailbox:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    ssl: bool = True
    delete: bool = False  # delete handled messages instead of only flagging them \Seen
    timeout: float = 30


@dataclass
class PollReport:
    handled: int = 0
    failed: int = 0


# Where a mailbox keeps the address a message was delivered to, most reliable first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To")


def recipients_of(raw: bytes) -> list[str]:
    """The addresses a message in a mailbox was delivered to, read from its headers."""
    headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    values = [str(value) for name in RECIPIENT_HEADERS for value in headers.get_all(name, [])]
    return [address for _name, address in getaddresses(values) if address]


def _connect(mailbox: ImapMailbox) -> imaplib.IMAP4:
    if mailbox.ssl:
        return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=mailbox.timeout)
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=mailbox.timeout)


def _fetched_bytes(data: Sequence[object]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_imap(mailbox: ImapMailbox, deliver: Deliver) -> PollReport:
    """One pass over the mailbox's unseen messages: each is handed to ``deliver`` and then
    flagged ``\\Seen`` (and deleted with ``mailbox.delete``). Messages are read with
    BODY.PEEK, so one whose handling failed stays unseen and is tried on the next pass."""
    report = PollReport()
    connection = _connect(mailbox)
    try:
        connection.login(mailbox.user, mailbox.password)
        connection.select(mailbox.mailbox)
        _status, found = connection.search(None, "UNSEEN")
        for number in (found[0] or b"").split():
            _status, data = connection.fetch(number.decode(), "(BODY.PEEK[])")
            raw = _fetched_bytes(data)
            if raw is None:
                continue
            try:
                outcome = deliver(raw, recipients_of(raw))
            except Exception:
                log.exception("an inbound message could not be handled; left for next pass")
                report.failed += 1
                break  # the database is likely down: the others would fail too
            log.info("inbound message handled: %s", outcome)
            flags = "(\\Seen \\Deleted)" if mailbox.delete else "(\\Seen)"
            connection.store(number.decode(), "+FLAGS", flags)
            report.handled += 1
        if mailbox.delete and report.handled:
            connection.expunge()
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            log.warning("the IMAP server did not take the logout", exc_info=True)
    return report


def poll_forever(
    mailbox: ImapMailbox, deliver: Deliver, *, interval: float, stop: threading.Event
) -> None:
    """Poll every ``interval`` seconds until ``stop`` is set; a failed pass (server down,
    wrong password) is logged and the next one tried."""
    while not stop.is_set():
        try:
            report = poll_imap(mailbox, deliver)
            if report.handled or report.failed:
                log.info("IMAP pass: %d handled, %d failed", report.handled, report.failed)
        except (imaplib.IMAP4.error, OSError):
            log.exception("polling the IMAP mailbox failed")
        stop.wait(interval)
