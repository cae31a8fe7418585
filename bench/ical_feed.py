"""How fast is the schedule feed (.ics) of a 1,000-session conference?

Serves /c/<slug>/schedule.ics through the app's test client and reports the median time
and size (serialized afresh, and served from the in-process copy kept by ETag), the median
time of a poll that is answered 304 (If-None-Match), and the floor
measured in the same run: the icalendar library serializing the same 1,000 events,
prepared in advance as icalendar components.

    .venv/bin/python bench/ical_feed.py
    .venv/bin/python bench/ical_feed.py --database postgresql://postgres@127.0.0.1/bench

SQLite always runs, in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables too: everything in it is dropped first and after.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icalendar import Calendar  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402
from eventreg.demo import load_synthetic  # noqa: E402
from eventreg.invites import ical  # noqa: E402
from eventreg.invites.events import schedule_events  # noqa: E402
from eventreg.invites.feeds import clear_rendered_cache, refresh_interval  # noqa: E402


def median_ms(action: Callable, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


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
            clear_rendered_cache()  # every run serializes the calendar again
            response = client.get(url)
            assert response.status_code == 200

        def fetch_cached():
            response = client.get(url)
            assert response.status_code == 200

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
        feed_ms = median_ms(fetch, runs)
        cached_ms = median_ms(fetch_cached, runs)
        revalidate_ms = median_ms(revalidate, runs * 3)
        floor_ms = median_ms(floor, runs)

        dialect = db.engine.dialect.name
        print(f"\n{dialect}: schedule feed of {len(prepared)} sessions, median of {runs} runs")
        print(f"  GET schedule.ics          {feed_ms:8.1f} ms  {size / 1024:7.1f} KiB")
        print(f"  GET, serialized earlier   {cached_ms:8.1f} ms  (no validator; same ETag)")
        print(f"  GET with matching ETag    {revalidate_ms:8.1f} ms  (304, empty body)")
        print(f"  floor: icalendar to_ical  {floor_ms:8.1f} ms  {floor_size / 1024:7.1f} KiB")
        print(f"  feed / floor              {feed_ms / floor_ms:8.2f} x")
        print(f"  304 / full feed           {revalidate_ms / feed_ms:8.2f} x")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
