"""Limits with clear Swedish messages that keep the text, and history that cannot be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drafting.models import AuditEvent
from drafting.rendering import MAX_BODY_CHARS, MAX_COMMENT_CHARS
from drafting.services import drafting, responses
from tests.conftest import coordinator, login, municipality, official


def test_body_up_to_limit_is_saved_and_over_limit_is_refused_with_text_kept(app, db, demo):
    section = drafting.working_sections(demo)[0]
    base = section.current_revision.number
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    url = f"/responses/{demo.id}/sections/{section.id}/edit"
    just_fits = ("Ord " * (MAX_BODY_CHARS // 4))[:MAX_BODY_CHARS]
    ok = client.post(url, data={"heading": "Sammanfattning", "body": just_fits, "base_revision": base, "save": "1"})
    assert ok.status_code == 302
    too_long = "x" * (MAX_BODY_CHARS + 1)
    refused = client.post(url, data={"heading": "Sammanfattning", "body": too_long,
                                     "base_revision": base + 1, "save": "1"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "för lång" in page and too_long in page


def test_comment_limit(app, db, demo):
    responses.invite(demo, coordinator(), [municipality("Lund").id])
    responses.answer_invitation(demo, official("Lund"), join=True)
    section = drafting.working_sections(demo)[0]
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    url = f"/responses/{demo.id}/sections/{section.id}/comments"
    assert client.post(url, data={"body": "å" * MAX_COMMENT_CHARS}).status_code == 302
    refused = client.post(url, data={"body": "ä" * (MAX_COMMENT_CHARS + 1)})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Kommentaren är för lång" in page and "ä" * (MAX_COMMENT_CHARS + 1) in page


def test_audit_events_cannot_be_changed_or_deleted(db, demo):
    event = db.session.scalars(select(AuditEvent)).first()
    event.summary = "Omskriven historia"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalars(select(AuditEvent)).first()
    db.session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
