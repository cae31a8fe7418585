"""Database plumbing shared by every area: UTC timestamps, SQLite locking, write transactions."""

from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from eventreg.core.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """An instant stored as UTC and always returned timezone-aware in UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no zone-aware type, so the naive UTC
    value is stored and UTC is attached again on the way out. Naive datetimes are refused:
    a wall-clock time without a zone is a bug waiting for the next DST change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: attach a time zone before storing")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Foreign keys on, waits instead of instant "database is locked", and transactions
    begun by us (pysqlite's own implicit BEGIN is switched off so that we choose the kind)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def begin_write() -> None:
    """Start the write transaction that a capacity check must run in.

    On SQLite the database-wide write lock is taken up front (``BEGIN IMMEDIATE``) so two
    processes can never both read "one seat left"; an open read transaction is ended first
    (it holds no changes at this point). On PostgreSQL, callers lock the rows they count
    with ``SELECT ... FOR UPDATE`` instead, and this only makes sure a transaction is open.
    """
    session = db.session()  # the Session itself: scoped_session does not proxy in_transaction()
    if session.get_bind().dialect.name != "sqlite":
        session.connection()
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() must run before any change in the transaction")
    if session.in_transaction():
        session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)


def render_migration_type(type_, obj, autogen_context):
    """Let Alembic write UTCDateTime as a plain zone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
