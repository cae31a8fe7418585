"""Does "forgot password" take the same time whether or not the address has an account?

Posts the form through the app's test client, alternating an address that has an active
account with one that has none, and prints the median time of each and their difference.
The request only records what was asked (the mail sender decides later whether there is
anyone to write to), so the two should be equal within the noise of the run.

    .venv/bin/python bench/forgot_password.py
    .venv/bin/python bench/forgot_password.py --database postgresql://postgres@127.0.0.1/bench

SQLite runs in a fresh file in a temporary folder. A PostgreSQL database given with
``--database`` gets fresh tables: everything in it is dropped first and after.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventreg import create_app  # noqa: E402
from eventreg.accounts.services import create_user  # noqa: E402
from eventreg.core.extensions import db  # noqa: E402

KNOWN = "ada@example.org"
UNKNOWN = "nobody@example.org"


def run(database_url: str, instance: Path, runs: int) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "SERVER_NAME": "bench.example.org",
            "BASE_URL": "https://bench.example.org",
            "MAIL_DELIVER_IN_BACKGROUND": False,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    app.instance_path = str(instance)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        try:
            create_user(None, KNOWN, password="a long enough password")  # noqa: S106
            client = app.test_client()
            samples: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
            for number in range(runs + 5):
                for email in (KNOWN, UNKNOWN) if number % 2 else (UNKNOWN, KNOWN):
                    started = time.perf_counter()
                    response = client.post("/manage/password/forgot", data={"email": email})
                    elapsed = time.perf_counter() - started
                    assert response.status_code == 302, response.status_code
                    if number >= 5:  # the first rounds warm up caches and connections
                        samples[email].append(elapsed)
            known = statistics.median(samples[KNOWN]) * 1000
            unknown = statistics.median(samples[UNKNOWN]) * 1000
            name = db.engine.dialect.name
            print(f"{name}: {runs} requests each")
            print(f"  account exists:   median {known:.2f} ms")
            print(f"  no such account:  median {unknown:.2f} ms")
            print(f"  difference:       {known - unknown:+.2f} ms")
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="also run on this PostgreSQL database")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", Path(folder), args.runs)
        if args.database:
            run(args.database, Path(folder), args.runs)


if __name__ == "__main__":
    main()
