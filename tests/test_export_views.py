"""Word export through the pages and the CLI: final, draft-marked, review copy, import, template, PDF."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

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


CORPUS = Path(__file__).parent / "corpus" / "docx"


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


def _upload(client, demo, path: Path):
    return client.post(f"/responses/{demo.id}/export/import",
                       data={"document": (io.BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def test_import_shows_a_preview_and_saves_nothing_until_confirmed(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    before = [(s.heading, s.body) for s in drafting.working_sections(demo)]
    preview = _upload(client, demo, CORPUS / "01_lund_starkare_kommuner.docx")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    # The sections that will be created and the front matter that will be dropped.
    for heading in ("Sammanfattning", "20.1 Förslag om stöd till kommunsammanläggningar"):
        assert heading in page
    assert "Finansdepartementet" in page and "Fi2020/00647/K" in page and "KS 2020/0312" in page
    db.session.expire_all()
    assert [(s.heading, s.body) for s in drafting.working_sections(demo)] == before

    payload = _hidden(page, "payload")
    revision = _hidden(page, "expected_revision")
    done = client.post(f"/responses/{demo.id}/export/import/preview", data={
        "payload": payload, "expected_revision": revision, "mode": "replace", "action": "import",
        "apply": ["reference_number", "sender", "our_reference"],
    })
    assert done.status_code == 302
    db.session.expire_all()
    sections = drafting.working_sections(demo)
    assert [s.heading for s in sections] == [
        "Sammanfattning", "20.1 Förslag om stöd till kommunsammanläggningar",
        "20.2 Förslag om mellankommunal samverkan",
    ]
    assert "[^1]: Se SOU 2020:8" in sections[1].body and "Philip Sandberg" not in sections[2].body
    assert demo.consultation.reference_number == "Fi2020/00647/K"
    assert demo.consultation.sender == "Finansdepartementet"
    assert demo.our_reference == "KS 2020/0312"


def test_import_preview_changes_split_level_and_keeps_front_matter(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    page = _upload(client, demo, CORPUS / "01_lund_starkare_kommuner.docx").get_data(as_text=True)
    refreshed = client.post(f"/responses/{demo.id}/export/import/preview", data={
        "payload": _hidden(page, "payload"), "expected_revision": _hidden(page, "expected_revision"),
        "split_level": "2", "keep": ["1"], "action": "refresh", "mode": "append",
    })
    assert refreshed.status_code == 200
    text = refreshed.get_data(as_text=True)
    assert "20.1.1 Riktat stöd" in re.sub(r"\s+", " ", html.unescape(re.sub("<[^>]+>", " ", text)))
    assert 'id="keep-1" name="keep" value="1" checked' in text


def test_import_with_a_tampered_or_stale_preview_is_refused(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    page = _upload(client, demo, CORPUS / "11_burlov_kort_utan_rubriker.docx").get_data(as_text=True)
    payload = _hidden(page, "payload")
    tampered = client.post(f"/responses/{demo.id}/export/import/preview",
                           data={"payload": payload[:-3] + "abc", "action": "import"})
    assert tampered.status_code == 400
    drafting.add_section(demo, coordinator(), "Nytt", "Skrivet under tiden.")
    db.session.commit()
    stale = client.post(f"/responses/{demo.id}/export/import/preview", data={
        "payload": payload, "expected_revision": _hidden(page, "expected_revision"),
        "mode": "replace", "action": "import"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert "Nytt" in [s.heading for s in drafting.working_sections(demo)]


def test_import_into_an_empty_draft_keeps_an_opening_paragraph_without_heading(app, db, demo):
    for section in drafting.working_sections(demo):
        drafting.remove_section(section, coordinator(), demo.revision)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    page = _upload(client, demo, CORPUS / "03_region_skane_inledande_stycke.docx").get_data(as_text=True)
    done = client.post(f"/responses/{demo.id}/export/import/preview", data={
        "payload": _hidden(page, "payload"), "expected_revision": _hidden(page, "expected_revision"),
        "mode": "replace", "action": "import"})
    assert done.status_code == 302
    db.session.expire_all()
    sections = drafting.working_sections(demo)
    assert [s.heading for s in sections] == ["", "Synpunkter på förslagen", "Konsekvenser"]
    assert sections[0].body.startswith("Region Skåne har tagit del av promemorian")


def test_import_rejects_a_file_that_is_not_word(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    response = client.post(f"/responses/{demo.id}/export/import",
                           data={"document": (io.BytesIO(b"not a zip"), "falsk.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "data-error-summary" in page and 'aria-describedby="import-document-error"' in page
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
def test_pdf_is_made_by_a_job_then_downloaded_or_a_clear_message(app, db, demo):
    from drafting import jobs
    from drafting.export.pdf import soffice_path

    published(db, demo)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    asked = client.get(f"/responses/{demo.id}/export/final.pdf")
    assert asked.status_code == 303
    if not soffice_path():  # the options page says why, and offers Word
        assert "/export/" in asked.headers["Location"]
        return
    waiting = client.get(asked.headers["Location"])
    assert waiting.status_code == 200 and "PDF skapas" in waiting.get_data(as_text=True)
    jobs.run_queued()  # the conversion runs in a job, never inside the request
    ready = client.get(asked.headers["Location"])
    assert ready.status_code == 303
    pdf = client.get(ready.headers["Location"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # Asked again, the stored file comes at once.
    again = client.get(f"/responses/{demo.id}/export/final.pdf")
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_signed_document_uses_formal_names_our_reference_and_the_diarienummer(app, db, signed):
    signed.our_reference = "MLR 2026/7"
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    response = client.get(f"/responses/{signed.id}/export/final.docx")
    assert response.status_code == 200
    document = Document(io.BytesIO(response.data))
    names = [row.cells[0].text for row in document.tables[-1].rows[1:]]
    assert names == ["Malmö stad", "Lunds kommun"]  # chair first, formal names
    reference = signed.consultation.reference_number
    title = next(p.text for p in document.paragraphs if p.style.name == "Title")
    assert title == f"{signed.title}, {reference}"
    head = " ".join(p.text for t in document.sections[0].first_page_header.tables
                    for row in t.rows for c in row.cells for p in c.paragraphs)
    assert "Vår beteckning: MLR 2026/7" in head and f"Er beteckning: {reference}" in head


def test_export_page_suggests_the_subject_and_sets_our_reference(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    page = client.get(f"/responses/{demo.id}/export/").get_data(as_text=True)
    subject = f"{demo.consultation.reference_number} – {demo.title} – {demo.cooperation.name}"
    assert html.escape(subject, quote=True) in page or subject in html.unescape(page)
    refused = client.post(f"/responses/{demo.id}/export/our-reference", data={"our_reference": "x" * 81})
    assert refused.status_code == 400
    assert 'value="' + "x" * 81 + '"' in refused.get_data(as_text=True)  # the typed text stays
    saved = client.post(f"/responses/{demo.id}/export/our-reference", data={"our_reference": " MLR  2026/7 "})
    assert saved.status_code == 303
    db.session.expire_all()
    assert demo.our_reference == "MLR 2026/7"


def test_admin_and_cli_set_a_formal_name(app, db, demo):
    db.session.commit()
    lund = municipality("Lund")
    client = app.test_client()
    login(client, "admin@example.se")
    done = client.post(f"/admin/cooperations/{demo.cooperation_id}/municipalities/{lund.id}/formal-name",
                       data={f"f{lund.id}-formal_name": "Lunds  kommun"})
    assert done.status_code == 302
    db.session.expire_all()
    assert municipality("Lund").document_name == "Lunds kommun"
    result = app.test_cli_runner().invoke(args=["set-formal-name", demo.cooperation.name, "Höör", "Höörs kommun"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert municipality("Höör").formal_name == "Höörs kommun"
    assert municipality("Höör").name == "Höör"  # the short name stays in the interface
