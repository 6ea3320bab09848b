"""Backup and restore round trip, and a database that goes away in the middle of a request."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from drafting.models import Comment, Section, User
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

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    headings = [s.heading for s in db.session.scalars(select(Section))]
    assert "Tillägg efter backup" not in headings and "Sammanfattning" in headings
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before
    db.session.commit()


def test_restore_refuses_missing_file(app, db, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "saknas"), "--yes"])
    assert result.exit_code != 0


def test_database_going_away_mid_request_gives_clean_page_and_no_partial_write(app, db, demo, monkeypatch):
    from drafting.services import comments as comment_service

    section = drafting.working_sections(demo)[0]
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")

    real_record = comment_service.record_event

    def failing_record_event(*args, **kwargs):
        # The comment row is already flushed when the connection drops.
        real_record(*args, **kwargs)
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(comment_service, "record_event", failing_record_event)
    response = client.post(f"/responses/{demo.id}/sections/{section.id}/comments",
                           data={"body": "Kommentar som inte får sparas halvvägs"})
    assert response.status_code == 503
    assert "Databasen svarar inte just nu. Inget sparades." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    monkeypatch.undo()
    assert client.get(f"/responses/{demo.id}").status_code == 200
