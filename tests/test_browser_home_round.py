"""Browser flow of the home round: Lund's official invites two colleagues, they choose their
passwords from the e-mailed links and comment, Lund lifts one point; Malmö's official sees only
the lifted comment. axe-core on every new page."""

from __future__ import annotations

import logging
import re

import pytest

from drafting import jobs
from drafting.extensions import limiter
from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)
from tests.conftest import coordinator, municipality, official

LINK_RE = re.compile(r"(https?://\S+/set-password/[A-Za-z0-9_-]+)")
PLANNING = "Planavdelningen saknar dagvattenfrågan i sammanfattningen."
ENVIRONMENT = "Miljöförvaltningen vill att bullret längs Södra stambanan nämns."
LIFTED = "Lund vill att bullret längs Södra stambanan nämns."


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
               && !e.classList.contains('visually-hidden'))
  .map(e => `${e.tagName}.${e.className}: ${e.scrollWidth}/${e.clientWidth}`)"""


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_lund_runs_a_home_round_and_malmo_sees_only_the_lifted_point(
        browser_page, live_server, db, demo, caplog):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    from drafting.services import drafting, responses

    caplog.set_level(logging.WARNING, logger="drafting.services.mailer")
    responses.invite(demo, coordinator(), [municipality("Lund").id, municipality("Malmö").id])
    for name in ("Lund", "Malmö"):
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    response_id, title = demo.id, demo.title
    db.session.commit()  # and read nothing more: on SQLite a transaction holds the write lock
    page, base, axe = browser_page, live_server, Axe()
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        violations = [v["id"] for v in axe.run(page).response["violations"]]
        if violations:
            problems[name] = violations

    # Lund's official opens the home round from the response page and invites two colleagues.
    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(f"{base}/responses/{response_id}")
    page.get_by_role("link", name="Hemmaberedning", exact=True).click()
    page.get_by_role("heading", name=re.compile("Hemmaberedning inom Lund")).wait_for()
    check("home round, empty")
    form = page.locator("#invite-reviewer-form")
    form.get_by_label("Titel eller förvaltning").fill("Planavdelningen")
    form.get_by_role("button", name="Bjud in till hemmaberedningen").click()
    page.locator(".error-summary").wait_for()
    assert page.get_by_label("Titel eller förvaltning").input_value() == "Planavdelningen"
    check("home round, refused invitation")
    for email, name, department in (("petra.plan@lund.example.se", "Petra Plan", "Planavdelningen"),
                               ("mira.miljo@lund.example.se", "Mira Miljö", "Miljöförvaltningen")):
        form = page.locator("#invite-reviewer-form")
        form.get_by_label("Kollegans e-postadress").fill(email)
        form.get_by_label("Namn (behövs om kollegan inte har något konto)").fill(name)
        form.get_by_label("Titel eller förvaltning").fill(department)
        form.get_by_role("button", name="Bjud in till hemmaberedningen").click()
        page.get_by_text(f"{name} är inbjuden").wait_for()
    log_out(page)

    # Each colleague chooses a password through the mailed link and comments inside Lund.
    jobs.run_queued()  # the invitations are mailed by jobs, never inside the request
    links = {email: m.group(1) for r in caplog.records for m in LINK_RE.finditer(r.getMessage())
             for email in ("petra.plan@lund.example.se", "mira.miljo@lund.example.se")
             if email in r.getMessage()}
    for email, text, words in (("petra.plan@lund.example.se", PLANNING, ""),
                               ("mira.miljo@lund.example.se", ENVIRONMENT, "Södra stambanan")):
        page.goto(links[email])
        page.get_by_label("Nytt lösenord").fill("kollegans-losenord")
        page.get_by_label("Upprepa det nya lösenordet").fill("kollegans-losenord")
        page.get_by_role("button", name="Spara lösenordet").click()
        page.get_by_text("Ditt lösenord är sparat.").wait_for()
        log_in(page, base, email, "kollegans-losenord")
        check(f"dashboard of {email}")
        page.get_by_role("link", name=title).first.click()
        page.get_by_role("heading", name=re.compile("Hemmaberedning inom Lund")).wait_for()
        section = page.locator("section.doc-section").first
        section.locator("summary", has_text="Kommentera internt").click()
        if words:
            section.get_by_label("Orden kommentaren gäller (valfritt)").fill(words)
        section.get_by_label("Intern kommentar").fill(text)
        section.get_by_role("button", name="Spara intern kommentar").click()
        page.get_by_text("Din interna kommentar är sparad.").wait_for()
        check(f"home round after {email} commented")
        log_out(page)

    # Lund's official sees what the home round said beside the position form and lifts one point.
    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(f"{base}/responses/{response_id}")
    summary = page.locator(".home-summary")
    assert "2 interna kommentarer" in summary.inner_text() and "Mira Miljö" in summary.inner_text()
    check("response page with the home round beside the position form")
    summary.get_by_role("link", name="Öppna hemmaberedningen").click()
    thread = page.locator("li.thread", has_text=ENVIRONMENT)
    thread.locator("summary", has_text="Lyft synpunkten").click()
    thread.get_by_label("Kommunens kommentar i den gemensamma diskussionen").fill(LIFTED)
    thread.get_by_role("button", name="Lyft som kommentar från Lund").click()
    page.get_by_text("Synpunkten finns nu i den gemensamma diskussionen").wait_for()
    check("home round after lifting")
    for width in (320, 768, 1280):  # no page wider than the window
        page.set_viewport_size({"width": width, "height": 900})
        # Named in the failure: what overflows its box (visually hidden text aside).
        wide = page.evaluate(OVERFLOWING)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (width, wide)
    log_out(page)

    # Malmö's official sees the lifted comment, attributed to Lund, and nothing of the round.
    log_in(page, base, "tjansteman.malmo@example.se")
    page.goto(f"{base}/responses/{response_id}")
    comment = page.locator("article.comment", has_text=LIFTED)
    assert ", Lund" in comment.inner_text()
    content = page.content()
    for secret in (PLANNING, ENVIRONMENT, "Mira Miljö", "Petra Plan"):
        assert secret not in content
    page.goto(f"{base}/responses/{response_id}/home")
    assert "Hemmaberedning inom Malmö" in page.content() and ENVIRONMENT not in page.content()
    check("Malmö's own home round")
    assert problems == {}
