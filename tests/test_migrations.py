"""The migrations build exactly the schema the models describe, on a database of their own."""

import logging
import secrets
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from eventreg.config import normalise_database_url
from eventreg.core.extensions import db
from tests.conftest import make_test_app


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database beside the test database: a new SQLite file, or on PostgreSQL a new
    schema (put first on the search path through the connection options), dropped after."""
    url = make_url(normalise_database_url(database_url))
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    schema = f"migration_check_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def keep_logging():
    """Alembic's env.py calls logging.config.fileConfig, which disables every logger it does
    not name; put them back so later tests still see their log records."""
    loggers = dict(logging.Logger.manager.loggerDict)
    disabled = {name: getattr(lg, "disabled", False) for name, lg in loggers.items()}
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for name, was_disabled in disabled.items():
        lg = logging.Logger.manager.loggerDict.get(name)
        if isinstance(lg, logging.Logger):
            lg.disabled = was_disabled
    root.handlers[:] = handlers
    root.setLevel(level)


# Flask-Migrate's stock env.py tries the deprecated get_engine() first.
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_upgrading_to_head_gives_the_schema_of_the_models(
    fresh_database_url, tmp_path: Path, keep_logging
):
    app = make_test_app(fresh_database_url, tmp_path)
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, db.metadata)
                tables = set(sa.inspect(connection).get_table_names())
        finally:
            db.session.remove()
            db.engine.dispose()

    assert {"conference", "talk", "speaker", "alembic_version"} <= tables
    assert differences == [], "models and migrations disagree:\n" + "\n".join(
        str(difference) for difference in differences
    )
