"""A real SMTP server for tests: aiosmtpd on a free port of 127.0.0.1.

Use the ``smtp_server`` fixture; point the app at it with ``smtp_server.app_config``::

    @pytest.fixture
    def app_config(smtp_server):
        return smtp_server.app_config

Messages are stored only once the server has accepted them (250 to DATA), parsed with the
``email`` package in ``smtp_server.messages``. The server can be stopped and started again
on the same port (SMTP down), made to refuse messages, or made to stall before MAIL FROM.
"""

import asyncio
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)


class RecordingHandler:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.refuse_with: str | None = None
        self.released = threading.Event()
        self.released.set()
        self.stalled = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not self.released.is_set():
            with self.lock:
                self.stalled += 1
            while not self.released.is_set():
                await asyncio.sleep(0.02)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    # aiosmtpd's readiness probe needs a real port number, so one is picked up front.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    host = "127.0.0.1"

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.handler.released.set()
            self.controller.stop()
            self.controller = None

    @property
    def app_config(self) -> dict:
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "MAIL_TIMEOUT": 5}

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [item.message for item in self.received]

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]

    def refuse(self, reply: str | None) -> None:
        """Answer DATA with ``reply`` (e.g. "451 try later"), or accept again with None."""
        self.handler.refuse_with = reply

    def stall(self) -> None:
        """Hold every new session at MAIL FROM until :meth:`release`."""
        self.handler.released.clear()

    def release(self) -> None:
        self.handler.released.set()

    def wait_for_stalled(
        self, count: int = 1, timeout: float = 20, process: subprocess.Popen | None = None
    ) -> None:
        """Wait until ``count`` clients are held at MAIL FROM; when they are ``process``,
        fail at once (with what it printed) if it ends before that."""
        deadline = time.monotonic() + timeout
        while self.handler.stalled < count:
            if process is not None and process.poll() is not None:
                _, errors = process.communicate()
                raise AssertionError(
                    f"the client exited ({process.returncode}) before MAIL FROM: {errors!r}"
                )
            if time.monotonic() > deadline:
                raise AssertionError("no client reached MAIL FROM in time")
            time.sleep(0.02)

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} messages arrived in time")
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
