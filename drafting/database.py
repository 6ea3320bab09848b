"""Engine settings that make SQLite safe for several writers."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and write transactions that begin at once."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def _configure_sqlite(engine: Engine) -> None:
    if getattr(engine, "_drafting_configured", False):
        return
    engine._drafting_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
        # timeout instead of failing later with "database is locked" on lock upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_for_update(statement, of=None):
    """Add FOR UPDATE [OF table] where supported (SQLite already serializes writers).

    `of` names the row to lock when eager loads add outer joins, which PostgreSQL cannot lock.
    """
    if db.engine.dialect.name == "sqlite":
        return statement
    return statement.with_for_update(of=of)
