"""Shared fixtures: an app on a clean database per test, on SQLite or PostgreSQL.

The database is chosen by ``EVENTREG_TEST_DATABASE_URL`` (default: a SQLite file in a
temporary folder). Tables are created once per run and emptied after each test.
"""

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, request_started
from hypothesis import settings

from eventreg import create_app
from eventreg.core.extensions import db
from tests.mail.smtp import smtp_server  # noqa: F401  (a real SMTP server for any test)

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile each catalogue whose .mo is missing or older than its .po: the .mo files
    are build artefacts (not in git), and a fresh clone must test in every language."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "eventreg" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


# Locally every run explores new random inputs; under CI the same examples are drawn every
# time, so a landing never depends on the luck of the draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


# The frab schemas and examples: kept with their provenance beside the repository, never
# copied into it.
FRAB_SCHEMAS = ROOT.parent / "shared" / "schemas" / "frab"


@pytest.fixture(scope="session")
def schemas() -> Path:
    """The folder of the frab schemas; missing, it fails under CI and skips elsewhere."""
    if not FRAB_SCHEMAS.is_dir():
        message = f"the frab schemas are not at {FRAB_SCHEMAS}"
        if IN_CI:
            pytest.fail(message + " (under CI they must be present)")
        pytest.skip(message + "; schema validation skipped outside CI")
    return FRAB_SCHEMAS


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("EVENTREG_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


def make_test_app(database_url: str, instance_path: Path, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": "eventreg.test",
        "BASE_URL": "http://eventreg.test",
        "RATELIMIT_ENABLED": False,
        "MAIL_DELIVER_IN_BACKGROUND": False,
    }
    config.update(overrides)
    app = create_app(config)
    app.instance_path = str(instance_path)
    return app


@pytest.fixture(scope="session")
def _schema(database_url, instance_path):
    """Create the tables once per run, from the models (migrations are checked separately)."""
    app = make_test_app(database_url, instance_path)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return True


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def app(_schema, database_url, instance_path, app_config):
    app = make_test_app(database_url, instance_path, **app_config)
    # Tests hold one app context, and test-client requests reuse it; a real server gives each
    # request a fresh one. Forget per-request caches in ``g`` (the logged-in user, the CSRF
    # token of another client's session) so one request never leaks into the next.
    request_started.connect(_forget_request_globals, app)
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _no_mail_thread_outlives_its_test():
    """A sender thread left running would deliver the next tests' mail with this test's
    settings (to an SMTP server long gone): each test stops what it started."""
    yield
    left = [t.name for t in threading.enumerate() if t.name == "eventreg-mail-delivery"]
    assert not left, "a test left the background mail sender running"


def _forget_request_globals(sender, **extra):
    g.__dict__.clear()


def empty_tables() -> None:
    """Delete every row and start the ids from 1 again, as on a new database. Rows are
    deleted rather than truncated: PostgreSQL's TRUNCATE of all the tables took about half a
    second here (new files for every table and index), a DELETE of a test's few rows 4 ms."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.execute(_RESTART_SEQUENCES)


# Every sequence of the schema back to 1 (SQLite's ids restart by themselves once a table
# is empty: its tables have no AUTOINCREMENT).
_RESTART_SEQUENCES = sa.text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c"
    " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries():
    """Count the SQL statements the block sends to the database."""
    counter = QueryCounter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of a form, read from the page like a browser would."""
    match = CSRF_PATTERN.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@contextmanager
def serving(app, wsgi=None):
    """Serve ``app`` (through ``wsgi``, a middleware around it, if given) from a threaded
    server on a free port of 127.0.0.1, as ``make run`` serves it; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi or app.wsgi_app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
