"""No single request holds the database: import limits checked before any write, and no
transaction open while a Word file is parsed or Markdown rendered."""

from __future__ import annotations

import html
import io
import re
import threading
import zipfile

import docx
import pytest
from sqlalchemy import func, select

from drafting.export import docx_import
from drafting.extensions import db as _db
from drafting.limits import MAX_IMPORT_CHARS, MAX_IMPORT_PARAGRAPHS, MAX_SECTIONS_PER_DRAFT
from drafting.models import AuditEvent, Section
from drafting.services import drafting
from drafting.services.errors import InvalidInput
from tests.conftest import coordinator, login

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with_paragraphs(paragraphs: list[str]) -> bytes:
    """A real .docx (python-docx's template and styles) whose body is the given <w:p> XML."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    body = "".join(paragraphs)
    document_xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = document_xml.encode() if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, payload)
    return out.getvalue()


def heading(text: str) -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>'


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def counts(db) -> tuple[int, int]:
    db.session.expire_all()
    result = (db.session.scalar(select(func.count()).select_from(Section)),
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    db.session.commit()  # end the read: on SQLite every transaction holds the write lock
    return result


def upload(client, response_id: int, data: bytes):
    return client.post(f"/responses/{response_id}/export/import",
                       data={"document": (io.BytesIO(data), "remissvar.docx")},
                       content_type="multipart/form-data")


def confirmation(preview_page: str) -> dict:
    """The form data that confirms the import shown on a preview page."""
    fields = dict(re.findall(r'name="(payload|expected_revision)" value="([^"]*)"', preview_page))
    return {**{k: html.unescape(v) for k, v in fields.items()}, "mode": "append", "action": "import"}


@pytest.fixture
def coordinator_client(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    return client


def test_import_with_5000_headings_is_refused_and_writes_nothing(db, demo, coordinator_client):
    data = docx_with_paragraphs([heading(f"Rubrik {i}") for i in range(5000)])
    before = counts(db)
    response = upload(coordinator_client, demo.id, data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"Ett utkast kan ha högst {MAX_SECTIONS_PER_DRAFT} avsnitt" in page
    assert counts(db) == before


@pytest.mark.parametrize("body, message", [
    ([paragraph("Ett stycke.") for _ in range(MAX_IMPORT_PARAGRAPHS + 1)],
     f"fler än {MAX_IMPORT_PARAGRAPHS} stycken"),
    ([heading("Bakgrund"), paragraph("ordet " * (MAX_IMPORT_CHARS // 6 + 1))],
     f"mer än {MAX_IMPORT_CHARS} tecken"),
])
def test_oversized_import_is_refused_before_the_document_is_parsed(db, demo, coordinator_client,
                                                                   monkeypatch, body, message):
    data = docx_with_paragraphs(body)

    def must_not_parse(_data):
        raise AssertionError("the whole document was parsed before its size was checked")

    monkeypatch.setattr(docx_import.mammoth, "convert_to_html", must_not_parse)
    before = counts(db)
    response = upload(coordinator_client, demo.id, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert counts(db) == before


def test_import_just_within_the_limits_is_read(db, demo, coordinator_client):
    body = [heading("Bakgrund")] + [paragraph("Ett stycke.") for _ in range(MAX_IMPORT_PARAGRAPHS - 1)]
    sections_before, _ = counts(db)
    preview = upload(coordinator_client, demo.id, docx_with_paragraphs(body))
    assert preview.status_code == 200
    assert counts(db)[0] == sections_before  # the preview saves nothing
    response = coordinator_client.post(f"/responses/{demo.id}/export/import/preview",
                                       data=confirmation(preview.get_data(as_text=True)))
    assert response.status_code == 302
    assert counts(db)[0] == sections_before + 1


def test_adding_a_section_beyond_the_limit_is_refused_with_the_text_kept(db, demo, coordinator_client):
    room = MAX_SECTIONS_PER_DRAFT - len(drafting.working_sections(demo))
    drafting.add_sections(demo, coordinator(), drafting.prepare_texts(
        [(f"Avsnitt {i}", "Text.") for i in range(room)]))
    db.session.commit()
    before = counts(db)
    response = coordinator_client.post(f"/responses/{demo.id}/sections",
                                       data={"new-heading": "Ett avsnitt för mycket",
                                             "new-body": "Texten som inte får försvinna."})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"Ett utkast kan ha högst {MAX_SECTIONS_PER_DRAFT} avsnitt" in page
    assert "Ett avsnitt för mycket" in page and "Texten som inte får försvinna." in page
    assert counts(db) == before
    with pytest.raises(InvalidInput):
        drafting.add_section(demo, coordinator(), "Via tjänsten", "")
    db.session.rollback()


def write_at_once(response_id: int) -> None:
    """Write the response's row from a connection of our own, failing at once (not after a
    timeout) if another transaction holds the lock."""
    raw = _db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        if _db.engine.dialect.name == "sqlite":
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE joint_response SET revision = revision WHERE id = ?", (response_id,))
            connection.execute("COMMIT")
        else:
            connection.execute("SELECT id FROM joint_response WHERE id = %s FOR UPDATE NOWAIT", (response_id,))
            connection.execute("UPDATE joint_response SET revision = revision WHERE id = %s", (response_id,))
            connection.commit()
    finally:
        raw.invalidate()  # its settings differ from the pool's: never hand it out again


def prepared_request(kind: str, response_id: int, client) -> tuple[str, dict]:
    """URL and keyword arguments of a request that parses: read here, in the test's thread."""
    body = [heading("Sammanfattning"), paragraph("Kommunerna tillstyrker förslaget.")]
    if kind == "import":
        return f"/responses/{response_id}/export/import", {
            "data": {"document": (io.BytesIO(docx_with_paragraphs(body)), "remissvar.docx")},
            "content_type": "multipart/form-data"}
    if kind == "import-confirm":
        preview = upload(client, response_id, docx_with_paragraphs(body)).get_data(as_text=True)
        return f"/responses/{response_id}/export/import/preview", {"data": confirmation(preview)}
    if kind == "add":
        return f"/responses/{response_id}/sections", {
            "data": {"new-heading": "Nytt avsnitt", "new-body": "Text."}}
    section = _db.session.scalars(select(Section).where(Section.response_id == response_id)).first()
    return f"/responses/{response_id}/sections/{section.id}/edit", {
        "data": {"heading": section.heading, "body": "Ny text, sparad medan andra skriver.",
                 "base_revision": section.current_revision.number, "save": "1"}}


@pytest.mark.parametrize("request_kind, module, function", [
    ("import", docx_import, "parse_docx"),  # Word parsing (the preview)
    ("import-confirm", drafting, "render_markdown"),  # Markdown of the imported sections
    ("save", drafting, "render_markdown"),
    ("add", drafting, "render_markdown"),
])
def test_no_transaction_is_held_while_parsing(db, demo, coordinator_client, monkeypatch,
                                              request_kind, module, function):
    """While the request's parser is stopped, another connection writes the same row at once."""
    parsing, resume = threading.Event(), threading.Event()
    real = getattr(module, function)

    def paused(*args, **kwargs):
        parsing.set()
        resume.wait(timeout=120)  # a safety net only: the test thread sets it
        return real(*args, **kwargs)

    monkeypatch.setattr(module, function, paused)
    url, kwargs = prepared_request(request_kind, demo.id, coordinator_client)
    response_id = demo.id
    db.session.commit()
    result: dict = {}

    def run() -> None:
        try:
            result["response"] = coordinator_client.post(url, **kwargs)
        except BaseException as error:  # reported by the test thread
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert parsing.wait(timeout=120), "the request never reached the parser"
        write_at_once(response_id)  # raises if the request holds a transaction or the row lock
    finally:
        resume.set()
        thread.join(timeout=120)
    assert "error" not in result, result.get("error")
    assert result["response"].status_code == (200 if request_kind == "import" else 302)
