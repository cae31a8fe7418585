"""How fast are the schedule and conference pages of a 1,000-session conference?

Serves both pages through the app's test client and compares the median time with a floor
measured in the same run: rendering the same templates from a context built in advance,
so the ratio shows what loading and preparing the data costs on top of the HTML itself.

    .venv/bin/python bench/schedule_pages.py
    .venv/bin/python bench/schedule_pages.py --database postgresql://postgres@127.0.0.1/bench
    .venv/bin/python bench/schedule_pages.py --profile schedule   # where the time goes

SQLite always runs, in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables too: everything in it is dropped first and after.
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import render_template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Conference  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.demo import load_synthetic  # noqa: E402
from eventreg.site.conferences import conference_context, get_published_or_404  # noqa: E402
from eventreg.site.schedule import schedule_context  # noqa: E402


def paired_medians(first: Callable, second: Callable, runs: int, warmup: int):
    """Median milliseconds of two actions timed in alternation, so that whatever else the
    machine is doing meanwhile weighs on both alike."""
    for _ in range(warmup):
        first()
        second()
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, samples in zip((first, second), timings, strict=True):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
    return tuple(statistics.median(samples) * 1000 for samples in timings)


@contextmanager
def counting_queries(engine: sa.Engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# The pages measured, with how each view loads its data: the floor builds the same context
# once, so that only the rendering is left to time.
PAGES = {
    "schedule": (
        "/c/{slug}/schedule",
        "schedule/schedule.html",
        lambda slug: {
            "view": "grid",
            **schedule_context(get_published_or_404(slug, Conference.rooms, Conference.tracks)),
        },
    ),
    "conference": (
        "/c/{slug}/",
        "conferences/conference.html",
        lambda slug: conference_context(get_published_or_404(slug, Conference.tracks)),
    ),
}


def measure(database_url: str, instance: Path, sessions: int, runs: int, warmup: int, profile):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "RATELIMIT_ENABLED": False,
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        engine = db.engine
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        slug = load_synthetic(sessions, attendees=0, slug="bench").slug
        load_seconds = time.perf_counter() - started
    # From here on every request and every render has an app context (and so a database
    # session) of its own, as under a real server.
    rows = []
    for name, (path, template, build_context) in PAGES.items():
        path = path.format(slug=slug)
        served, floor, queries, size = measure_page(
            app, engine, path, template, build_context, slug, runs, warmup
        )
        rows.append((name, served, floor, queries, size))
        if profile == name:
            print_profile(app, path)
    with app.app_context():
        db.drop_all()
        engine.dispose()
    return load_seconds, rows


def print_profile(app, path: str) -> None:
    client = app.test_client()
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [client.get(path) for _ in range(10)])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def measure_page(app, engine, path, template, build_context, slug, runs, warmup):
    client = app.test_client()

    def serve():
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return response

    size = len(serve().data)
    with counting_queries(engine) as statements:
        serve()

    with app.test_request_context(path):
        context = build_context(slug)

    def render_floor():
        with app.test_request_context(path):
            return render_template(template, **context)

    # The floor must not touch the database, or it would measure more than rendering (its
    # objects are detached now, so a lazy load would fail loudly as well).
    with counting_queries(engine) as floor_statements:
        assert len(render_floor().encode()) == size, "the floor renders a different page"
    assert not floor_statements, floor_statements
    served, floor = paired_medians(serve, render_floor, runs, warmup)
    return served, floor, len(statements), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--database", help="also run on this PostgreSQL database (emptied!)")
    parser.add_argument("--profile", choices=["schedule", "conference"], help="print a profile")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="eventreg-bench-") as folder:
        targets = [("SQLite", "sqlite:///" + str(Path(folder) / "bench.sqlite"))]
        if args.database:
            targets.append(("PostgreSQL", args.database))
        print(f"{args.sessions} sessions; median of {args.runs} runs after {args.warmup} warm-up")
        header = (
            f"{'database':<11} {'page':<11} {'served ms':>10} {'floor ms':>9} "
            f"{'ratio':>6} {'queries':>8} {'KiB':>6}"
        )
        print(header)
        print("-" * len(header))
        for label, url in targets:
            load_seconds, rows = measure(
                url, Path(folder), args.sessions, args.runs, args.warmup, args.profile
            )
            for name, served, floor, queries, size in rows:
                print(
                    f"{label:<11} {name:<11} {served:>10.2f} {floor:>9.2f} "
                    f"{served / floor:>5.2f}x {queries:>8} {size / 1024:>6.0f}"
                )
            print(f"{label:<11} (loading {args.sessions} sessions took {load_seconds:.2f}s)")
    print("floor: the same template rendered from a context built in advance (no queries)")
    print("queries: statements sent per page (on SQLite this counts the BEGIN too)")


if __name__ == "__main__":
    main()
