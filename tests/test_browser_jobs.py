"""The PDF's waiting page moves on by itself: static/jobs.js under the real CSP."""

from __future__ import annotations

from tests.browser import browser_page, log_in  # noqa: F401  (fixture)
from tests.test_jobs import FAKE_PDF, converter, thread_jobs  # noqa: F401  (fixtures)


def test_the_pdf_page_fetches_the_file_when_it_is_ready(  # noqa: F811
        browser_page, live_server, db, signed, converter, thread_jobs):  # noqa: F811
    page, base = browser_page, live_server
    response_id = signed.id
    db.session.commit()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(f"{base}/responses/{response_id}/export/final.pdf")
    status = page.get_by_role("status")
    assert status.inner_text() == "PDF skapas…"
    assert page.get_by_role("link", name="Uppdatera").is_visible()
    with page.expect_download(timeout=30000) as download:
        converter.gate.set()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as file:
        assert file.read() == FAKE_PDF
    assert converter.calls == 1
    # No script blocked by the Content-Security-Policy (the browser's own /favicon.ico 404 aside).
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
