"""Browser flow: a re-opened consensus is signed again, and a refused form moves focus to its errors."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from drafting.models import Decision, local_today
from drafting.services import drafting, review
from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)
from tests.conftest import coordinator, director, official, sign_data


def test_signatures_discarded_by_a_new_version_are_signed_again(
        browser_page, live_server, db, at_consensus):  # noqa: F811
    page, base = browser_page, live_server
    response = at_consensus
    response_id = response.id
    review.sign_off(response, director("Lund"), 1, sign_data("Lund"))
    section = drafting.working_sections(response)[0]
    drafting.save_section(section, coordinator(), section.heading, section.body + "\n\nTillägg.",
                          section.current_revision.number)
    db.session.commit()

    # The coordinator publishes version 2 and is told whose signatures it discards.
    log_in(page, base, "koordinator@example.se")
    page.goto(f"{base}/responses/{response_id}/draft")
    page.get_by_label("Vad har ändrats?").fill("Tillägg om finansieringen")
    page.get_by_role("button", name="Publicera version 2").click()
    page.get_by_text("Lund har redan skrivit under version 1").wait_for()
    # forms.js moves focus once the page has loaded: wait for it rather than read mid-load.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'confirm-heading'")
    assert Axe().run(page).response["violations"] == []
    page.get_by_role("button", name="Publicera ändå – underskrifterna upphör").click()
    page.get_by_text("Version 2 är publicerad").wait_for()
    assert "skrev under version 1" in page.locator("table.matrix").inner_text()
    log_out(page)

    db.session.expire_all()
    for name in ("Lund", "Malmö"):
        review.record_position(response, official(name), 2, Decision.APPROVE)
    db.session.commit()

    # Lund's director sees the stale signature and signs version 2.
    log_in(page, base, "direktor.lund@example.se")
    page.goto(f"{base}/responses/{response_id}")
    page.get_by_text("Ni skrev under version 1").wait_for()
    page.get_by_label("Undertecknarens namn").fill("")
    page.get_by_label("Beslutsdatum").fill(local_today().isoformat())
    page.get_by_role("button", name="Skriv under version 2 för Lund").click()
    # Refused: focus is on the summary at the top of the form, the message on its field.
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.locator("#signatory_name-error").is_visible()
    page.get_by_label("Undertecknarens namn").fill("Lena Lund")
    page.get_by_role("button", name="Skriv under version 2 för Lund").click()
    # The confirmation shows exactly what is signed; going back keeps what was typed.
    confirm = page.locator(".confirm")
    confirm.get_by_text("Lena Lund, Kommundirektör").wait_for()
    assert "Version 2" in confirm.inner_text() and "Kommunstyrelsen" in confirm.inner_text()
    page.get_by_role("button", name="Ändra uppgifterna").click()
    assert page.get_by_label("Undertecknarens namn").input_value() == "Lena Lund"
    page.get_by_role("button", name="Skriv under version 2 för Lund").click()
    page.get_by_role("button", name="Bekräfta och skriv under version 2").click()
    page.get_by_text("Underskriften är registrerad.").wait_for()
    page.get_by_text("Ni har skrivit under version 2").wait_for()
    assert Axe().run(page).response["violations"] == []
