"""Registration rush: what a registration POST costs, and many people at the same moment.

Serves the app with gunicorn (sync workers) on PostgreSQL and measures, in the same run:

1. Throughput: ``--clients`` clients sending requests back to back for ``--seconds``, to
   - the floor: one INSERT in one write transaction (``bench/rush_app.py``);
   - the least correct registration: validate the address, lock the conference row,
     count, insert the registration and an outbox row, commit (``bench/rush_app.py``);
   - the same without the lock (wrong under concurrency): what the lock itself costs here;
   - eventreg's registration POST (form, answers, lock, seat, mail recorded, audit);
   - the same POST with a conference for each client: nobody waits for anyone's lock, so
     what is left is the cost of the work itself on these cores.
   Printed as requests/s and as the ratio to the floor.
2. The rush: ``--registrations`` people who opened the form (cookie and CSRF token, like a
   browser) all send it at the same moment for ``--seats`` seats: p50/p99 latency, the
   peak resident memory of each gunicorn worker meanwhile, and the final counts, which
   must be exactly the seats confirmed and everyone else waiting.
3. The lock: in this process, one registration POST at a time (nobody waits for the
   lock), how long the conference's lock is held per registration and how much of that
   the database takes. Its inverse is the most registrations one conference can take per
   second, however many cores serve it.

Requests are sent over plain sockets with their bytes prepared in advance, so the client
costs the shared CPUs as little as possible.

    .venv/bin/python bench/registration_rush.py postgresql://postgres@127.0.0.1:5432/test_b

The schema is created if missing; the benchmark's conferences and rows are deleted at the
end (``--keep`` leaves them). Exits with status 1 when the counts are not exact or a
request failed.
"""

import argparse
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import psutil
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]

from rush_app import FLOOR_TABLE  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Conference  # noqa: E402
from eventreg.core.audit import AuditEntry  # noqa: E402
from eventreg.core.db import utcnow  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.invites.models import CalendarCopy  # noqa: E402
from eventreg.mail.models import OutboxMessage  # noqa: E402
from eventreg.registration.models import Answer, Question, Registration  # noqa: E402

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LANGUAGES = ["English", "中文", "Italiano"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="a PostgreSQL URL, e.g. postgresql://...")
    parser.add_argument("--registrations", type=int, default=500)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=32, help="throughput: clients at once")
    parser.add_argument("--seconds", type=float, default=10, help="throughput: each run")
    parser.add_argument(
        "--lock-samples", type=int, default=200, help="the lock: registrations timed"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows")
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench"})
    rush_conference = prepare(app, args.seats)
    open_conference = prepare(app, None)
    floor_conference = prepare(app, None)
    unlocked_conference = prepare(app, None)
    own_conferences = [prepare(app, None) for _ in range(args.clients)]
    port = free_port()
    server = start_gunicorn(args.database_url, port, args.workers)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        throughput = {
            "floor (one INSERT)": run_for(port, args, floor_requests(port)),
            "least correct registration": run_for(
                port, args, least_registration_requests(port, "", floor_conference["id"])
            ),
            "  the same, without the lock": run_for(
                port,
                args,
                least_registration_requests(port, "-unlocked", unlocked_conference["id"]),
            ),
            "registration POST": run_for(
                port, args, registration_requests(port, [open_conference])
            ),
            "  the same, own conferences": run_for(
                port, args, registration_requests(port, own_conferences)
            ),
        }
        forms = open_forms(port, rush_conference, args.registrations)
        with RssSampler(server.pid) as rss:
            rush = fire_at_once(port, forms)
    finally:
        stop(server)

    counts = final_counts(app, rush_conference["id"])
    held = lock_hold(args.database_url, open_conference, args.lock_samples)
    where = sa.engine.make_url(args.database_url).render_as_string(hide_password=True)
    print(
        f"\nRegistration POST against its floors: {args.clients} clients back to back for "
        f"{args.seconds:g} s each; gunicorn, {args.workers} sync workers; {where}"
    )
    print(f"{'':30}{'req/s':>8}{'x floor':>9}{'p50 ms':>8}{'p99 ms':>8}  statuses")
    floor_rate = throughput["floor (one INSERT)"]["rate"]
    for label, result in throughput.items():
        report(label, result, floor_rate)
    ratio = throughput["registration POST"]["rate"] / floor_rate
    least = throughput["least correct registration"]["rate"] / floor_rate
    print(
        f"registration POST / bare insert: {ratio:.2f} (target >= 0.5; the least correct "
        f"registration: {least:.2f})"
    )
    print(
        f"\nRush: {args.registrations} clients at once for {args.seats} seats: "
        f"p50 {percentile(rush['latencies'], 50):.0f} ms, "
        f"p99 {percentile(rush['latencies'], 99):.0f} ms (target <= 2000), "
        f"all answered in {rush['elapsed']:.1f} s; statuses {statuses_text(rush)}"
    )
    peaks = rss.peaks_mib()
    print(
        "peak RSS per gunicorn worker during the rush (MiB): "
        + ", ".join(f"{value:.0f}" for value in peaks.values())
    )
    print(
        f"\nThe conference's lock, one registration POST at a time in this process "
        f"({args.lock_samples} of them): held p50 {held['p50']:.2f} ms, p90 {held['p90']:.2f} ms, "
        f"of which the database (statements and commit) {held['database_p50']:.2f} ms; "
        f"so one conference takes at most ~{1000 / held['p50']:.0f} registrations/s, "
        "however many cores serve it"
    )
    expected = {"confirmed": args.seats, "waiting": args.registrations - args.seats}
    answered = all(status == 303 for status in rush["statuses"])
    exact = counts == expected
    print(
        f"final counts: confirmed {counts['confirmed']}, waiting {counts['waiting']} "
        f"(expected {expected['confirmed']}/{expected['waiting']}): "
        + ("exact" if exact else "WRONG")
    )
    failed = [
        label
        for label, result in throughput.items()
        if any(status not in (204, 303) for status in result["statuses"])
    ]
    if failed:
        print("requests failed in: " + ", ".join(failed))
    if not args.keep:
        clean_up(
            app,
            [
                rush_conference["id"],
                open_conference["id"],
                floor_conference["id"],
                unlocked_conference["id"],
                *(conference["id"] for conference in own_conferences),
            ],
        )
    return 0 if exact and answered and not failed else 1


def prepare(app, seats: int | None) -> dict:
    """The schema, and a fresh open conference with one required question."""
    with app.app_context():
        db.create_all()
        FLOOR_TABLE.create(db.engine, checkfirst=True)
        slug = f"rush-{secrets.token_hex(4)}"
        start = utcnow().date() + timedelta(days=30)
        conference = Conference(
            slug=slug,
            title="Registration rush",
            timezone="Asia/Shanghai",
            start_date=start,
            end_date=start + timedelta(days=1),
            capacity=seats,
            organizer_email="bench@example.org",
            published=True,
            registration_opens_at=utcnow() - timedelta(days=1),
            privacy_notice="Benchmark data, deleted after the run.",
        )
        question = Question(
            conference=conference,
            label="Language",
            kind="single_choice",
            required=True,
            choices=LANGUAGES,
        )
        db.session.add_all([conference, question])
        db.session.commit()
        return {"id": conference.id, "slug": slug, "question": f"question_{question.id}"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "EVENTREG_SQLALCHEMY_DATABASE_URI": database_url,
        # Every worker must sign cookies and CSRF tokens with the same key.
        "EVENTREG_SECRET_KEY": "bench-" + secrets.token_urlsafe(24),
        "EVENTREG_BASE_URL": f"http://127.0.0.1:{port}",
        # All clients come from 127.0.0.1: lift the per-address limit for the benchmark.
        "EVENTREG_REGISTRATION_RATE_LIMIT": "1000000 per minute",
        "EVENTREG_BENCH_FLOOR_ENDPOINT": "true",
        # Delivery (which now composes the mail) is separate from the request; keep it out
        # of the measurement (bench/mail_delivery.py measures it).
        "EVENTREG_MAIL_DELIVER_IN_BACKGROUND": "false",
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}",
        "--backlog", "2048",
        "--timeout", "120",
        "--log-level", "warning",
        "--chdir", str(ROOT),
        "--pythonpath", str(BENCH_DIR),
        "rush_app:create_rush_app()",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env)


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            if requests.get(base + "/", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or workers still booting
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 seconds")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- requests as bytes --------------------------------------------------------------------


def post_bytes(port: int, path: str, fields: dict, cookie: str = "") -> bytes:
    body = urlencode(fields).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def send(port: int, raw: bytes) -> int:
    """Send one prepared request on a connection of its own; the response's status."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        connection.sendall(raw)
        first = connection.recv(65536)
        while connection.recv(65536):  # the server closes when the response is complete
            pass
    return int(first.split(b" ", 2)[1])


def open_form(port: int, conference: dict) -> tuple[str, str]:
    """What a browser does first: load the form, keeping its cookie and CSRF token."""
    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/c/{conference['slug']}/register", timeout=60)
    page.raise_for_status()
    token = CSRF_FIELD.search(page.text).group(1)
    cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    return cookie, token


def registration_fields(conference: dict, token: str, n: int) -> dict:
    return {
        "csrf_token": token,
        "full_name": f"Rush Attendee {n}",
        "email": f"rush{n}-{secrets.token_hex(3)}@example.org",
        "country": "IT" if n % 2 else "CN",
        conference["question"]: LANGUAGES[n % len(LANGUAGES)],
        "consent": "y",
    }


def floor_requests(port: int):
    def make(client: int, n: int) -> bytes:
        return post_bytes(port, "/bench/floor", {"payload": f"row {client}-{n}"})

    return lambda client: make


def least_registration_requests(port: int, variant: str, conference_id: int):
    def make(client: int, n: int) -> bytes:
        fields = {"email": f"least{client}-{n}@example.org", "full_name": f"Least {n}"}
        return post_bytes(port, f"/bench/least-registration{variant}/{conference_id}", fields)

    return lambda client: make


def registration_requests(port: int, conferences: list[dict]):
    """Registration POSTs, client ``n`` registering for ``conferences[n % len]``."""

    def for_client(client: int):
        conference = conferences[client % len(conferences)]
        path = f"/c/{conference['slug']}/register"
        cookie, token = open_form(port, conference)  # before the clock starts

        def make(_client: int, n: int) -> bytes:
            fields = registration_fields(conference, token, client * 1_000_000 + n)
            return post_bytes(port, path, fields, cookie)

        return make

    return for_client


# --- measuring ----------------------------------------------------------------------------


def run_for(port: int, args, maker_for_client) -> dict:
    """``args.clients`` threads, each sending its requests back to back for the time."""
    makers = [maker_for_client(client) for client in range(args.clients)]
    statuses: list[int] = []
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(args.clients + 1)

    def client(index: int) -> None:
        start.wait()
        deadline = time.monotonic() + args.seconds
        n = 0
        while time.monotonic() < deadline:
            raw = makers[index](index, n)
            began = time.perf_counter()
            try:
                status = send(port, raw)
            except OSError:
                status = -1
            took = time.perf_counter() - began
            with lock:
                statuses.append(status)
                latencies.append(took)
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"rate": len(statuses) / elapsed, "latencies": latencies, "statuses": statuses}


def open_forms(port: int, conference: dict, count: int) -> list[bytes]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        forms = list(pool.map(lambda _: open_form(port, conference), range(count)))
    path = f"/c/{conference['slug']}/register"
    return [
        post_bytes(port, path, registration_fields(conference, token, n), cookie)
        for n, (cookie, token) in enumerate(forms)
    ]


def fire_at_once(port: int, prepared: list[bytes]) -> dict:
    """Send every request at the same moment (one thread each, behind a barrier)."""
    barrier = threading.Barrier(len(prepared) + 1)
    latencies = [0.0] * len(prepared)
    statuses = [0] * len(prepared)

    def one(index: int) -> None:
        barrier.wait()
        began = time.perf_counter()
        try:
            statuses[index] = send(port, prepared[index])
        except OSError:
            statuses[index] = -1
        latencies[index] = time.perf_counter() - began

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(prepared))]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"latencies": latencies, "statuses": statuses, "elapsed": elapsed}


class RssSampler(threading.Thread):
    """Samples the resident memory of every gunicorn worker, keeping each one's peak."""

    INTERVAL = 0.1

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master = psutil.Process(master_pid)
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def sample(self) -> None:
        for worker in self.master.children():
            try:
                rss = worker.memory_info().rss
            except psutil.NoSuchProcess:  # a worker restarted between the two calls
                continue
            self.peaks[worker.pid] = max(rss, self.peaks.get(worker.pid, 0))

    def run(self) -> None:
        while not self.done.wait(self.INTERVAL):
            self.sample()

    def __enter__(self) -> "RssSampler":
        self.sample()
        self.start()
        return self

    def __exit__(self, *_) -> None:
        self.done.set()
        self.join()
        self.sample()

    def peaks_mib(self) -> dict[str, float]:
        return {str(pid): round(rss / 2**20, 1) for pid, rss in sorted(self.peaks.items())}


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000


def statuses_text(result: dict) -> str:
    counts: dict[int, int] = {}
    for status in result["statuses"]:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{code}×{n}" for code, n in sorted(counts.items()))


def report(label: str, result: dict, floor_rate: float) -> None:
    print(
        f"{label:30}{result['rate']:8.1f}{result['rate'] / floor_rate:9.2f}"
        f"{percentile(result['latencies'], 50):8.1f}{percentile(result['latencies'], 99):8.1f}"
        f"  {statuses_text(result)}"
    )


def lock_hold(database_url: str, conference: dict, samples: int) -> dict[str, float]:
    """Time the conference's lock in this process's own app, one registration POST after
    another: from the statement that takes it (``SELECT ... FROM conference ... FOR
    UPDATE``) to the end of the commit that releases it, and the database's share of that
    (each statement's execution and the commit), read from SQLAlchemy's events."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-lock",
            "RATELIMIT_ENABLED": False,
            "MAIL_DELIVER_IN_BACKGROUND": False,
        }
    )
    client = app.test_client()
    path = f"/c/{conference['slug']}/register"
    token = CSRF_FIELD.search(client.get(path).text).group(1)
    window: dict[str, float | None] = {"taken": None, "database": 0.0, "began": 0.0}
    held: list[float] = []
    in_database: list[float] = []

    def before_execute(_conn, _cursor, statement: str, *_) -> None:
        if window["taken"] is None and "FROM conference" in statement and "FOR UPDATE" in statement:
            window["taken"] = time.perf_counter()
        window["began"] = time.perf_counter()

    def after_execute(*_) -> None:
        if window["taken"] is not None:
            window["database"] += time.perf_counter() - window["began"]

    def before_commit(_conn) -> None:
        window["began"] = time.perf_counter()

    def after_commit(_session) -> None:
        if window["taken"] is None:
            return
        ended = time.perf_counter()
        held.append(ended - window["taken"])
        in_database.append(window["database"] + ended - window["began"])
        window.update(taken=None, database=0.0)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", before_execute)
        sa.event.listen(db.engine, "after_cursor_execute", after_execute)
        sa.event.listen(db.engine, "commit", before_commit)
    sa.event.listen(Session, "after_commit", after_commit)
    try:
        for n in range(20 + samples):  # the first 20 warm the caches and the pool
            fields = registration_fields(conference, token, 10_000_000 + n)
            response = client.post(path, data=fields)
            if response.status_code != 303:
                raise SystemExit(f"the lock's registration POST answered {response.status_code}")
    finally:
        sa.event.remove(Session, "after_commit", after_commit)
    held, in_database = held[20:], in_database[20:]
    return {
        "p50": percentile(held, 50),
        "p90": percentile(held, 90),
        "database_p50": percentile(in_database, 50),
    }


def final_counts(app, conference_id: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .filter_by(conference_id=conference_id)
            .group_by(Registration.status)
        ).all()
        counts = {"confirmed": 0, "waiting": 0}
        counts.update(dict(rows))
        return counts


def clean_up(app, conference_ids: list[int]) -> None:
    with app.app_context():
        registrations = sa.select(Registration.id).where(
            Registration.conference_id.in_(conference_ids)
        )
        recipients = sa.select(sa.literal("registration:") + sa.cast(Registration.id, sa.String))
        db.session.execute(
            sa.delete(CalendarCopy).where(
                CalendarCopy.recipient.in_(
                    recipients.where(Registration.conference_id.in_(conference_ids))
                )
            )
        )
        db.session.execute(sa.delete(Answer).where(Answer.registration_id.in_(registrations)))
        for model in (OutboxMessage, AuditEntry, Registration, Question):
            db.session.execute(sa.delete(model).where(model.conference_id.in_(conference_ids)))
        db.session.execute(sa.delete(Conference).where(Conference.id.in_(conference_ids)))
        db.session.execute(FLOOR_TABLE.delete())
        db.session.commit()


if __name__ == "__main__":
    sys.exit(main())
