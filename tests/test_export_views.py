"""Word export through the pages and the CLI: final, draft-marked, review copy, import, template, PDF."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from drafting.models import Cooperation, Decision, Section, local_today
from drafting.services import comments, drafting, responses, review
from tests.conftest import coordinator, director, login, municipality, official

PAIR = ["Malmö", "Lund"]


def published(db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in PAIR])
    for name in PAIR:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    return demo


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_draft_export_is_marked_as_draft(app, db, demo):
    published(db, demo)
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    response = client.get(f"/responses/{demo.id}/export/final.docx")
    assert response.status_code == 200
    assert "utkast" in response.headers["Content-Disposition"]
    text = all_text(Document(io.BytesIO(response.data)))
    assert "UTKAST" in text and "Sammanfattning" in text


def test_review_copy_has_word_comments_with_replies(app, db, demo):
    published(db, demo)
    section = drafting.working_sections(demo)[0]
    comment = comments.add_comment(demo, official("Lund"), section, "Vad betyder detta?", exact="tillstyrker")
    comments.reply(comment, coordinator(), "Att vi stöder förslaget.")
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    response = client.get(f"/responses/{demo.id}/export/versions/1/review-copy.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    word_comments = list(document.comments)
    assert len(word_comments) == 1
    assert "Tjänsteman Lund" in word_comments[0].author and "Lund" in word_comments[0].author
    assert "Att vi stöder förslaget." in word_comments[0].text
    assert client.get(f"/responses/{demo.id}/export/versions/9/review-copy.docx").status_code == 404


def test_import_word_file_creates_sections(app, db, demo):
    source = Document()
    source.add_heading("Sammanfattning av synpunkter", level=1)
    paragraph = source.add_paragraph("Kommunerna ")
    paragraph.add_run("avstyrker").bold = True
    source.add_paragraph("Första punkten", style="List Bullet")
    source.add_heading("Bakgrund", level=1)
    source.add_paragraph("Text om bakgrunden.")
    buffer = io.BytesIO()
    source.save(buffer)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    before = len(drafting.working_sections(demo))
    response = client.post(f"/responses/{demo.id}/export/import",
                           data={"document": (io.BytesIO(buffer.getvalue()), "remissvar.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    sections = drafting.working_sections(demo)
    assert len(sections) == before + 2
    assert sections[-2].heading == "Sammanfattning av synpunkter"
    assert "**avstyrker**" in sections[-2].body and "- Första punkten" in sections[-2].body


def test_import_rejects_a_file_that_is_not_word(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    response = client.post(f"/responses/{demo.id}/export/import",
                           data={"document": (io.BytesIO(b"not a zip"), "falsk.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "flash-error" in response.get_data(as_text=True)
    assert db.session.scalar(select(Section.id).where(Section.response_id == demo.id).order_by(Section.id.desc()))


def test_official_cannot_import(app, db, demo):
    published(db, demo)
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    response = client.post(f"/responses/{demo.id}/export/import",
                           data={"document": (io.BytesIO(b"x"), "a.docx")}, content_type="multipart/form-data")
    assert response.status_code == 403


def test_admin_uploads_template_used_by_export(app, db, demo):
    template = Document()
    template.sections[0].header.paragraphs[0].text = "MALLENS SIDHUVUD"
    buffer = io.BytesIO()
    template.save(buffer)
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.se")
    bad = client.post(f"/admin/cooperations/{demo.cooperation_id}/template",
                      data={"template": (io.BytesIO(b"PK\x03\x04garbage"), "mall.docx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    good = client.post(f"/admin/cooperations/{demo.cooperation_id}/template",
                       data={"template": (io.BytesIO(buffer.getvalue()), "mall.docx")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    assert db.session.scalar(select(Cooperation.word_template_name)) == "mall.docx"
    published(db, demo)
    db.session.commit()
    login(client, "koordinator@example.se")
    exported = Document(io.BytesIO(client.get(f"/responses/{demo.id}/export/final.docx").data))
    headers = "\n".join(p.text for s in exported.sections for p in s.header.paragraphs)
    assert "MALLENS SIDHUVUD" in headers


def test_cli_export_final_and_review_copy(app, db, demo, tmp_path):
    published(db, demo)
    for name in PAIR:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    for name in PAIR:
        review.sign_off(demo, director(name), 1, review.SignOffInput(
            "Kommunstyrelsen", local_today(), f"Direktör {name}", "Kommundirektör"))
    response_id = demo.id
    db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "final.docx"
    result = runner.invoke(args=["export", str(response_id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = all_text(Document(str(out)))
    assert "Direktör Malmö" in text and "UTKAST" not in text
    result = runner.invoke(args=["export", str(response_id), "--out", str(tmp_path / "r.docx"), "--review-copy"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["export", "999", "--out", str(tmp_path / "x.docx")])
    assert result.exit_code != 0


@pytest.mark.soffice
@pytest.mark.parametrize("path", ["final.pdf"])
def test_pdf_download_or_clear_message(app, db, demo, path):
    from drafting.export.pdf import soffice_path

    published(db, demo)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    response = client.get(f"/responses/{demo.id}/export/{path}")
    if soffice_path():
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    else:
        assert response.status_code == 303
