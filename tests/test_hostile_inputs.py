"""Hostile input through forms and uploads: each gets a 4xx with a clear message, nothing half-stored.

(The API's hostile inputs are in test_api.py; hostile Markdown in tests/unit/test_rendering.py.)
"""

from __future__ import annotations

import html
import io
import zipfile

import lxml.html
import pytest
from sqlalchemy import func, select

from drafting.models import Comment, Consultation, Position, Section, SectionRevision, Version
from drafting.services import drafting, responses
from tests.conftest import coordinator, login, municipality, official


@pytest.fixture
def setup(app, db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in ("Lund", "Malmö")])
    for name in ("Lund", "Malmö"):
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    section_id = drafting.working_sections(demo)[0].id
    response_id = demo.id
    db.session.commit()
    coord, lund = app.test_client(), app.test_client()
    login(coord, "koordinator@example.se")
    login(lund, "tjansteman.lund@example.se")
    return {"coord": coord, "lund": lund, "rid": response_id, "sid": section_id}


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def user_html(page: str):
    tree = lxml.html.fromstring(page)
    return tree


def test_script_in_markdown_is_inert(setup, db):
    s = setup
    payload = "Hej <script>alert('x')</script> <img src=x onerror=alert(1)> [klick](javascript:alert(1))"
    r = s["coord"].post(f"/responses/{s['rid']}/sections/{s['sid']}/edit",
                        data={"heading": "Rubrik", "body": payload, "base_revision": 1, "save": "1"})
    assert r.status_code == 302
    page = s["coord"].get(f"/responses/{s['rid']}/draft").get_data(as_text=True)
    tree = user_html(page)
    bodies = tree.xpath("//div[@class='section-body']")
    assert bodies
    for body in bodies:
        assert not body.xpath(".//script|.//img|.//iframe")
        assert not [a for a in body.xpath(".//@*") if a.attrname.startswith("on")]
        assert not [h for h in body.xpath(".//a/@href") if "javascript" in h.lower()]


def test_script_in_comment_is_inert(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments",
                       data={"body": "<svg onload=alert(1)><script>alert(2)</script>"})
    assert r.status_code == 302
    page = s["lund"].get(f"/responses/{s['rid']}").get_data(as_text=True)
    tree = user_html(page)
    for body in tree.xpath("//div[@class='comment-body']"):
        assert not body.xpath(".//script|.//svg")
    assert not tree.xpath("//script[not(@src)]")  # no inline script anywhere on the page


def test_quote_with_markup_is_escaped(setup, db):
    s = setup
    s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments",
                   data={"body": "ok", "exact": "tillstyrker", "prefix": "\"><script>x</script>"})
    page = s["lund"].get(f"/responses/{s['rid']}").get_data(as_text=True)
    assert "<script>x</script>" not in page


def test_null_bytes_and_control_characters_are_dropped(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments",
                       data={"body": "Nul\x00l\x01 och\x0b mer"})
    assert r.status_code == 302
    body = db.session.scalars(select(Comment.body)).one()
    assert body == "Null och mer"


def test_invalid_utf8_in_form_does_not_crash(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments",
                       data=b"body=%FF%FE%FDtext", content_type="application/x-www-form-urlencoded")
    assert r.status_code in (302, 400)


@pytest.mark.parametrize("path", [
    "/responses/-1", "/responses/0", "/responses/99999999999999999999999", "/responses/2147483648",
    "/responses/abc", "/responses/1/versions/99999999999999", "/responses/1/sections/9999999999999/edit",
])
def test_negative_huge_and_wrong_type_ids_are_404(setup, path):
    assert setup["coord"].get(path).status_code == 404


def test_heading_too_long_keeps_text(setup, db):
    s = setup
    heading = "R" * 400
    r = s["coord"].post(f"/responses/{s['rid']}/sections",
                        data={"new-heading": heading, "new-body": "Min text"})
    assert r.status_code == 400
    page = html.unescape(r.get_data(as_text=True))
    assert "Min text" in page and heading in page and "längre än 300 tecken" in page


def test_blank_heading_is_refused(setup, db):
    s = setup
    before = count(db, Section)
    r = s["coord"].post(f"/responses/{s['rid']}/sections", data={"new-heading": "   ", "new-body": "Text"})
    assert r.status_code == 400 and count(db, Section) == before


def test_wrong_decision_value(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/position", data={"version_number": "1", "decision": "kanske"})
    assert r.status_code == 400 and count(db, Position) == 0


def test_non_numeric_version_number(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/position", data={"version_number": "ett", "decision": "approve"})
    assert r.status_code == 400 and count(db, Position) == 0
    assert "måste vara ett heltal" in r.get_data(as_text=True)


def test_approve_with_note_without_note(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/position",
                       data={"version_number": "1", "decision": "approve_with_note", "note": ""})
    assert r.status_code == 400
    assert "Skriv den synpunkt" in r.get_data(as_text=True)


def test_duplicated_comment_submission_is_stored_once(setup, db):
    s = setup
    for _ in range(3):
        assert s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments",
                              data={"body": "Samma kommentar"}).status_code == 302
    assert count(db, Comment) == 1


def test_duplicated_publish_makes_no_empty_version(setup, db):
    s = setup
    r = s["coord"].post(f"/responses/{s['rid']}/publish", data={"change_note": "Igen"})
    assert r.status_code == 400 and "Inget har ändrats" in r.get_data(as_text=True)
    assert count(db, Version) == 1


def test_stage_change_from_a_stale_tab(setup, db):
    s = setup
    page = s["coord"].get(f"/responses/{s['rid']}/draft").get_data(as_text=True)
    assert "expected_revision" in page
    r = s["coord"].post(f"/responses/{s['rid']}/sections/{s['sid']}/move",
                        data={"direction": "down", "expected_revision": "0"})
    assert r.status_code == 409
    assert "Ladda om" in r.get_data(as_text=True)


def test_record_sent_before_signed(setup, db):
    s = setup
    r = s["coord"].post(f"/responses/{s['rid']}/sent", data={"sent_on": "2026-11-23"})
    assert r.status_code == 409


def test_deadline_before_received_date(setup, db):
    s = setup
    coop = db.session.scalars(select(Consultation.cooperation_id)).first()
    before = count(db, Consultation)
    r = s["coord"].post(f"/cooperations/{coop}/responses/new", data={
        "sender": "X", "reference_number": "X1", "consultation_title": "Titel",
        "received_on": "2026-12-01", "deadline": "2026-11-01", "focus_area": "other"})
    assert r.status_code == 400 and count(db, Consultation) == before
    assert "Titel" in r.get_data(as_text=True)


def test_unknown_focus_area(setup, db):
    s = setup
    coop = db.session.scalars(select(Consultation.cooperation_id)).first()
    r = s["coord"].post(f"/cooperations/{coop}/responses/new", data={
        "sender": "X", "reference_number": "X1", "consultation_title": "T", "deadline": "2027-01-01",
        "focus_area": "rymden"})
    assert r.status_code == 400


def test_comment_on_section_of_another_response_is_404(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/sections/999999/comments", data={"body": "x"})
    assert r.status_code == 404


def test_official_cannot_invite_or_publish(setup, db):
    s = setup
    assert s["lund"].post(f"/responses/{s['rid']}/invite", data={"municipalities": [1]}).status_code == 403
    assert s["lund"].post(f"/responses/{s['rid']}/publish", data={"change_note": "x"}).status_code == 403
    assert count(db, Version) == 1


def test_official_cannot_sign(setup, db):
    s = setup
    r = s["lund"].post(f"/responses/{s['rid']}/sign-off", data={
        "version_number": "1", "deciding_body": "Kommunstyrelsen", "decision_date": "2026-01-01",
        "signatory_name": "X", "signatory_title": "Y"})
    assert r.status_code == 403


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<" + "a" * (200 * 1024 * 1024) + ">")
    return buffer.getvalue()


def test_zip_bomb_as_docx_import(setup, db):
    s = setup
    before = count(db, Section)
    r = s["coord"].post(f"/responses/{s['rid']}/export/import",
                        data={"document": (io.BytesIO(zip_bomb()), "bomb.docx")},
                        content_type="multipart/form-data")
    assert r.status_code == 400 and count(db, Section) == before


def test_zip_bomb_as_template(setup, db, app):
    admin = app.test_client()
    login(admin, "admin@example.se")
    coop = db.session.scalars(select(Consultation.cooperation_id)).first()
    r = admin.post(f"/admin/cooperations/{coop}/template",
                   data={"template": (io.BytesIO(zip_bomb()), "mall.docx")}, content_type="multipart/form-data")
    assert r.status_code == 400


def test_wrong_upload_type(setup, db):
    s = setup
    r = s["coord"].post(f"/responses/{s['rid']}/export/import",
                        data={"document": (io.BytesIO(b"%PDF-1.4"), "remiss.pdf")},
                        content_type="multipart/form-data")
    assert r.status_code == 400 and "docx" in r.get_data(as_text=True)


def test_upload_too_large(setup, db, app):
    s = setup
    big = io.BytesIO(b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    r = s["coord"].post(f"/responses/{s['rid']}/export/import", data={"document": (big, "stor.docx")},
                        content_type="multipart/form-data")
    assert r.status_code == 413
    assert "för stor" in r.get_data(as_text=True)


def test_missing_upload(setup, db):
    s = setup
    r = s["coord"].post(f"/responses/{s['rid']}/export/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 400


def test_overlong_login_fields(client):
    r = client.post("/login", data={"email": "a" * 5000 + "@x.se", "password": "p" * 5000})
    assert r.status_code == 400


def test_emoji_and_right_to_left_text_survive(setup, db):
    s = setup
    text = "Bra 👍🏽 مرحبا بالعالم שלום"
    s["lund"].post(f"/responses/{s['rid']}/sections/{s['sid']}/comments", data={"body": text})
    assert db.session.scalars(select(Comment.body)).one() == text


def test_section_revision_not_half_stored_on_rejected_markdown(setup, db):
    s = setup
    before = count(db, SectionRevision)
    r = s["coord"].post(f"/responses/{s['rid']}/sections/{s['sid']}/edit",
                        data={"heading": "R", "body": "> " * 400 + "djupt", "base_revision": 1, "save": "1"})
    assert r.status_code == 400
    assert count(db, SectionRevision) == before
    assert "> > > " in html.unescape(r.get_data(as_text=True))  # the text is still in the form


def test_language_switch_with_unknown_locale(client):
    r = client.post("/language", data={"lang-locale": "xx", "next": "/login"})
    assert r.status_code == 302
    assert 'lang="sv"' in client.get("/login").get_data(as_text=True)
