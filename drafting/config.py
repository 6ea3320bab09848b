"""Configuration: defaults, then instance/config.py, then environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

DEV_SECRET = "dev-only-insecure-secret"


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _typed(value: str):
    """Environment values are text: turn numbers and booleans into what the defaults use."""
    if value.lower() in ("true", "yes", "on"):
        return True
    if value.lower() in ("false", "no", "off"):
        return False
    if value.isdigit():
        return int(value)
    return value


def is_development(app: Flask) -> bool:
    """Development or tests: a fixed secret key and links built on the request's host are fine."""
    return app.config.get("DEVELOPMENT") in (True, "1", "true") or app.debug or app.testing


def large_value_packer():
    """How the page cache's Redis client packs its commands: with redis-py's own packer.

    With hiredis installed (pyproject.toml: it reads the cached document column, hundreds of
    kB, in a fifth of the time) redis-py also packs commands with it, and that copies every
    value into one buffer: 0.8 ms of CPU to store a 470 kB column. redis-py's own packer sends
    a large value as it is (0.1 ms). Replies are still read by hiredis.
    """
    from redis.connection import Encoder, PythonRespSerializer  # only where Redis is used

    # redis-py's defaults: values over 6,000 bytes go out as they are; bytes stay bytes.
    return PythonRespSerializer(6000, Encoder("utf-8", "strict", False).encode)


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and test_config."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        SECRET_KEY=None,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'yttrande.sqlite'}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        BABEL_DEFAULT_LOCALE="sv",
        BABEL_DEFAULT_TIMEZONE="Europe/Stockholm",
        LANGUAGES=("sv", "en"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        MAIL_SERVER=None,
        MAIL_PORT=25,
        MAIL_SENDER="yttrande@localhost",
        DEVELOPMENT=False,
        SESSION_COOKIE_SECURE=False,
        SESSION_IDLE_MINUTES=60,
        SESSION_ABSOLUTE_HOURS=12,
        PROXY_FIX_X_FOR=0,
        REDIS_URL=os.environ.get("REDIS_URL"),
        CACHE_DEFAULT_TIMEOUT=600,
        # Slow work: "rq" with REDIS_URL, else "thread" (a pool in the web process); tests "manual".
        JOBS_BACKEND=None,
        JOBS_THREADS=2,
        JOBS_QUEUE="yttrande",
        # Seconds before the 2nd, 3rd, … attempt of a failed job ("10,60,300" from the environment).
        JOB_RETRY_DELAYS=(10, 60, 300, 1800),
        # Days finished jobs and the files they stored (PDFs, uploaded Word files) are kept; a
        # PDF asked for again after that is made again. Failed jobs stay longer for the admin.
        JOBS_KEEP_DAYS=30,
        FAILED_JOBS_KEEP_DAYS=90,
        LOGIN_LIMIT_ACCOUNT_ADDRESS="5 per 15 minutes",
        LOGIN_LIMIT_ACCOUNT="20 per hour",
        LOGIN_LIMIT_ADDRESS="300 per hour",
        # The address people reach the service at, e.g. https://yttrande.example.se: links in
        # e-mail are built on it. Required outside development, where the request's own Host
        # header would otherwise decide where a password link points.
        EXTERNAL_BASE_URL=None,
        INVITATION_LINK_DAYS=7,
        PASSWORD_RESET_LINK_HOURS=2,
        PASSWORD_LINK_LIMIT_ACCOUNT="3 per hour",
        PASSWORD_LINK_LIMIT_ADDRESS="30 per hour",
    )
    app.config.from_pyfile(str(instance / "config.py"), silent=True)
    if "DATABASE_URL" in os.environ:
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    for key, value in os.environ.items():
        if key.startswith("DRAFTING_"):
            app.config[key.removeprefix("DRAFTING_")] = _typed(value)
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("CACHE_TYPE"):
        # The page cache is shared by all gunicorn workers: Redis when there is one, else
        # files in the instance folder (a per-process cache would be filled once per worker
        # and missed by the others after every change). Tests keep theirs in the process.
        redis_url = app.config.get("REDIS_URL")
        if redis_url:
            app.config["CACHE_TYPE"] = "RedisCache"
            app.config.setdefault("CACHE_REDIS_URL", redis_url)
            app.config.setdefault("CACHE_KEY_PREFIX", "yttrande:")
            app.config.setdefault("CACHE_OPTIONS", {"command_packer": large_value_packer()})
        elif app.testing:
            app.config["CACHE_TYPE"] = "SimpleCache"
        else:
            app.config["CACHE_TYPE"] = "FileSystemCache"
            app.config.setdefault("CACHE_DIR", str(instance / "cache"))
            # A long response's column is a few hundred kB and each section a fragment of its own
            # (views/document_column.py); old versions' entries expire (CACHE_DEFAULT_TIMEOUT).
            app.config.setdefault("CACHE_THRESHOLD", 5000)
    # Test each pooled connection before use, so one the server closed is replaced, not used.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if not app.config.get("SECRET_KEY"):
        if is_development(app):
            app.config["SECRET_KEY"] = DEV_SECRET
        else:
            raise RuntimeError(
                "SECRET_KEY is required outside development: set DRAFTING_SECRET_KEY "
                "or SECRET_KEY in instance/config.py"
            )
