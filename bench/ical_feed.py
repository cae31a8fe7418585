"""How fast is the schedule feed (.ics) of a 1,000-session conference?

Serves /c/<slug>/schedule.ics through the app's test client and reports median times:
cold (every cache emptied first: each event serialized afresh), after one session changed
(the one event serialized again, the others from the cache), warm (the whole body from the
cache, no validator) and a poll answered 304 (If-None-Match, with its count of queries),
against the floor measured in the same run: the icalendar library serializing the same
events, prepared in advance as icalendar components.

    .venv/bin/python bench/ical_feed.py
    .venv/bin/python bench/ical_feed.py --database postgresql://postgres@127.0.0.1/bench

SQLite always runs, in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables too: everything in it is dropped first and after.
"""

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from icalendar import Calendar  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Talk  # noqa: E402
from eventreg.core.extensions import cache, db  # noqa: E402
from eventreg.demo import load_synthetic  # noqa: E402
from eventreg.invites import ical  # noqa: E402
from eventreg.invites.events import schedule_events  # noqa: E402
from eventreg.invites.feeds import refresh_interval  # noqa: E402


def median_ms(
    action: Callable, runs: int, warmup: int = 3, prepare: Callable[[], object] | None = None
) -> float:
    """The median time of ``action``; ``prepare`` runs before each call, untimed.

    Requests of the test client share the bench's app context, and with it one database
    session: benches pass ``db.session.remove`` (or call it) so that each request starts
    with an empty session, as served requests do.
    """
    samples = []
    for run in range(warmup + runs):
        if prepare is not None:
            prepare()
        started = time.perf_counter()
        action()
        if run >= warmup:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def count_queries(action: Callable) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def run(database_url: str, instance: Path, sessions: int, runs: int) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "SERVER_NAME": "bench.example.org",
            "BASE_URL": "https://bench.example.org",
            "MAIL_DELIVER_IN_BACKGROUND": False,
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        conference = load_synthetic(sessions, 0, "bench-feed")
        url = f"/c/{conference.slug}/schedule.ics"
        client = app.test_client()

        first = client.get(url)
        assert first.status_code == 200, first.status
        etag = first.headers["ETag"]
        size = len(first.data)

        def fetch():
            response = client.get(url)
            assert response.status_code == 200

        talk_ids = db.session.scalars(
            sa.select(Talk.id).where(Talk.conference_id == conference.id).limit(50)
        ).all()
        edits = itertools.count()

        def change_one_session():
            # An organizer's edit, committed: the conference's revision moves with it.
            number = next(edits)
            talk = db.session.get(Talk, talk_ids[number % len(talk_ids)])
            talk.title = f"Edited session {number}"
            db.session.commit()
            db.session.remove()

        def revalidate():
            response = client.get(url, headers={"If-None-Match": etag})
            assert response.status_code == 304

        with app.test_request_context():
            prepared = [ical.event_component(event) for event in schedule_events(conference)]
        refresh = refresh_interval()

        def floor():
            calendar = Calendar.new(
                prodid=ical.PRODID,
                method="PUBLISH",
                refresh_interval=refresh,
                subcomponents=prepared,
            )
            return calendar.to_ical()

        floor_size = len(floor())
        db.session.remove()
        floor_ms = median_ms(floor, runs)
        cold_ms = median_ms(fetch, runs, prepare=lambda: (cache.clear(), db.session.remove()))
        changed_ms = median_ms(fetch, runs, prepare=change_one_session)
        warm_ms = median_ms(fetch, runs, prepare=db.session.remove)
        etag = client.get(url).headers["ETag"]
        revalidate_ms = median_ms(revalidate, runs * 3, prepare=db.session.remove)
        queries = count_queries(revalidate)

        dialect = db.engine.dialect.name
        print(f"\n{dialect}: schedule feed of {len(prepared)} sessions, median of {runs} runs")
        print(f"  floor: icalendar to_ical  {floor_ms:8.1f} ms  {floor_size / 1024:7.1f} KiB")
        print(f"  GET, cold (caches empty)  {cold_ms:8.1f} ms  {size / 1024:7.1f} KiB")
        print(f"  GET, one session changed  {changed_ms:8.1f} ms  (one event serialized)")
        print(f"  GET, warm (same ETag)     {warm_ms:8.1f} ms  (body from the cache)")
        print(f"  GET with matching ETag    {revalidate_ms:8.1f} ms  (304, {queries} query)")
        print(f"  cold / floor              {cold_ms / floor_ms:8.2f} x")
        print(f"  changed / floor           {changed_ms / floor_ms:8.2f} x")
        print(f"  304 / floor               {revalidate_ms / floor_ms:8.3f} x")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    run_on_both_databases(run, __doc__)


def run_on_both_databases(run, doc: str) -> None:
    """Parse the command line every feed benchmark shares and ``run`` on a fresh SQLite
    file, then on the PostgreSQL database given with ``--database`` (if any)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL to run against as well")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", Path(folder), args.sessions, args.runs)
        if args.database:
            run(args.database, Path(folder), args.sessions, args.runs)


if __name__ == "__main__":
    main()
