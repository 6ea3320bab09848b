"""Browser flow: a municipality's meeting calendar is imported, the plan warns about a body that
meets after the deadline, the coordinator moves a date and asks for more time; axe finds nothing."""

from __future__ import annotations

from datetime import timedelta

from axe_playwright_python.sync_playwright import Axe

from drafting.models import local_today
from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)
from tests.conftest import municipality
from tests.test_decision_basis import meeting_system_export


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_plan_from_an_imported_calendar_to_an_extension(
        browser_page, live_server, db, demo, join, tmp_path):  # noqa: F811
    page, base = browser_page, live_server
    join(demo, "Lund", "Eslöv")
    response_id, cooperation_id, deadline = demo.id, demo.cooperation_id, demo.deadline
    eslov = municipality("Eslöv").id
    export = tmp_path / "eslov-sammantraden.ics"
    export.write_bytes(meeting_system_export(local_today()))
    db.session.commit()  # and read nothing more: SQLite's readers hold the live server's writers

    # Eslöv's official reads in the meeting system's calendar.
    log_in(page, base, "tjansteman.eslov@example.se")
    page.goto(f"{base}/cooperations/{cooperation_id}/municipalities/{eslov}/calendar")
    page.get_by_label("iCalendar-fil (.ics)").set_input_files(str(export))
    page.get_by_role("button", name="Läs in kalendern").click()
    page.get_by_text("3 sammanträden är inlästa.").wait_for()
    assert page.get_by_role("cell", name="Kommunstyrelsens arbetsutskott").count() == 1
    assert Axe().run(page).response["violations"] == []
    log_out(page)

    # The coordinator sees the warning, as words and on the timeline, and moves a date.
    log_in(page, base, "koordinator@example.se")
    page.goto(f"{base}/responses/{response_id}")
    page.get_by_role("link", name="Plan och beslut").click()
    warning = page.locator(".plan-warnings")
    warning.get_by_text("Eslövs kommunstyrelse sammanträder").wait_for()
    assert "välj arbetsutskottet" in warning.inner_text()
    assert "Sista svarsdag" in page.locator("ol.timeline").inner_text()
    assert Axe().run(page).response["violations"] == []
    day = (deadline - timedelta(days=25)).isoformat()
    page.get_by_label("Sista dag för synpunkter").fill(day)
    page.get_by_role("button", name="Spara datumen").click()
    page.get_by_text("Planens datum är sparade.").wait_for()
    assert "ändrat av koordinatorn" in page.locator("ol.timeline").inner_text()
    # A date after the deadline is refused at the top of the form, the message on its field.
    page.get_by_label("Sista dag för ställningstaganden").fill(
        (deadline + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Spara datumen").click()
    page.locator("[data-error-summary]").wait_for()
    assert page.locator("#positions_due-error").is_visible()
    assert Axe().run(page).response["violations"] == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Ta fram en begäran om anstånd (Word)").click()
    assert download.value.suggested_filename.endswith("anstånd.docx")
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{base}/responses/{response_id}/plan")
        assert _fits(page), width
