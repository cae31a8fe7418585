"""A realistic load test: people browsing, calendar apps polling, registrations arriving, at once.

Loads a large synthetic conference (sessions, attendees with agendas, the demo's questions,
a few seats left), serves the app with gunicorn on PostgreSQL with mail written to files by
the in-process sender, and drives it with Locust (``bench/load/locustfile.py``) in two
headless phases: one client sending each kind of request in turn (what each costs alone),
then many people at once for a fixed time. Prints per kind of request: p50 alone; under load
requests, requests/s, p50, p99, errors and the share of 304s for feeds; each p50 next to the
floor measured in the same phase (a one-row INSERT endpoint); and the peak RSS of every
gunicorn worker. Then checks that the conference never went over its capacity, that every
registration answered is counted, that no request got a 5xx and that the outbox drained;
exits 1 when any of that fails.

    .venv/bin/python bench/load_test.py postgresql://postgres@127.0.0.1:5432/test --json out.json

On a saturated server every request mostly waits for a worker, so under load all p50s come
close to the floor's: read the "alone" columns for what each kind costs, the load columns for
what people see. The database given is emptied (every table dropped and created) before and
after the run (``--keep`` leaves the data).
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
LOAD_DIR = BENCH_DIR / "load"
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT), str(BENCH_DIR), str(LOAD_DIR)]

import scenario  # noqa: E402
from floor import FLOOR_TABLE  # noqa: E402
from registration_rush import free_port, stop, wait_until_up  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Conference, Talk  # noqa: E402
from eventreg.config import normalise_database_url  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.demo import QUESTIONS, load_synthetic  # noqa: E402
from eventreg.mail.models import OutboxMessage  # noqa: E402
from eventreg.registration import access  # noqa: E402
from eventreg.registration.models import Question, Registration, SessionSignup  # noqa: E402
from eventreg.registration.tokens import feed_token_for  # noqa: E402

DEFAULT_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
AGENDAS = 300  # attendees whose calendar app polls their agenda feed
AGENDA_LENGTH = 5  # sessions in each of those agendas
OUTBOX_DRAIN_SECONDS = 120
# The Locust user classes of the load phase (bench/load/locustfile.py).
LOAD_USERS = ["Browser", "CalendarApp", "Registrant", "Floor"]


def main() -> int:
    args = parse_args()
    require_database(args.database_url)
    secret = "load-" + secrets.token_urlsafe(24)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": secret})
    with tempfile.TemporaryDirectory(prefix="eventreg-load-") as scratch:
        scratch = Path(scratch)
        plan, capacity = prepare(app, args)
        plan.save(scratch / "plan.json")
        port = free_port()
        server = start_gunicorn(args, port, secret, scratch / "mail")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, server)
            with RssSampler(server.pid) as rss:
                alone = run_locust(base, scratch, ["Alone"], 1, args.alone_seconds)
                load = run_locust(base, scratch, LOAD_USERS, args.users, args.seconds)
            pending = wait_for_outbox(app)
        finally:
            stop(server)
        delivered = len(list((scratch / "mail").glob("**/*.eml")))
    checks = check(app, plan.slug, capacity, args, [alone, load], pending)
    summary = {
        "settings": {key: value for key, value in vars(args).items() if key != "json"},
        "seconds": load["seconds"],
        "kinds": merge_phases(alone, load),
        "worker_peak_rss_mib": rss.peaks_mib(),
        "mail": {"delivered_files": delivered, "outbox_pending_after": pending},
        "checks": checks,
    }
    print_report(args, summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if not args.keep:
        empty_database(app)
    return 0 if all(passed for passed, _ in checks.values()) else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--attendees", type=int, default=2000, help="registered before the run")
    parser.add_argument("--seats", type=int, default=10, help="seats left when the run starts")
    parser.add_argument("--users", type=int, default=60, help="simulated people at once")
    parser.add_argument("--seconds", type=int, default=30, help="how long the load lasts")
    parser.add_argument(
        "--alone-seconds", type=int, default=10, help="the first phase: one client, every kind"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--json", metavar="PATH", help="also write the summary here")
    parser.add_argument("--keep", action="store_true", help="leave the data in the database")
    return parser.parse_args()


def require_database(url: str) -> None:
    engine = sa.create_engine(normalise_database_url(url), connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except sa.exc.OperationalError as error:
        raise SystemExit(f"PostgreSQL not reachable at {url}: {error.orig}") from None
    finally:
        engine.dispose()


# --- the conference -----------------------------------------------------------------------


def prepare(app, args) -> tuple[scenario.Plan, int]:
    """A fresh schema and a large conference with ``args.seats`` seats left; the plan."""
    with app.app_context():
        empty_database(app)
        db.create_all()
        FLOOR_TABLE.create(db.engine)
        conference = load_synthetic(args.sessions, args.attendees, slug="load-test")
        capacity = args.attendees + args.seats
        conference.capacity = capacity
        conference.privacy_notice = "Benchmark data, deleted after the run."
        questions = [
            Question(
                conference=conference,
                label=label,
                kind=kind,
                required=required,
                choices=choices,
                position=position,
            )
            for position, (label, kind, required, choices) in enumerate(QUESTIONS)
        ]
        db.session.add_all(questions)
        db.session.commit()
        agenda_owners = give_agendas(conference.id)
        return plan_for(conference, agenda_owners), capacity


def plan_for(conference: Conference, agenda_owners: list[int]) -> scenario.Plan:
    """What the simulated people need: sessions, agenda feed tokens, the form's questions."""
    questions = db.session.scalars(
        sa.select(Question).filter_by(conference_id=conference.id).order_by(Question.position)
    )
    return scenario.Plan(
        slug=conference.slug,
        session_ids=session_ids_of(conference.id),
        agenda_tokens=[feed_token_for(owner) for owner in agenda_owners],
        questions=[
            scenario.Question(
                f"question_{q.id}", q.kind, q.required, list(q.choices or []), q.category_id
            )
            for q in questions
        ],
        category_ids=[
            category.id
            for category in access.public_categories(conference.id)
            if not category.requires_approval
        ],
    )


def session_ids_of(conference_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Talk.id).filter_by(conference_id=conference_id).order_by(Talk.id)
        )
    )


def give_agendas(conference_id: int) -> list[int]:
    """A few sessions in the agenda of the attendees whose feeds are polled."""
    session_ids = session_ids_of(conference_id)
    owners = list(
        db.session.scalars(
            sa.select(Registration.id)
            .filter_by(conference_id=conference_id)
            .order_by(Registration.id)
            .limit(AGENDAS)
        )
    )
    step = max(1, len(session_ids) // AGENDA_LENGTH)
    db.session.execute(
        sa.insert(SessionSignup),
        [
            {
                "registration_id": owner,
                "talk_id": session_ids[(n + i * step) % len(session_ids)],
                "status": "confirmed",
            }
            for n, owner in enumerate(owners)
            for i in range(AGENDA_LENGTH)
        ],
    )
    db.session.commit()
    return owners


def empty_database(app) -> None:
    with app.app_context():
        db.session.remove()  # drop_all waits forever behind an open read transaction
        FLOOR_TABLE.drop(db.engine, checkfirst=True)
        db.drop_all()


# --- serving and loading ------------------------------------------------------------------


def start_gunicorn(args, port: int, secret: str, mail_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "EVENTREG_SQLALCHEMY_DATABASE_URI": args.database_url,
        # Every worker signs cookies, CSRF and feed tokens with the key the plan used.
        "EVENTREG_SECRET_KEY": secret,
        "EVENTREG_BASE_URL": f"http://127.0.0.1:{port}",
        # Every simulated person comes from 127.0.0.1.
        "EVENTREG_RATELIMIT_ENABLED": "false",
        "EVENTREG_MAIL_FILE_DIR": str(mail_dir),
    }
    env.pop("EVENTREG_MAIL_SERVER", None)
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(args.workers),
        "--bind", f"127.0.0.1:{port}",
        "--backlog", "2048",
        "--timeout", "120",
        "--log-level", "warning",
        "--chdir", str(ROOT),
        "--pythonpath", str(LOAD_DIR),
        "served_app:app",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env)


def run_locust(base: str, scratch: Path, user_classes: list[str], users: int, seconds: int):
    """Locust, headless, every user started in the first second; its figures as a dict."""
    results = scratch / f"results-{user_classes[0]}.json"
    env = {
        **os.environ,
        "EVENTREG_LOAD_PLAN": str(scratch / "plan.json"),
        "EVENTREG_LOAD_RESULTS": str(results),
    }
    command = [
        sys.executable, "-m", "locust",
        "-f", str(LOAD_DIR / "locustfile.py"),
        "--headless", "--only-summary",
        "--users", str(users),
        "--spawn-rate", str(users),
        "--run-time", f"{seconds}s",
        "--stop-timeout", "10",
        "--host", base,
        "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
        *user_classes,
    ]  # fmt: skip
    log = scratch / f"locust-{user_classes[0]}.log"
    with log.open("w") as output:
        finished = subprocess.run(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    if finished.returncode != 0 or not results.exists():
        sys.stderr.write(log.read_text())
        raise SystemExit(f"locust failed (status {finished.returncode})")
    return json.loads(results.read_text())


class RssSampler(threading.Thread):
    """Samples the resident memory of every gunicorn worker, keeping each one's peak."""

    INTERVAL = 0.2

    def __init__(self, master_pid: int) -> None:
        super().__init__(daemon=True)
        self.master = psutil.Process(master_pid)
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.INTERVAL):
            for worker in self.master.children():
                try:
                    rss = worker.memory_info().rss
                except psutil.NoSuchProcess:  # a worker restarted between the two calls
                    continue
                self.peaks[worker.pid] = max(rss, self.peaks.get(worker.pid, 0))

    def __enter__(self) -> "RssSampler":
        self.start()
        return self

    def __exit__(self, *_) -> None:
        self.done.set()
        self.join()

    def peaks_mib(self) -> dict[str, float]:
        return {str(pid): round(rss / 2**20, 1) for pid, rss in sorted(self.peaks.items())}


def wait_for_outbox(app) -> int:
    """Give the senders time to deliver what the run recorded; the messages left pending."""
    deadline = time.monotonic() + OUTBOX_DRAIN_SECONDS
    with app.app_context():
        while True:
            pending = db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage).filter_by(status="pending")
            )
            db.session.rollback()
            if pending == 0 or time.monotonic() > deadline:
                return pending
            time.sleep(0.5)


# --- checks and the report ----------------------------------------------------------------


def check(app, slug: str, capacity: int, args, phases: list[dict], pending: int) -> dict:
    """Each check: (passed, what was seen)."""
    kinds = [(name, kind) for phase in phases for name, kind in phase["kinds"].items()]
    with app.app_context():
        conference = db.session.scalar(sa.select(Conference).filter_by(slug=slug))
        counts = dict(
            db.session.execute(
                sa.select(Registration.status, sa.func.count())
                .filter_by(conference_id=conference.id)
                .group_by(Registration.status)
            ).all()
        )
    confirmed, waiting = counts.get("confirmed", 0), counts.get("waiting", 0)
    answered = sum(
        kind["statuses"].get("303", 0) for name, kind in kinds if name == scenario.REGISTER_SUBMIT
    )
    expected_confirmed = min(capacity, args.attendees + answered)
    server_errors = Counter()
    failures = Counter()
    for name, kind in kinds:
        server_errors[name] += sum(n for code, n in kind["statuses"].items() if code[0] == "5")
        failures[name] += kind["failures"]
    server_errors, failures = +server_errors, +failures  # only the kinds that had any
    return {
        "capacity never exceeded, every answered registration counted": (
            confirmed == expected_confirmed and confirmed + waiting == args.attendees + answered,
            f"confirmed {confirmed} of {capacity}, waiting {waiting}, "
            f"{answered} registrations answered",
        ),
        "no 5xx": (not server_errors, str(dict(server_errors)) if server_errors else "none"),
        "no failed request": (not failures, str(dict(failures)) if failures else "none"),
        "outbox drained": (pending == 0, f"{pending} pending"),
    }


def merge_phases(alone: dict, load: dict) -> dict:
    """Per kind: the load phase's figures with its rate, and the ones of the client alone."""
    seconds = load["seconds"] or 1
    return {
        name: {
            **kind,
            "per_second": round(kind["requests"] / seconds, 1),
            "alone": alone["kinds"].get(name, {}),
        }
        for name, kind in load["kinds"].items()
    }


def print_report(args, summary: dict) -> None:
    kinds = summary["kinds"]
    floor = kinds.get(scenario.FLOOR, {})
    print(
        f"\nLoad test: {args.users} people for {summary['seconds']:.0f} s against "
        f"{args.sessions} sessions, {args.attendees} attendees, {args.seats} seats left; "
        f"gunicorn, {args.workers} sync workers, PostgreSQL. First, one client alone for "
        f"{args.alone_seconds} s. Times in ms; x floor: p50 over the floor's p50 of the phase."
    )
    print(f"{'':26}{'--- alone ---':>15}  {'------------------ under load ------------------':48}")
    print(
        f"{'kind of request':26}{'p50':>7}{'x floor':>8}  {'requests':>8}{'req/s':>7}"
        f"{'p50':>7}{'p99':>7}{'x floor':>8}{'errors':>7}{'304s':>6}"
    )
    for name, kind in sorted(kinds.items(), key=lambda item: item[0] == scenario.FLOOR):
        alone = kind["alone"]
        print(
            f"{name:26}{alone.get('p50_ms', 0):7.0f}{times(alone, floor.get('alone', {})):>8}  "
            f"{kind['requests']:8}{kind['per_second']:7.1f}{kind['p50_ms']:7.0f}"
            f"{kind['p99_ms']:7.0f}{times(kind, floor):>8}{kind['failures']:7}"
            f"{not_modified_share(name, kind):>6}"
        )
    total = sum(kind["requests"] for kind in kinds.values())
    print(f"{'all':26}{'':17}{total:8}{total / (summary['seconds'] or 1):7.1f}")
    peaks = summary["worker_peak_rss_mib"]
    print("peak RSS per gunicorn worker (MiB): " + ", ".join(f"{v:.0f}" for v in peaks.values()))
    print(f"mail: {summary['mail']['delivered_files']} messages delivered as files")
    for name, (passed, seen) in summary["checks"].items():
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {seen}")


def times(kind: dict, floor: dict) -> str:
    if not kind.get("p50_ms") or not floor.get("p50_ms"):
        return "-"
    return f"{kind['p50_ms'] / floor['p50_ms']:.1f}"


def not_modified_share(name: str, kind: dict) -> str:
    if name not in scenario.FEED_KINDS:
        return ""
    return f"{kind['statuses'].get('304', 0) / max(1, kind['requests']):.0%}"


if __name__ == "__main__":
    sys.exit(main())
