"""Browser flow: an administrator invites a user, who opens the mailed link, chooses a password
and logs in; axe on every account page and on the API documentation."""

from __future__ import annotations

import logging
import re

import pytest

from drafting.extensions import limiter
from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)

LINK_RE = re.compile(r"(https?://\S+/set-password/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def axe_violations(axe, page) -> list[str]:
    return [v["id"] for v in axe.run(page).response["violations"]]


def test_admin_invites_and_the_person_sets_a_password_and_logs_in(
        browser_page, live_server, db, demo, caplog):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    caplog.set_level(logging.WARNING, logger="drafting.services.mailer")
    page, base, axe = browser_page, live_server, Axe()
    coop_id = demo.cooperation_id
    db.session.commit()  # end the read: on SQLite every transaction holds the write lock
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        violations = axe_violations(axe, page)
        if violations:
            problems[name] = violations

    log_in(page, base, "admin@example.se")
    page.goto(f"{base}/admin/cooperations/{coop_id}")
    form = page.locator("form", has=page.get_by_role("button", name="Skapa användare och skicka inbjudan"))
    # Sent empty first: the summary names what is missing, and nothing typed is lost.
    form.get_by_label("Titel").fill("Utredare")
    form.get_by_role("button", name="Skapa användare och skicka inbjudan").click()
    page.locator(".error-summary").wait_for()
    assert page.locator("#title").input_value() == "Utredare"
    check("admin page, refused")
    form = page.locator("form", has=page.get_by_role("button", name="Skapa användare och skicka inbjudan"))
    form.get_by_label("Namn", exact=True).fill("Nina Ny")
    form.get_by_label("E-postadress").fill("nina.ny@example.se")
    form.get_by_label("Roll").select_option(label="Tjänsteman")
    form.get_by_label("Kommun", exact=True).select_option(label="Lund")
    form.get_by_role("button", name="Skapa användare och skicka inbjudan").click()
    page.get_by_text("Nina Ny har fått ett konto").wait_for()
    assert page.get_by_role("row", name=re.compile("Nina Ny")).get_by_text(
        "Inbjuden, har inte valt lösenord än").is_visible()
    check("admin page")
    page.get_by_role("link", name="Nina Ny").click()
    page.get_by_role("heading", name="Nina Ny").wait_for()
    check("user page")
    log_out(page)

    from drafting import jobs

    jobs.run_queued()  # the invitation is mailed by a job (tests run jobs when asked)
    [link] = [m.group(1) for r in caplog.records for m in LINK_RE.finditer(r.getMessage())
              if "nina.ny@example.se" in r.getMessage()]
    page.goto(link)
    check("set password")
    page.get_by_label("Nytt lösenord").fill("ninas-eget-losenord")
    page.get_by_label("Upprepa det nya lösenordet").fill("inte-samma")
    page.get_by_role("button", name="Spara lösenordet").click()
    page.locator(".error-summary").wait_for()
    check("set password, refused")
    page.get_by_label("Nytt lösenord").fill("ninas-eget-losenord")
    page.get_by_label("Upprepa det nya lösenordet").fill("ninas-eget-losenord")
    page.get_by_role("button", name="Spara lösenordet").click()
    page.get_by_text("Ditt lösenord är sparat.").wait_for()
    log_in(page, base, "nina.ny@example.se", "ninas-eget-losenord")
    assert "Nina Ny" in page.locator(".who").inner_text()
    log_out(page)

    page.goto(link)  # used up
    page.get_by_role("heading", name="Länken fungerar inte").wait_for()
    check("link no longer valid")
    page.get_by_role("link", name="Be om en ny länk").click()
    check("forgot password")
    page.get_by_label("E-postadress").fill("nina.ny@example.se")
    page.get_by_role("button", name="Skicka länk").click()
    page.get_by_role("heading", name="Kontrollera din e-post").wait_for()
    check("forgot password, sent")
    page.goto(f"{base}/api/v1/docs")
    assert page.locator("#op-getMe").is_visible()
    check("API documentation")
    assert problems == {}
