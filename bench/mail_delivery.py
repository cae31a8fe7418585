"""How fast does the outbox deliver 1,000 queued messages to a local SMTP server?

Records 1,000 confirmation e-mails (each with its calendar invite) through the real
notification code, then times ``deliver_due()`` sending them to an aiosmtpd server on
127.0.0.1: claiming, composing (confirmations are recorded as what to say and composed by
the sender), sending and recording each outcome. The floor, measured in the same
run against the same server: smtplib sending the same 1,000 messages over one connection,
with no database at all.

    .venv/bin/python bench/mail_delivery.py
    .venv/bin/python bench/mail_delivery.py --database postgresql://postgres@127.0.0.1/bench
    .venv/bin/python bench/mail_delivery.py --workers 4    # also: 4 worker threads at once

SQLite always runs, in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables too: everything in it is dropped first and after.
"""

import argparse
import smtplib
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventreg import create_app  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.demo import load_synthetic  # noqa: E402
from eventreg.mail.delivery import deliver_due  # noqa: E402
from eventreg.mail.models import OutboxMessage  # noqa: E402
from eventreg.registration import notifications  # noqa: E402
from eventreg.registration.models import Registration  # noqa: E402


class CountingHandler:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def record_messages(count: int) -> float:
    """Record one confirmation per registration; returns the seconds it took."""
    conference = load_synthetic(5, count, f"bench-mail-{time.monotonic_ns()}")
    registrations = db.session.scalars(
        sa.select(Registration).filter_by(conference_id=conference.id).order_by(Registration.id)
    ).all()
    started = time.perf_counter()
    for registration in registrations:
        notifications.registration_received(registration, "bench-secret")
    db.session.commit()
    return time.perf_counter() - started


def record_afresh(count: int) -> None:
    """Empty the outbox and record ``count`` new confirmations: delivered messages keep
    their composed bytes, and a second run must compose them again, like the first."""
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    record_messages(count)


def deliver_with_threads(app, workers: int) -> None:
    def work():
        with app.app_context():
            deliver_due()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(database_url: str, instance: Path, count: int, workers: int) -> None:
    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "BASE_URL": "https://bench.example.org",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_DELIVER_IN_BACKGROUND": False,
        }
    )
    app.instance_path = str(instance)
    try:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.create_all()
            recording = record_messages(count)

            started = time.perf_counter()
            report = deliver_due()
            outbox_seconds = time.perf_counter() - started
            assert report.sent == count and handler.count == count, (report, handler.count)
            # Recorded as what to say, the messages exist as bytes once the sender has
            # composed them (and kept them for any later attempt): the floor sends those.
            db.session.remove()
            raws = list(db.session.scalars(sa.select(OutboxMessage.raw)))
            assert all(raws), "a delivered message has no bytes"
            average_kib = sum(map(len, raws)) / len(raws) / 1024

            threaded_seconds = None
            if workers > 1:
                record_afresh(count)
                handler.count = 0
                started = time.perf_counter()
                deliver_with_threads(app, workers)
                threaded_seconds = time.perf_counter() - started
                assert handler.count == count, handler.count

            handler.count = 0
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as connection:
                for raw in raws:
                    connection.sendmail("noreply@eventreg.invalid", ["a@example.org"], raw)
            floor_seconds = time.perf_counter() - started

            dialect = db.engine.dialect.name
            print(f"\n{dialect}: {count} messages of {average_kib:.1f} KiB on average")
            print(f"  recording (notifications)   {count / recording:8.0f} messages/s")
            print(f"  outbox delivery, 1 worker   {count / outbox_seconds:8.0f} messages/s")
            if threaded_seconds is not None:
                print(
                    f"  outbox delivery, {workers} threads  "
                    f"{count / threaded_seconds:8.0f} messages/s"
                )
            print(f"  floor: smtplib, no database {count / floor_seconds:8.0f} messages/s")
            print(f"  floor / outbox              {outbox_seconds / floor_seconds:8.2f} x")
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL to run against as well")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", Path(folder), args.messages, args.workers)
        if args.database:
            run(args.database, Path(folder), args.messages, args.workers)


if __name__ == "__main__":
    main()
