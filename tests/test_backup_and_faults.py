"""Backup and restore round trip, and a database that goes away in the middle of a request."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from drafting.extensions import cache
from drafting.models import AuditEvent, Comment, Section, User
from drafting.services import drafting
from tests.conftest import coordinator, login


def test_backup_and_restore_round_trip(app, db, demo, tmp_path):
    users_before = db.session.scalar(select(func.count()).select_from(User))
    db.session.commit()
    runner = app.test_cli_runner()
    target = tmp_path / "yttrande.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    drafting.add_section(demo, coordinator(), "Tillägg efter backup", "Ska försvinna vid återläsning.")
    db.session.commit()
    db.session.remove()
    # A page cached after the backup is keyed on stamps the restored database will reach again.
    cache.set("page:after-the-backup", "stale")

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    headings = [s.heading for s in db.session.scalars(select(Section))]
    assert "Tillägg efter backup" not in headings and "Sammanfattning" in headings
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    assert cache.get("page:after-the-backup") is None
    db.session.commit()


def test_restore_refuses_missing_file(app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "saknas"), "--yes"])
    assert result.exit_code != 0


@pytest.mark.parametrize("lost", [
    OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly")),
    InterfaceError("INSERT", {}, Exception("connection already closed")),
    DBAPIError("INSERT", {}, Exception("SSL SYSCALL error: EOF detected"), connection_invalidated=True),
    PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached, connection timed out"),
], ids=["operational", "interface", "invalidated", "pool-timeout"])
def test_database_going_away_mid_request_gives_clean_page_and_no_partial_write(app, db, demo, monkeypatch,
                                                                               lost):
    from drafting.services import comments as comment_service

    section = drafting.working_sections(demo)[0]
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")

    real_record = comment_service.record_event

    def failing_record_event(*args, **kwargs):
        # The comment row is already flushed when the connection drops.
        real_record(*args, **kwargs)
        raise lost

    monkeypatch.setattr(comment_service, "record_event", failing_record_event)
    response = client.post(f"/responses/{demo.id}/sections/{section.id}/comments",
                           data={"body": "Kommentar som inte får sparas halvvägs"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Databasen svarar inte just nu. Inget sparades." in page
    assert "Kommentar som inte får sparas halvvägs" in page  # offered again, not lost
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    monkeypatch.undo()
    assert client.get(f"/responses/{demo.id}").status_code == 200


# --- PostgreSQL terminating the app's connections in the middle of requests -------------------


@pytest.fixture
def postgresql(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's; CI runs this file on PostgreSQL too")
    return db.engine


def terminate_app_connections(engine) -> int:
    """End every other connection to the test database, as a restarting server would; returns
    how many. pg_terminate_backend(pid, timeout) waits until each one is really gone."""
    url = engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as killer:
        rows = killer.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
    return sum(1 for (ended,) in rows if ended)


def comment_url(db, demo) -> str:
    section = drafting.working_sections(demo)[0]
    url = f"/responses/{demo.id}/sections/{section.id}/comments"
    db.session.commit()
    return url


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    result = (db.session.scalar(select(func.count()).select_from(Comment)),
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    db.session.commit()
    return result


UNAVAILABLE = "Databasen svarar inte just nu. Inget sparades."


def test_connection_terminated_mid_write_gives_the_swedish_503(app, db, demo, postgresql, monkeypatch):
    from drafting.services import comments as comment_service

    url = comment_url(db, demo)
    client = app.test_client()
    login(client, "koordinator@example.se")
    before = counts(db)
    real_record = comment_service.record_event

    def record_then_lose_the_connection(*args, **kwargs):
        event = real_record(*args, **kwargs)
        db.session.flush()  # the comment and its event are written, not yet committed
        assert terminate_app_connections(postgresql) >= 1
        return event

    monkeypatch.setattr(comment_service, "record_event", record_then_lose_the_connection)
    response = client.post(url, data={"body": "Kommentar som inte får sparas halvvägs"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert UNAVAILABLE in page and "Kommentar som inte får sparas halvvägs" in page
    monkeypatch.undo()
    assert counts(db) == before
    assert client.get(f"/responses/{demo.id}").status_code == 200


def test_connection_terminated_before_a_refusal_gives_the_refusal(app, db, demo, postgresql, monkeypatch):
    """The error handler's rollback is the first to meet the dead connection: the refusal still
    comes through, not a 500, and the next request works."""
    from drafting.services import drafting as drafting_service
    from drafting.services.errors import Conflict

    section = drafting.working_sections(demo)[0]
    url = f"/responses/{demo.id}/sections/{section.id}/move"
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    before = counts(db)

    def lose_the_connection_then_refuse(*args, **kwargs):
        assert terminate_app_connections(postgresql) >= 1  # the response row is locked: in a transaction
        raise Conflict("Flytten avvisas i testet.")

    monkeypatch.setattr(drafting_service, "move_section", lose_the_connection_then_refuse)
    response = client.post(url, data={"direction": "down", "expected_revision": "0"})
    assert response.status_code == 409
    assert "Flytten avvisas i testet." in response.get_data(as_text=True)
    monkeypatch.undo()
    assert counts(db) == before
    assert client.get(f"/responses/{demo.id}").status_code == 200


def test_connection_terminated_after_the_last_query_keeps_the_answer(app, db, demo, postgresql, monkeypatch):
    """Nothing is left to do but end the transaction in teardown, and that rollback meets the
    dead connection: the page already rendered is still the answer."""
    from drafting.views import responses as response_views

    client = app.test_client()
    login(client, "koordinator@example.se")
    db.session.commit()
    real_render = response_views.render_template

    def render_then_lose_the_connection(template, *args, **kwargs):
        page = real_render(template, *args, **kwargs)
        if template == "responses/show.html":  # the whole page, not a fragment of it
            assert terminate_app_connections(postgresql) >= 1
        return page

    monkeypatch.setattr(response_views, "render_template", render_then_lose_the_connection)
    response = client.get(f"/responses/{demo.id}")
    assert response.status_code == 200
    monkeypatch.undo()
    assert client.get(f"/responses/{demo.id}").status_code == 200


def test_database_gone_while_answering_still_gives_the_swedish_503(app, db, demo, postgresql, monkeypatch):
    """Connections terminated and no new ones accepted: the 503 page needs no database."""
    from drafting.services import comments as comment_service

    url = comment_url(db, demo)
    client = app.test_client()
    login(client, "koordinator@example.se")
    before = counts(db)
    refusing = {"on": False}

    @event.listens_for(postgresql, "do_connect")
    def refuse_connections(*_args):
        if refusing["on"]:
            raise psycopg.OperationalError("connection refused (the test's server is down)")
        return None

    def go_down(*args, **kwargs):
        db.session.flush()
        refusing["on"] = True
        assert terminate_app_connections(postgresql) >= 1
        raise OperationalError("INSERT", {}, psycopg.OperationalError("server closed the connection"))

    monkeypatch.setattr(comment_service, "record_event", go_down)
    try:
        response = client.post(url, data={"body": "Kommentar"})
    finally:
        refusing["on"] = False
        event.remove(postgresql, "do_connect", refuse_connections)
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)
    monkeypatch.undo()
    assert counts(db) == before
    assert client.get(f"/responses/{demo.id}").status_code == 200


def test_pool_pre_ping_stays_on_when_engine_options_are_configured():
    """A deployment's own engine options must not drop the check that replaces dead connections."""
    from flask import Flask

    from drafting.config import load_config

    bare = Flask(__name__)
    load_config(bare, {"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3}})
    assert bare.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_size": 3, "pool_pre_ping": True}
