"""Fixtures: one migrated database per run (SQLite, or PostgreSQL via DATABASE_URL), emptied after each test."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from werkzeug.serving import make_server

from drafting import create_app
from drafting.demo import DEMO_PASSWORD, email_for, seed_demo
from drafting.extensions import cache
from drafting.extensions import db as _db
from drafting.models import JointResponse, Municipality, User


def pytest_collection_modifyitems(items) -> None:
    """Every test that needs a browser is marked so, whoever wrote it (`make test-fast` skips them)."""
    for item in items:
        if {"browser_page", "live_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def _database_url(tmp_dir: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_dir / 'test.sqlite'}"


def _reset_schema(app: Flask) -> None:
    engine = _db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    from flask_migrate import upgrade

    upgrade(directory=str(Path(app.root_path) / "migrations"))


class IsolatedClient(FlaskClient):
    """Each request in its own app context, as in production: no shared g, session or user."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first: SQLite lets one writer in at a time.
        from flask import has_app_context

        if has_app_context():
            _db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("db")
    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_dir),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Jobs wait until a test runs them (jobs.run_queued()); tests/test_jobs*.py switch to
        # the thread pool or RQ.
        "JOBS_BACKEND": "manual",
        "JOB_RETRY_DELAYS": (0,),
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        _reset_schema(application)
        _db.session.remove()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()  # close pooled connections: psycopg warns about open ones


def _empty_tables() -> None:
    engine = _db.engine
    tables = [t.name for t in _db.metadata.sorted_tables]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for name in reversed(tables):
                connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def db(app: Flask) -> Iterator:
    """An app context and an empty database for every test."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        _empty_tables()
        cache.clear()  # ids restart with the emptied tables: no rendering may outlive them


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(db) -> JointResponse:
    """The demo cooperation, its people and its remiss (in draft, with four sections)."""
    seed_demo()
    db.session.commit()
    response = db.session.scalars(_db.select(JointResponse)).first()
    db.session.commit()  # end the read: on SQLite every transaction holds the write lock
    return response


def user_by_email(email: str) -> User:
    return _db.session.scalars(_db.select(User).where(User.email == email)).one()


def municipality(name: str) -> Municipality:
    return _db.session.scalars(_db.select(Municipality).where(Municipality.name == name)).one()


def official(name: str) -> User:
    return user_by_email(email_for(name, "tjansteman"))


def director(name: str) -> User:
    return user_by_email(email_for(name, "direktor"))


def coordinator() -> User:
    return user_by_email("koordinator@example.se")


def login(client: FlaskClient, email: str, password: str = DEMO_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@contextmanager
def statements_sent() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block, in order."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1) or match.group(2)


REDIS_TEST_URL = "redis://127.0.0.1:6379/3"


@pytest.fixture
def redis_url() -> str:
    """Redis db 3 on this machine, for tests of what runs on the real Redis. Skipped outside CI
    when Redis is not running; in CI a missing Redis is a failure."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis must run in CI")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return REDIS_TEST_URL


@pytest.fixture
def live_server(app: Flask, db) -> Iterator[str]:
    """The app served over HTTP on a free local port, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


# Scenario fixtures: a response at each stage, built through the services as users would.

def sign_data(name: str, body: str = "Kommunstyrelsen"):
    """What a director fills in when signing for their municipality."""
    from drafting.models import local_today
    from drafting.services.review import SignOffInput

    return SignOffInput(deciding_body=body, decision_date=local_today(),
                        signatory_name=f"Direktör {name}", signatory_title="Kommundirektör",
                        minutes_paragraph="KS § 12")


@pytest.fixture
def join():
    """Participant factory: invite these municipalities and let each official join."""
    from drafting.services import responses

    def _join(response: JointResponse, *names: str) -> JointResponse:
        responses.invite(response, coordinator(), [municipality(n).id for n in names])
        for name in names:
            responses.answer_invitation(response, official(name), join=True)
        return response

    return _join


@pytest.fixture
def in_review(demo, join) -> JointResponse:
    """Lund and Malmö take part; version 1 is published and out for positions."""
    from drafting.services import drafting

    join(demo, "Lund", "Malmö")
    drafting.publish_version(demo, coordinator(), "")
    return demo


@pytest.fixture
def at_consensus(in_review) -> JointResponse:
    """Lund and Malmö have approved version 1."""
    from drafting.models import Decision
    from drafting.services import review

    for name in ("Lund", "Malmö"):
        review.record_position(in_review, official(name), 1, Decision.APPROVE)
    return in_review


@pytest.fixture
def signed(at_consensus) -> JointResponse:
    """Both directors have signed version 1: the response is signed and frozen."""
    from drafting.services import review

    for name in ("Lund", "Malmö"):
        review.sign_off(at_consensus, director(name), 1, sign_data(name))
    return at_consensus


def publish_change(response: JointResponse, note: str = "Ändrad sammanfattning", **kwargs):
    """The coordinator edits the first section and publishes the next version."""
    from drafting.services import drafting

    section = drafting.working_sections(response)[0]
    drafting.save_section(section, coordinator(), section.heading, section.body + "\n\nTillägg.",
                          section.current_revision.number)
    return drafting.publish_version(response, coordinator(), note, **kwargs)
