"""Registration rush: many people register at the same moment for a few seats.

Serves the app with gunicorn (several worker processes) on PostgreSQL, lets every client
open the form first like a browser (cookie and CSRF token), then fires all registrations
at once. Reports registrations per second, p50/p99 latency and the final confirmed/waiting
counts, which must be exact; then the same figures for a floor endpoint that only inserts
one row, in the same setup.

    .venv/bin/python bench/registration_rush.py postgresql://postgres@127.0.0.1:5432/test_b

The schema is created if missing; the benchmark's conference and rows are deleted at the
end (``--keep`` leaves them). Exits with status 1 when the counts are not exact.
"""

import argparse
import os
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

import requests
import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR)]

from rush_app import FLOOR_TABLE  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Conference  # noqa: E402
from eventreg.core.db import utcnow  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.mail.models import OutboxMessage  # noqa: E402
from eventreg.registration.models import Question, Registration  # noqa: E402

CSRF_FIELD = 'name="csrf_token" type="hidden" value="'
LANGUAGES = ["English", "中文", "Italiano"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="a PostgreSQL URL, e.g. postgresql://...")
    parser.add_argument("--registrations", type=int, default=500)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows")
    args = parser.parse_args()

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench"})
    slug, question_id = prepare(app, args.seats)
    port = free_port()
    server = start_gunicorn(args.database_url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        rush = run_rush(base, slug, question_id, args.registrations)
        floor = run_floor(base, args.registrations)
    finally:
        stop(server)

    counts = final_counts(app, slug)
    floor_rows = floor_row_count(app)
    where = sa.engine.make_url(args.database_url).render_as_string(hide_password=True)
    print(
        f"\nRegistration rush: {args.registrations} clients at once for {args.seats} seats; "
        f"gunicorn, {args.workers} sync workers; {where}"
    )
    print(f"{'':28}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    report("register (form, lock, mail)", rush)
    report("floor (one INSERT)", floor)
    p50_ratio = percentile(rush["latencies"], 50) / percentile(floor["latencies"], 50)
    print(
        f"registration vs floor: p50 {p50_ratio:.1f}x, "
        f"throughput {rush['rate'] / floor['rate']:.2f}x"
    )
    expected = {"confirmed": args.seats, "waiting": args.registrations - args.seats}
    exact = counts == expected and all(status == 303 for status in rush["statuses"])
    print(
        f"final counts: confirmed {counts['confirmed']}, waiting {counts['waiting']} "
        f"(expected {expected['confirmed']}/{expected['waiting']}): "
        + ("exact" if exact else "WRONG")
    )
    print(f"floor rows inserted: {floor_rows} (expected {args.registrations})")
    if not args.keep:
        clean_up(app, slug)
    return 0 if exact and floor_rows == args.registrations else 1


def prepare(app, seats: int) -> tuple[str, int]:
    """The schema, and a fresh open conference with one required question."""
    with app.app_context():
        db.create_all()
        FLOOR_TABLE.create(db.engine, checkfirst=True)
        with db.engine.begin() as connection:
            connection.execute(FLOOR_TABLE.delete())
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
        return slug, question.id


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
        # All clients come from 127.0.0.1: lift the per-address limit for the benchmark.
        "EVENTREG_REGISTRATION_RATE_LIMIT": "1000000 per minute",
        "EVENTREG_BENCH_FLOOR_ENDPOINT": "true",
        # Delivery is separate from the request; keep it out of the measurement.
        "EVENTREG_MAIL_DELIVER_IN_BACKGROUND": "false",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--timeout",
        "120",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
        "--pythonpath",
        str(BENCH_DIR),
        "rush_app:create_rush_app()",
    ]
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


def open_form(base: str, slug: str) -> tuple[requests.Session, str]:
    """What a browser does first: load the form, keeping its cookie and CSRF token."""
    session = requests.Session()
    page = session.get(f"{base}/c/{slug}/register", timeout=60)
    page.raise_for_status()
    start = page.text.index(CSRF_FIELD) + len(CSRF_FIELD)
    return session, page.text[start : page.text.index('"', start)]


def fire_at_once(requests_to_send: list) -> dict:
    """Send every request at the same moment (one thread each, behind a barrier)."""
    barrier = threading.Barrier(len(requests_to_send) + 1)
    latencies = [0.0] * len(requests_to_send)
    statuses = [0] * len(requests_to_send)

    def send(index: int, send_request) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            statuses[index] = send_request()
        except requests.RequestException:
            statuses[index] = -1
        latencies[index] = time.perf_counter() - started

    threads = [
        threading.Thread(target=send, args=(i, item)) for i, item in enumerate(requests_to_send)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "latencies": latencies,
        "statuses": statuses,
        "rate": len(requests_to_send) / elapsed,
        "elapsed": elapsed,
    }


def run_rush(base: str, slug: str, question_id: int, count: int) -> dict:
    with ThreadPoolExecutor(max_workers=32) as pool:
        forms = list(pool.map(lambda _: open_form(base, slug), range(count)))

    def registration(n: int, session: requests.Session, token: str):
        data = {
            "csrf_token": token,
            "full_name": f"Rush Attendee {n}",
            "email": f"rush{n}@example.org",
            "country": "IT" if n % 2 else "CN",
            f"question_{question_id}": LANGUAGES[n % len(LANGUAGES)],
            "consent": "y",
        }
        url = f"{base}/c/{slug}/register"
        return lambda: session.post(url, data=data, allow_redirects=False, timeout=120).status_code

    return fire_at_once([registration(n, *form) for n, form in enumerate(forms)])


def run_floor(base: str, count: int) -> dict:
    def insert(n: int):
        session = requests.Session()
        url = f"{base}/bench/floor"
        return lambda: session.post(url, data={"payload": f"row {n}"}, timeout=120).status_code

    return fire_at_once([insert(n) for n in range(count)])


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1000


def report(label: str, result: dict) -> None:
    statuses = {}
    for status in result["statuses"]:
        statuses[status] = statuses.get(status, 0) + 1
    print(
        f"{label:28}{result['rate']:9.1f}{percentile(result['latencies'], 50):9.1f}"
        f"{percentile(result['latencies'], 99):9.1f}  "
        + ", ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
    )


def final_counts(app, slug: str) -> dict[str, int]:
    with app.app_context():
        conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        rows = db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .filter_by(conference_id=conference.id)
            .group_by(Registration.status)
        ).all()
        counts = {"confirmed": 0, "waiting": 0}
        counts.update(dict(rows))
        return counts


def floor_row_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(FLOOR_TABLE))


def clean_up(app, slug: str) -> None:
    with app.app_context():
        conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        db.session.execute(sa.delete(OutboxMessage).filter_by(conference_id=conference.id))
        db.session.execute(sa.delete(Registration).filter_by(conference_id=conference.id))
        db.session.delete(conference)
        db.session.execute(FLOOR_TABLE.delete())
        db.session.commit()


if __name__ == "__main__":
    sys.exit(main())
