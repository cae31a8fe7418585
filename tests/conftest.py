"""Shared fixtures: an app on a clean database per test, on SQLite or PostgreSQL.

The database is chosen by ``EVENTREG_TEST_DATABASE_URL`` (default: a SQLite file in a
temporary folder). Tables are created once per run and emptied after each test.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventreg import create_app
from eventreg.extensions import db

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))


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
    with app.app_context():
        yield app
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def empty_tables() -> None:
    tables = db.metadata.sorted_tables
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(table.delete())


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
