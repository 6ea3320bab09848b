"""Engine and session settings: SQLite safe for several writers, and connections that may die."""

from __future__ import annotations

import logging
from typing import TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from .extensions import db

log = logging.getLogger(__name__)

M = TypeVar("M")


def init_app(app: Flask) -> None:
    """Engine settings, and a session teardown that survives a connection the server closed."""
    configure_engine(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse): that one then finds the session already removed.
    app.teardown_appcontext(_remove_session)


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and write transactions that begin at once."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30_000)))


def is_unavailable(error: BaseException) -> bool:
    """Is this the database being unreachable (connection lost or refused, pool exhausted),
    as opposed to a query the database refused?"""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def rollback_safely() -> None:
    """Roll the session back, also when the server has closed its connection.

    The rollback then fails; SQLAlchemy throws such a connection away and the next statement
    gets a fresh one from the pool (checked with pre-ping). The server has already abandoned
    the transaction, so nothing half-written remains either way.
    """
    try:
        db.session.rollback()
    except DBAPIError as error:
        log.warning("rollback failed, discarding the connection: %s", error.orig)
        if not error.connection_invalidated:
            db.session().invalidate()  # not recognised as a disconnect: never reuse it anyway
        db.session.rollback()  # ends the session's transaction; nothing is sent to the server


def _remove_session(_error: BaseException | None) -> None:
    try:
        db.session.remove()
    except DBAPIError as error:
        # The answer is already made; a dead connection must not replace it with a bare 500.
        log.warning("closing the session failed, discarding the connection: %s", error.orig)
        db.session().invalidate()
        db.session.remove()


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    if getattr(engine, "_drafting_configured", False):
        return
    engine._drafting_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Writers queue this long for the lock (SQLITE_BUSY_TIMEOUT_MS) before "locked".
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
        # timeout instead of failing later with "database is locked" on lock upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_for_update(statement, of=None, dialect: str | None = None):
    """Add FOR UPDATE [OF table] where supported (SQLite already serializes writers).

    `of` names the row to lock when eager loads add outer joins, which PostgreSQL cannot lock.
    `dialect` is the database's, when the statement is built for later (else the app's engine).
    """
    if (dialect or db.engine.dialect.name) == "sqlite":
        return statement
    return statement.with_for_update(of=of)


def insert_unless_taken(model: type[M], **values: object) -> M | None:
    """Insert a row of `model` unless one already holds its unique value (a key): the new
    row, loaded in the session, or None when the value was taken, also by a concurrent
    transaction (which this one waits for). One statement, without a savepoint or a read
    before it: the common case of work asked for once costs one round trip.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing().returning(model)
    return db.session.scalars(statement).first()
