"""Every page at 320, 390, 768 and 1280 px: never wider than the window, no element sticking out
(except inside a scroll region marked for it), and axe-core finds nothing; a subset without JS.

The pages come from the app's URL map: a new page that no walk below visits fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from tests.conftest import coordinator, municipality, official
from tests.scenarios import build_stage

WIDTHS = (320, 390, 768, 1280)
CORPUS_DOCX = Path(__file__).parent / "corpus" / "docx" / "01_lund_starkare_kommuner.docx"

# What sticks out: the document itself, or any visible element beyond either edge of the window.
# Children of a marked scroll region (a focusable, labelled .table-scroll) may be wider: they scroll there.
OVERFLOW = """() => {
  const w = window.innerWidth;
  const out = [];
  const docWidth = document.documentElement.scrollWidth;
  if (docWidth > w) out.push('document ' + docWidth + ' > ' + w);
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.skip-link, .visually-hidden, [hidden]')) continue;
    if (el.parentElement && el.parentElement.closest('.table-scroll[tabindex="0"][aria-label]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > w + 1 || r.left < -1) {
      const cls = (el.getAttribute('class') || '').trim().replace(/\\s+/g, '.');
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls : '') +
               ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' > ' + w);
    }
  }
  return out.slice(0, 8);
}"""

# Pages that are files, not pages; and pages a browser cannot reach in tests.
NOT_PAGES = {"static", "export.final_docx", "export.final_pdf", "export.review_copy_docx",
             "responses.audit_csv", "reports.followup_csv", "api.openapi",
             "home.review_copy", "planning.plan_ics", "planning.extension_docx",
             "planning.basis_docx", "export.pdf_file", "export.pdf_job_status",
             "export.import_job_status"}


def html_page_endpoints(app) -> set[str]:
    endpoints = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.startswith("/api/") and rule.endpoint != "api_docs.docs":
            continue
        endpoints.add(rule.endpoint)
    return endpoints


class Walk:
    """One browser context per person; every page measured at every width, axe on each."""

    def __init__(self, browser, app, base: str, *, javascript: bool = True, axe: bool = True,
                 widths=WIDTHS):
        from axe_playwright_python.sync_playwright import Axe

        self.browser, self.app, self.base = browser, app, base
        self.javascript, self.widths = javascript, widths
        self.axe = Axe() if axe else None
        self.failures: list[str] = []
        self.visited: set[str] = set()
        self.page = None

    def as_person(self, email: str | None, password: str = "demo-losenord"):
        if self.page is not None:
            self.page.context.close()
        context = self.browser.new_context(locale="sv-SE", java_script_enabled=self.javascript,
                                           viewport={"width": 1280, "height": 900})
        self.page = context.new_page()
        self.page.set_default_timeout(15000)
        self.who = email or "anonymous"
        if email:
            self.page.goto(f"{self.base}/login")
            self.page.get_by_label("E-postadress").fill(email)
            self.page.get_by_label("Lösenord").fill(password)
            self.page.get_by_role("button", name="Logga in").click()
            self.page.wait_for_url(f"{self.base}/")
        return self.page

    def endpoint_of(self, url: str) -> str | None:
        from urllib.parse import urlsplit

        from werkzeug.exceptions import HTTPException

        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(urlsplit(url).path, method="GET")
        except HTTPException:
            return None
        return endpoint

    def check(self, label: str, *, expect_status: int | None = None) -> None:
        """Measure the page now shown at each width, then run axe on it."""
        page = self.page
        name = f"{self.who} {label} ({page.url.removeprefix(self.base)})"
        endpoint = self.endpoint_of(page.url)
        if endpoint:
            self.visited.add(endpoint)
        for width in self.widths:
            page.set_viewport_size({"width": width, "height": 800})
            problems = page.evaluate(OVERFLOW)
            if problems:
                self.failures.append(f"{name} at {width}px: {problems}")
        if self.axe is not None:
            page.set_viewport_size({"width": 390, "height": 800})
            violations = [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
                          for v in self.axe.run(page).response["violations"]]
            if violations:
                self.failures.append(f"{name} axe: {violations}")
        page.set_viewport_size({"width": 1280, "height": 900})

    def visit(self, path: str, label: str | None = None, status: int = 200) -> None:
        answer = self.page.goto(f"{self.base}{path}")
        if answer.status != status:
            self.failures.append(f"{self.who} {path}: status {answer.status}, expected {status}")
        self.check(label or path)

    def submit(self, button) -> None:
        """Press a button that posts its form, and wait until the answer has loaded."""
        with self.page.expect_navigation():
            button.click()
        self.page.wait_for_load_state("load")

    def close(self):
        if self.page is not None:
            self.page.context.close()


@pytest.fixture
def browser(live_server):
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def walk_response(walk: Walk, ids: dict, stage: str, role: str) -> None:
    r = ids["response"]
    has_versions = stage != "draft"
    walk.visit(f"/responses/{r}", f"{stage} response page")
    walk.visit(f"/responses/{r}/matrix")
    walk.visit(f"/responses/{r}/versions")
    walk.visit(f"/responses/{r}/audit")
    walk.visit(f"/responses/{r}/export/")
    walk.visit(f"/responses/{r}/plan")
    if role == "official":  # Lund's own home round
        walk.visit(f"/responses/{r}/home")
    if has_versions:
        walk.visit(f"/responses/{r}/versions/1")
        walk.visit(f"/responses/{r}/compare?from=1&to=2")
    if stage in ("draft", "review", "consensus"):  # the discussion closes with the text
        walk.visit(f"/responses/{r}/comments/{ids['comment']}/replies")
    if role == "coordinator" and stage in ("draft", "review", "consensus"):
        walk.visit(f"/responses/{r}/draft")
        walk.visit(f"/responses/{r}/sections/{ids['section']}/edit")


@pytest.mark.parametrize("stage", ["draft", "review", "consensus", "signed", "sent"])
def test_response_pages_fit_every_width_for_every_role(browser, app, live_server, db, demo, join, stage):
    ids = build_stage(db, demo, join, stage)
    walk = Walk(browser, app, live_server)
    try:
        for role, email in (("coordinator", "koordinator@example.se"),
                            ("official", "tjansteman.lund@example.se"),
                            ("director", "direktor.malmo@example.se")):
            walk.as_person(email)
            walk.visit("/", "overview")
            walk_response(walk, ids, stage, role)
    finally:
        walk.close()
    assert not walk.failures, "\n".join(walk.failures)


def test_every_other_page_fits_every_width(browser, app, live_server, db, demo, join, monkeypatch):
    """The pages around the response, and the pages reached by posting a form (confirmations,
    previews, the edit conflict), at every width with axe; together with the test above they
    visit every page of the URL map."""
    from drafting.models import PasswordLinkPurpose, local_today
    from drafting.services import drafting, passwords

    ids = build_stage(db, demo, join, "consensus")
    r, s = ids["response"], ids["section"]
    _, secret = passwords.issue_link(official("Lomma"), PasswordLinkPurpose.INVITATION, None)
    lund_id = municipality("Lund").id
    db.session.commit()  # no transaction of this thread holds the database while the browser walks
    walk = Walk(browser, app, live_server)
    try:
        page = walk.as_person(None)
        walk.visit("/login", "login")
        walk.visit("/forgot-password")
        page.get_by_label("E-postadress").fill("tjansteman.lund@example.se")
        walk.submit(page.get_by_role("button", name="Skicka länk"))
        walk.check("forgot password sent")
        walk.visit(f"/set-password/{secret}", "set password")
        walk.visit("/set-password/not-a-link", "link invalid", status=404)
        walk.visit("/api/v1/docs", "API docs")

        page = walk.as_person("koordinator@example.se")
        walk.visit("/", "overview")
        walk.visit("/archive")
        walk.visit("/notifications")
        walk.visit("/profile")
        walk.visit(f"/cooperations/{ids['cooperation']}/report")
        walk.visit(f"/cooperations/{ids['cooperation']}/responses/new")
        walk.visit("/responses/999999", "not found", status=404)
        walk.visit(f"/responses/{r}/compare")
        # Removing a section asks first.
        walk.visit(f"/responses/{r}/draft")
        walk.submit(page.locator(f"#section-{s}").get_by_role("button", name="Ta bort"))
        walk.check("confirm remove")
        # Publishing over Lund's signature asks first.
        walk.visit(f"/responses/{r}/draft")
        walk.submit(page.get_by_role("button", name="Publicera version 3"))
        walk.check("confirm publish")
        # A Word letter's preview.
        walk.visit(f"/responses/{r}/draft")
        page.locator("#import-document").set_input_files(str(CORPUS_DOCX))
        walk.submit(page.get_by_role("button", name="Läs in", exact=True))
        walk.check("import preview")
        # A large letter is read by a job: the page waits for it (jobs run only when asked here).
        from drafting.services import imports

        monkeypatch.setattr(imports, "IMPORT_IN_JOB_BYTES", 0)
        walk.visit(f"/responses/{r}/draft")
        page.locator("#import-document").set_input_files(str(CORPUS_DOCX))
        walk.submit(page.get_by_role("button", name="Läs in", exact=True))
        walk.check("import waiting for its job")
        monkeypatch.undo()
        # A PDF is made by a job: the page says it is being made.
        walk.visit(f"/responses/{r}/export/final.pdf", "PDF waiting for its job")
        # Someone else saved the section meanwhile: the conflict page.
        walk.visit(f"/responses/{r}/sections/{s}/edit")
        section = drafting.working_sections(demo)[0]
        drafting.save_section(section, coordinator(), section.heading, section.body + "\n\nAnnat.",
                              section.current_revision.number)
        db.session.commit()
        page.locator("textarea").first.fill("Min ändrade text")
        walk.submit(page.get_by_role("button", name="Spara").first)
        walk.check("edit conflict")

        page = walk.as_person("direktor.malmo@example.se")
        walk.visit(f"/responses/{r}")
        form = page.locator("#sign-form")
        form.get_by_label("Beslutsdatum").fill(local_today().isoformat())
        form.get_by_label("Undertecknarens namn").fill("Direktör Malmö")
        form.get_by_label("Undertecknarens titel").fill("Kommundirektör")
        walk.submit(form.get_by_role("button"))
        walk.check("confirm sign-off")

        walk.as_person("tjansteman.lund@example.se")
        walk.visit(f"/responses/{r}/home", "Lund's home round")

        walk.as_person("admin@example.se")
        walk.visit(f"/admin/cooperations/{ids['cooperation']}", "admin cooperation")
        walk.visit(f"/admin/cooperations/{ids['cooperation']}/users/{ids['user']}", "admin user")
        walk.visit(f"/admin/cooperations/{ids['cooperation']}/jobs", "failed jobs")
        walk.visit(f"/cooperations/{ids['cooperation']}/municipalities/{lund_id}"
                   "/calendar", "meeting calendar")
        walk.as_person("koordinator@example.se")
        walk_response(walk, ids, "consensus", "coordinator")
    finally:
        walk.close()
    assert not walk.failures, "\n".join(walk.failures)
    assert html_page_endpoints(app) <= walk.visited, html_page_endpoints(app) - walk.visited


@pytest.mark.parametrize("stage", ["review", "signed"])
def test_pages_fit_without_javascript(browser, app, live_server, db, demo, join, stage):
    ids = build_stage(db, demo, join, stage)
    walk = Walk(browser, app, live_server, javascript=False, axe=False, widths=(320, 1280))
    try:
        for role, email in (("coordinator", "koordinator@example.se"),
                            ("official", "tjansteman.lund@example.se"),
                            ("director", "direktor.malmo@example.se")):
            walk.as_person(email)
            walk.visit("/", "overview")
            walk_response(walk, ids, stage, role)
    finally:
        walk.close()
    assert not walk.failures, "\n".join(walk.failures)


def test_looks_current_page_stage_label_language_and_status_above_the_fold(browser, app, live_server, db,
                                                                          demo, join):
    ids = build_stage(db, demo, join, "consensus")
    r = ids["response"]
    walk = Walk(browser, app, live_server, axe=False)
    try:
        for email in ("koordinator@example.se", "tjansteman.lund@example.se", "direktor.malmo@example.se"):
            page = walk.as_person(email)
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{live_server}/responses/{r}")
            # The status is read before anything else below the head, and is on a phone's first screen.
            status = page.locator(".status-box").bounding_box()
            assert status["y"] + 60 < 844, (email, status)
            for later in (".next-step", ".document-column", ".side-column"):
                if page.locator(later).count():
                    assert page.locator(later).first.bounding_box()["y"] > status["y"], (email, later)
        # The current tab and menu item are marked, in words and in looks.
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server}/responses/{r}/matrix")
        current = page.locator('.tabs a[aria-current="page"]')
        assert current.count() == 1 and current.inner_text() == "Ställningstaganden"
        other = page.locator(".tabs a:not([aria-current])").first
        assert current.evaluate("e => getComputedStyle(e).fontWeight") != other.evaluate(
            "e => getComputedStyle(e).fontWeight")
        page.goto(f"{live_server}/responses/{r}/compare?from=1&to=2")
        assert page.locator('.tabs a[aria-current="page"]').inner_text() == "Versioner"
        page.goto(f"{live_server}/notifications")
        assert page.locator('.nav a[aria-current="page"]').inner_text() == "Aviseringar"
        # A stage label is a word, not something that looks pressable: no box, no border.
        badge = page.goto(f"{live_server}/responses/{r}") and page.locator(".badge").first
        looks = badge.evaluate("""e => { const s = getComputedStyle(e);
            return [s.borderTopWidth, s.backgroundColor, s.cursor]; }""")
        assert looks == ["0px", "rgba(0, 0, 0, 0)", "auto"], looks
        # The language choice is a small control: smaller type than the text.
        sizes = page.evaluate("""() => [parseFloat(getComputedStyle(document.querySelector('#lang-locale')).fontSize),
                                        parseFloat(getComputedStyle(document.body).fontSize)]""")
        assert sizes[0] < sizes[1], sizes
    finally:
        walk.close()


@pytest.mark.parametrize("stage", ["consensus", "sent"])
def test_print_shows_the_text_and_status_without_navigation_or_forms(browser, app, live_server, db,
                                                                    demo, join, stage):
    ids = build_stage(db, demo, join, stage)
    walk = Walk(browser, app, live_server, axe=False)
    try:
        for email in ("koordinator@example.se", "direktor.malmo@example.se"):
            page = walk.as_person(email)
            for path in (f"/responses/{ids['response']}", f"/responses/{ids['response']}/matrix"):
                page.goto(f"{live_server}{path}")
                assert page.locator("form").count() > 0 and page.locator("nav").first.is_visible()
                page.emulate_media(media="print")
                for hidden in ("nav", "form", "button", ".site-footer"):
                    visible = [i for i in range(page.locator(hidden).count())
                               if page.locator(hidden).nth(i).is_visible()]
                    assert not visible, (email, path, hidden, visible)
                assert page.locator("h1").is_visible()
                assert page.locator(".badge").first.is_visible()
                if path.endswith("matrix"):
                    assert page.locator("table.matrix").is_visible()
                else:
                    assert page.locator(".status-box").is_visible()
                    assert page.locator(".section-body").first.is_visible()
                page.emulate_media(media="screen")
    finally:
        walk.close()
