"""The whole path in a real browser: remiss to co-signed Word file, through the real pages."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document

from drafting.models import local_today
from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)


def test_full_path_in_browser(browser_page, live_server, demo):  # noqa: F811
    page, base = browser_page, live_server
    deadline = (local_today() + timedelta(days=21)).isoformat()

    # The coordinator opens a new response to a remiss.
    log_in(page, base, "koordinator@example.se")
    page.get_by_role("link", name="Öppna nytt yttrande i MalmöLundregionen").click()
    page.get_by_label("Avsändare (departement eller myndighet)").fill("Näringsdepartementet")
    page.get_by_label("Remissens diarienummer").fill("N2026/00777")
    page.get_by_label("Remissens titel").fill("Bättre villkor för småföretag")
    page.get_by_label("Sista svarsdag").fill(deadline)
    page.get_by_label("Fokusområde").select_option("business")
    page.get_by_role("button", name="Öppna yttrandet").click()
    page.get_by_role("heading", name="Yttrande över Bättre villkor för småföretag").wait_for()

    # Invite only Lund and Malmö: nobody is ticked to begin with.
    boxes = page.locator("input[name=municipalities]")
    assert not any(box.is_checked() for box in boxes.all())
    page.get_by_label("Lund", exact=True).check()
    page.get_by_label("Malmö", exact=True).check()
    page.get_by_role("button", name="Skicka inbjudan").click()

    # Write the draft in Markdown and publish version 1.
    page.get_by_role("link", name="Redigera utkast").click()
    sections = [("Sammanfattning", "Kommunerna **tillstyrker** förslaget."),
                ("Synpunkter", "- Enklare regler\n- Snabbare handläggning"),
                ("Avslutning", "Vi står gärna till förfogande.")]
    for heading, body in sections:
        page.get_by_label("Rubrik").fill(heading)
        page.get_by_label("Text (Markdown)").fill(body)
        page.get_by_role("button", name="Lägg till avsnitt").click()
        page.get_by_text("Avsnittet är tillagt.").wait_for()
    page.get_by_role("button", name="Publicera version 1").first.click()
    page.get_by_text("Version 1 är publicerad").wait_for()
    response_url = page.url
    log_out(page)

    # Two officials join, comment and approve.
    for city, email in (("Lund", "tjansteman.lund@example.se"), ("Malmö", "tjansteman.malmo@example.se")):
        log_in(page, base, email)
        page.goto(response_url)
        page.get_by_label("Vi deltar").check()
        page.get_by_role("button", name="Svara på inbjudan").click()
        page.get_by_text("Svaret är registrerat.").wait_for()
        page.locator("summary", has_text="Kommentera avsnittet").first.click()
        page.get_by_label("Kommentar", exact=True).first.fill(f"{city} instämmer i sammanfattningen.")
        page.get_by_role("button", name="Spara kommentar").first.click()
        page.get_by_text("Kommentaren är sparad.").wait_for()
        page.get_by_label("Godkänner", exact=True).check()
        page.get_by_role("button", name="Registrera ställningstagande").click()
        page.get_by_text("Kommunens ställningstagande är registrerat.").wait_for()
        log_out(page)

    # Consensus: both directors sign off.
    for city, email in (("Lund", "direktor.lund@example.se"), ("Malmö", "direktor.malmo@example.se")):
        log_in(page, base, email)
        page.goto(response_url)
        page.get_by_label("Beslutande organ").select_option("Kommunstyrelsen")
        page.get_by_label("Beslutsdatum").fill(local_today().isoformat())
        page.get_by_label("Protokollsparagraf (om någon)").fill("KS § 101")
        page.get_by_label("Undertecknarens namn").fill(f"Direktör {city}")
        page.get_by_label("Undertecknarens titel").fill("Kommundirektör")
        page.get_by_role("button", name=f"Skriv under version 1 för {city}").click()
        page.get_by_role("button", name="Bekräfta och skriv under version 1").click()
        page.get_by_text("Underskriften är registrerad.").wait_for()
        log_out(page)

    # The coordinator sees it signed and downloads the Word file.
    log_in(page, base, "koordinator@example.se")
    page.goto(response_url)
    page.get_by_text("Alla har skrivit under.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner Word").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx")
    assert "N2026" in download.suggested_filename
    data = open(download.path(), "rb").read()
    document = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    everything = text + "\n" + tables
    assert "Yttrande över Bättre villkor för småföretag" in everything
    assert "N2026/00777" in everything
    assert "Näringsdepartementet" in everything
    assert "tillstyrker" in everything and "Snabbare handläggning" in everything
    assert everything.index("Direktör Malmö") < everything.index("Direktör Lund")  # chair first
    assert "Kommunstyrelsen" in everything and "UTKAST" not in everything

    # The review copy of version 1 carries both officials' comments as Word comments.
    page.get_by_role("link", name="Fler format").click()
    with page.expect_download() as review_info:
        page.get_by_role("link", name="Version 1 med kommentarer").click()
    review_copy = Document(io.BytesIO(open(review_info.value.path(), "rb").read()))
    authors = sorted(c.author for c in review_copy.comments)
    assert authors == ["Tjänsteman Lund (Lund)", "Tjänsteman Malmö (Malmö)"]
    assert any("instämmer i sammanfattningen" in c.text for c in review_copy.comments)
