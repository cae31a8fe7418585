"""Database plumbing shared by every area: UTC timestamps, SQLite locking, write transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from eventreg.core.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant stored as UTC and always returned timezone-aware in UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no zone-aware type, so the naive UTC
    value is stored and UTC is attached again on the way out. Naive datetimes are refused:
    a wall-clock time without a zone is a bug waiting for the next DST change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: attach a time zone before storing")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


BUSY_TIMEOUT_MS = 30000  # how long a writer waits for the write lock

_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on, waits instead of instant "database is locked", and transactions
    begun by us (pysqlite's own implicit BEGIN is switched off so that we choose the kind).
    ``secure_delete`` overwrites what is deleted or shrunk with zeros, so erased personal
    data does not linger in free pages (see :func:`checkpoint_sqlite` for the WAL)."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


# How long a checkpoint may wait for readers of older snapshots. Writers wait while it
# does, so it stays far below the busy timeout that other writers give up after.
CHECKPOINT_WAIT_MS = 2000


def checkpoint_sqlite(wait_ms: int = CHECKPOINT_WAIT_MS) -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it: the log
    still holds earlier versions of every page written, erased data included. Waits a
    little for readers of older snapshots; False when some still held on (the log is then
    emptied by a later checkpoint). ``wait_ms`` 0 tries without waiting. Call it after the
    commit, never inside a transaction.
    On other databases it does nothing."""
    if db.engine.dialect.name != "sqlite":
        return True
    # A DBAPI connection in autocommit mode (see _configure_sqlite): no BEGIN around it.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            busy, _log_frames, _checkpointed = cursor.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)"
            ).fetchone()
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.close()
    finally:
        connection.close()
    return not busy


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


# Set in the session's info while write_transaction() is open.
_WRITING = "eventreg.db.writing"


class WriteOutsideTransaction(RuntimeError):
    """A request tried to change the database outside ``write_transaction()``."""


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One action, one transaction: everything written inside commits together, or nothing.

    A domain service wraps each action in this: the change, the promotions it causes, its
    outbox rows and its audit entry. It commits when the block ends and rolls back on any
    exception. Nested uses join the outermost one, so an action built from smaller ones is
    still a single transaction.

    On SQLite any read transaction still open is ended first (it holds no changes) and the
    transaction then begins ``IMMEDIATE``: it takes the database's write lock up front,
    waiting up to the busy timeout, so it can never fail later the way a read transaction
    fails when it tries to become a writer after another process committed. On PostgreSQL
    services lock the rows they count with ``SELECT ... FOR UPDATE`` inside it; under READ
    COMMITTED every statement (each locking read and count) sees what was committed when it
    began, so the read transaction is simply continued (no COMMIT and BEGIN in between).
    Either way, objects loaded before are expired and reloaded on use, as after a commit.
    """
    session = db.session()  # the Session itself: scoped_session does not proxy in_transaction()
    if session.info.get(_WRITING):
        yield session
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_transaction() must begin before any change is made")
    sqlite = session.get_bind().dialect.name == "sqlite"
    if session.in_transaction():
        if sqlite or not _reads_committed(session):
            session.commit()  # ends the read transaction; loaded objects are reloaded on use
        else:
            session.expire_all()  # what the commit would have done, without its round trips
    session.info[_WRITING] = True
    try:
        token = _begin_immediate.set(sqlite)
        try:
            session.connection()
        finally:
            _begin_immediate.reset(token)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITING, None)


def _reads_committed(session: Session) -> bool:
    """Whether the session's open transaction runs at READ COMMITTED (PostgreSQL's default),
    where joining it loses no lock and no fresh read. Asked of the dialect's cached default
    unless the connection was given its own level."""
    connection = session.connection()
    level = connection.get_execution_options().get("isolation_level")
    return (level or connection.dialect.default_isolation_level) == "READ COMMITTED"


def in_write_transaction() -> bool:
    return bool(db.session().info.get(_WRITING))


# Any change a request writes outside write_transaction() fails at once. Without this such a
# change would usually work and sometimes (when another process wrote in between) fail with
# "database is locked" on SQLite; failing every time lets the tests find every such path.
# Tests and commands that prepare data outside a request are not concerned.


@event.listens_for(db.session, "before_flush")
def _refuse_stray_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    if has_request_context() and not session.info.get(_WRITING):
        raise WriteOutsideTransaction("a request changed data outside write_transaction()")


@event.listens_for(db.session, "do_orm_execute")
def _refuse_stray_statement(state: ORMExecuteState) -> None:
    writes = state.is_insert or state.is_update or state.is_delete
    if writes and has_request_context() and not state.session.info.get(_WRITING):
        raise WriteOutsideTransaction("a request wrote outside write_transaction()")


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Let Alembic write UTCDateTime as a plain zone-aware DateTime in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
