"""Where delivered mail goes: an SMTP server, or .eml files when none is configured."""

import os
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flask import Flask


@dataclass(frozen=True)
class ClaimedMessage:
    """An outbox row a worker holds the lease of, with what sending it needs."""

    id: int
    recipient: str
    raw: bytes
    attempts: int
    created_at: datetime


class DeliveryError(Exception):
    """Sending failed. ``permanent`` failures (a 5xx answer) are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a batch."""

    def __init__(self, config: Mapping[str, Any], sender: str):
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.implicit_tls = bool(config["MAIL_USE_TLS"])
        self.starttls = bool(config["MAIL_USE_STARTTLS"])
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.timeout = float(config["MAIL_TIMEOUT"])
        self.sender = sender
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                connection.starttls(context=context)
        if self.username:
            connection.login(self.username, self.password or "")
        return connection

    def send(self, message: ClaimedMessage) -> None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.sendmail(self.sender, [message.recipient], message.raw)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise DeliveryError(f"{code} {_text(text)}", permanent=code >= 500) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise DeliveryError(
                f"{error.smtp_code} {_text(error.smtp_error)}", permanent=error.smtp_code >= 500
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            # Connection trouble, timeouts, 4xx answers, failed login: try again later,
            # on a fresh connection.
            self.close()
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    def discard(self, message: ClaimedMessage) -> None:
        pass  # what an SMTP server accepted cannot be called back

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


class FileTransport:
    """Writes each message to ``<directory>/<created>-<id>.eml``.

    The name comes from the outbox row, so delivering a message again replaces its file
    rather than adding a second one.
    """

    def __init__(self, directory: Path):
        self.directory = directory

    @staticmethod
    def filename(message: ClaimedMessage) -> str:
        return eml_name(message.id, message.created_at)

    def send(self, message: ClaimedMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / self.filename(message)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(message.raw)
            os.replace(partial, target)  # readers never see half a message
        except OSError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error

    def discard(self, message: ClaimedMessage) -> None:
        remove_eml_files(self.directory, [(message.id, message.created_at)])

    def close(self) -> None:
        pass


def eml_name(outbox_id: int, created_at: datetime) -> str:
    """The file a message goes to, from its outbox row alone (so it can be found again)."""
    return f"{created_at:%Y%m%d-%H%M%S}-{outbox_id:08d}.eml"


def remove_eml_files(directory: Path, messages: Iterable[tuple[int, datetime]]) -> int:
    """Delete the .eml copies (and any half-written one) of these outbox rows, given as
    (id, created_at); returns how many files were there."""
    removed = 0
    for outbox_id, created_at in messages:
        name = eml_name(outbox_id, created_at)
        for path in (directory / name, directory / f".{name}.partial"):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
    return removed


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def outbox_directory(app: Flask) -> Path:
    configured = app.config.get("MAIL_FILE_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "outbox"


class Transport(Protocol):
    def send(self, message: ClaimedMessage) -> None: ...

    def discard(self, message: ClaimedMessage) -> None:
        """Undo what can be undone of a sending whose outbox row vanished meanwhile (the
        attendee's data was erased while it was in flight)."""

    def close(self) -> None: ...


def transport_for(app: Flask, sender: str) -> Transport:
    if app.config.get("MAIL_SERVER"):
        return SmtpTransport(app.config, sender)
    return FileTransport(outbox_directory(app))
