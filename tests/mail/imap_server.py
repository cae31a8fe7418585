"""A small IMAP4rev1 server for tests: a stand-in for the mail provider's mailbox.

It speaks just what a poller needs (CAPABILITY, LOGIN, SELECT, SEARCH UNSEEN, FETCH
BODY.PEEK[] / RFC822, STORE +FLAGS, EXPUNGE, LOGOUT) over plain TCP on a free port of
127.0.0.1, and keeps its messages and their flags in memory for the test to inspect.
"""

import re
import socketserver
import threading
from dataclasses import dataclass, field

from tests.mail.smtp import free_port


@dataclass
class StoredMessage:
    raw: bytes
    flags: set[str] = field(default_factory=set)


class _Session(socketserver.StreamRequestHandler):
    server: "_Server"

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] test IMAP server ready")
        mailbox = self.server.mailbox
        while line := self.rfile.readline():
            tag, command, *args = line.decode().rstrip("\r\n").split(" ")
            command = command.upper()
            with mailbox.lock:
                if command == "CAPABILITY":
                    self.send("* CAPABILITY IMAP4rev1")
                elif command == "LOGIN":
                    user, password = (arg.strip('"') for arg in args)
                    if (user, password) != (mailbox.user, mailbox.password):
                        self.send(f"{tag} NO [AUTHENTICATIONFAILED] wrong user or password")
                        continue
                elif command == "SELECT":
                    self.send(f"* {len(mailbox.messages)} EXISTS")
                    self.send("* 0 RECENT")
                    self.send("* FLAGS (\\Seen \\Deleted)")
                elif command == "SEARCH":
                    unseen = [
                        str(number)
                        for number, message in enumerate(mailbox.messages, 1)
                        if "\\Seen" not in message.flags
                    ]
                    self.send(" ".join(["* SEARCH", *unseen]))
                elif command == "FETCH":
                    number = int(args[0])
                    message = mailbox.messages[number - 1]
                    if "PEEK" not in " ".join(args).upper():
                        message.flags.add("\\Seen")  # RFC822 and BODY[] set \Seen
                    self.send(f"* {number} FETCH (BODY[] {{{len(message.raw)}}}".encode())
                    self.wfile.write(message.raw)
                    self.send(")")
                elif command == "STORE":
                    message = mailbox.messages[int(args[0]) - 1]
                    message.flags |= set(re.findall(r"\\\w+", " ".join(args[2:])))
                    self.send(f"* {args[0]} FETCH (FLAGS ({' '.join(sorted(message.flags))}))")
                elif command == "EXPUNGE":
                    for number in range(len(mailbox.messages), 0, -1):
                        if "\\Deleted" in mailbox.messages[number - 1].flags:
                            del mailbox.messages[number - 1]
                            self.send(f"* {number} EXPUNGE")
                elif command == "LOGOUT":
                    self.send("* BYE logging out")
                    self.send(f"{tag} OK LOGOUT completed")
                    return
                elif command != "NOOP":
                    self.send(f"{tag} BAD unknown command")
                    continue
            self.send(f"{tag} OK {command} completed")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: "ImapMailboxServer"


class ImapMailboxServer:
    host = "127.0.0.1"
    user = "replies"
    password = "mailbox-password"

    def __init__(self):
        self.port = free_port()
        self.messages: list[StoredMessage] = []
        self.lock = threading.Lock()
        self.server = _Server((self.host, self.port), _Session)
        self.server.mailbox = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, raw: bytes) -> None:
        with self.lock:
            self.messages.append(StoredMessage(raw))

    @property
    def app_config(self) -> dict:
        return {
            "INBOUND_IMAP_HOST": self.host,
            "INBOUND_IMAP_PORT": self.port,
            "INBOUND_IMAP_USER": self.user,
            "INBOUND_IMAP_PASSWORD": self.password,
            "INBOUND_IMAP_SSL": False,
        }

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
