"""Backup and restore of the whole database: SQLite's online backup, or pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from .extensions import cache, db


class BackupError(RuntimeError):
    pass


def _sqlite_path(url) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _pg_env(url) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def backup(target: Path) -> None:
    """Write a consistent copy of the database to target while the app keeps running."""
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    args, env = _pg_env(url)
    completed = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
                               env=env, capture_output=True, text=True, timeout=3600)
    if completed.returncode != 0:
        raise BackupError(completed.stderr.strip() or "pg_dump failed")


def restore(source: Path) -> None:
    """Replace the database's contents with a backup made by backup(), and forget the cached
    pages: the stamps and event ids they are keyed on start again from the backup's."""
    if not source.exists():
        raise BackupError(f"No backup file at {source}.")
    url = make_url(db.engine.url.render_as_string(hide_password=False))
    db.session.remove()
    db.engine.dispose()  # our own pooled connections would hold locks on the tables
    if url.get_backend_name() == "sqlite":
        backup_db = sqlite3.connect(source)
        live = sqlite3.connect(_sqlite_path(url))
        try:
            with live:
                backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
        cache.clear()
        return
    args, env = _pg_env(url)
    completed = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                "--single-transaction", *args, str(source)],
                               env=env, capture_output=True, text=True, timeout=3600)
    if completed.returncode != 0:
        raise BackupError(completed.stderr.strip() or "pg_restore failed")
    cache.clear()
