"""How fast are the frab exports (schedule.xml / schedule.json) of a 1,000-session conference?

Serves both through the app's test client and reports median times: cold (the cache
emptied first: the programme loaded and serialized), after one session changed, warm (the
body from the cache, no validator) and a poll answered 304 (If-None-Match, with its count of
queries in brackets), against the floor measured in the same run: serializing the same
schedule, built in advance (lxml's ``tostring`` of the document, ``json.dumps`` of the dictionary).

    .venv/bin/python bench/frab_export.py
    .venv/bin/python bench/frab_export.py --database postgresql://postgres@127.0.0.1/bench

SQLite always runs, in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables too: everything in it is dropped first and after.
"""

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask import json  # noqa: E402

from bench.ical_feed import count_queries, median_ms, run_on_both_databases  # noqa: E402
from eventreg import create_app  # noqa: E402
from eventreg.conferences.models import Conference, Talk  # noqa: E402
from eventreg.core.extensions import cache, db  # noqa: E402
from eventreg.demo import load_synthetic  # noqa: E402
from eventreg.schedule.frab import build_schedule, schedule_json, schedule_xml  # noqa: E402


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
        conference = load_synthetic(sessions, 0, "bench-frab")
        slug, conference_id = conference.slug, conference.id
        client = app.test_client()
        talk_ids = db.session.scalars(
            sa.select(Talk.id).where(Talk.conference_id == conference_id).limit(50)
        ).all()
        with app.test_request_context():
            schedule = build_schedule(db.session.get(Conference, conference_id))
        document = schedule_json(schedule)
        db.session.remove()
        edits = itertools.count()

        def change_one_session():
            number = next(edits)
            talk = db.session.get(Talk, talk_ids[number % len(talk_ids)])
            talk.title = f"Edited session {number}"
            db.session.commit()
            db.session.remove()

        dialect = db.engine.dialect.name
        print(f"\n{dialect}: frab export of {sessions} sessions, median of {runs} runs")
        floors = {
            "xml": lambda: schedule_xml(schedule),
            "json": lambda: json.dumps(document).encode(),
        }
        for kind, floor in floors.items():
            url = f"/c/{slug}/schedule.{kind}"

            def fetch(url: str = url) -> None:
                assert client.get(url).status_code == 200

            floor_ms = median_ms(floor, runs)
            cold_ms = median_ms(fetch, runs, prepare=lambda: (cache.clear(), db.session.remove()))
            changed_ms = median_ms(fetch, runs, prepare=change_one_session)
            warm_ms = median_ms(fetch, runs, prepare=db.session.remove)
            first = client.get(url)
            etag, size = first.headers["ETag"], len(first.data)

            def revalidate(url: str = url, etag: str = etag) -> None:
                assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

            revalidate_ms = median_ms(revalidate, runs * 3, prepare=db.session.remove)
            queries = count_queries(revalidate)
            kib = size / 1024
            name = f"schedule.{kind}"
            print(f"  {name:14} floor: serialize   {floor_ms:8.1f} ms")
            print(f"  {name:14} GET, cold          {cold_ms:8.1f} ms  {kib:.0f} KiB")
            print(f"  {name:14} GET, one changed   {changed_ms:8.1f} ms")
            print(f"  {name:14} GET, warm          {warm_ms:8.1f} ms")
            print(f"  {name:14} GET, 304           {revalidate_ms:8.1f} ms  ({queries} query)")
            print(f"  {name:14} cold / floor       {cold_ms / floor_ms:8.2f} x")
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def main() -> None:
    run_on_both_databases(run, __doc__)


if __name__ == "__main__":
    main()
