"""Browser flows: select-and-comment, the edit conflict page, objection → new version → consensus, axe."""

from __future__ import annotations

from tests.browser import browser_page, log_in, log_out  # noqa: F401  (fixture)
from tests.conftest import coordinator, municipality, official

SELECT_PASSAGE = """(passage) => {
  const body = document.querySelector('.section-body');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.textContent.indexOf(passage);
    if (i >= 0) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + passage.length);
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      body.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""


def prepare(db, demo, names=("Lund", "Malmö")):
    from drafting.services import drafting, responses

    responses.invite(demo, coordinator(), [municipality(n).id for n in names])
    for name in names:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    response_id = demo.id
    db.session.commit()
    return response_id


def test_select_a_passage_and_comment_on_it(browser_page, live_server, db, demo):  # noqa: F811
    page, base = browser_page, live_server
    response_id = prepare(db, demo)
    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(f"{base}/responses/{response_id}")
    assert page.evaluate(SELECT_PASSAGE, "finansieringen måste klargöras")
    preview = page.locator(".quote-preview").first
    assert "finansieringen måste klargöras" in preview.inner_text()
    page.get_by_label("Kommentar", exact=True).first.fill("Vem ska klargöra den?")
    page.get_by_role("button", name="Spara kommentar").first.click()
    page.get_by_text("Kommentaren är sparad.").wait_for()
    comment = page.locator("article.comment").first
    assert "finansieringen måste klargöras" in comment.locator(".anchor-quote").inner_text()
    assert page.locator("mark.anchored").first.inner_text() == "finansieringen måste klargöras"
    # Resolve it with the per-comment button (it submits the page's shared form, no JS needed).
    page.locator("article.comment").first.get_by_role("button", name="Markera som löst").click()
    page.locator("article.comment.resolved").first.wait_for()
    assert "Löst" in page.locator("article.comment").first.inner_text()


SELECT_NTH = """([passage, nth]) => {
  const body = document.querySelector('.section-body');
  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  let node, seen = 0;
  while ((node = walker.nextNode())) {
    for (let i = node.data.indexOf(passage); i >= 0; i = node.data.indexOf(passage, i + 1)) {
      if (seen++ === nth) {
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + passage.length);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        body.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        return true;
      }
    }
  }
  return false;
}"""

TEXT_BEFORE_MARK = """() => {
  const body = document.querySelector('.section-body');
  const range = document.createRange();
  range.selectNodeContents(body);
  range.setEndBefore(document.querySelector('mark.anchored'));
  return range.toString();
}"""


def test_select_the_second_occurrence_comment_and_reload_marks_that_one(browser_page, live_server, db, demo):  # noqa: F811
    from drafting.models import Comment
    from drafting.services import drafting

    page, base = browser_page, live_server
    response_id = prepare(db, demo)
    section = drafting.working_sections(demo)[0]
    # The passage twice, the second in a list (whitespace-only text nodes between the tags).
    drafting.save_section(section, coordinator(), section.heading,
                          "Vi anser att avgiften är för hög för barnfamiljer.\n\n"
                          "- Vi anser att avgiften är för hög för pensionärer 👵.",
                          section.current_revision.number)
    drafting.publish_version(demo, coordinator(), "Avgiften")
    db.session.commit()
    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(f"{base}/responses/{response_id}")
    assert page.evaluate(SELECT_NTH, ["avgiften är för hög", 1])
    page.get_by_label("Kommentar", exact=True).first.fill("Gäller pensionärerna")
    page.get_by_role("button", name="Spara kommentar").first.click()
    page.get_by_text("Kommentaren är sparad.").wait_for()
    page.reload()
    marks = page.locator("mark.anchored")
    assert marks.count() == 1 and marks.first.inner_text() == "avgiften är för hög"
    before = page.evaluate(TEXT_BEFORE_MARK)
    assert "barnfamiljer" in before
    db.session.rollback()
    comment = db.session.scalars(db.select(Comment).where(Comment.body == "Gäller pensionärerna")).one()
    assert comment.anchor_prefix.endswith("för barnfamiljer.\nVi anser att ")


def test_conflict_page_keeps_both_texts(browser_page, live_server, db, demo):  # noqa: F811
    page, base = browser_page, live_server
    response_id = demo.id
    db.session.commit()
    log_in(page, base, "koordinator@example.se")
    page.goto(f"{base}/responses/{response_id}/draft")
    page.get_by_role("link", name="Redigera Sammanfattning").click()
    edit_url = page.url
    # A second tab opens the same section from the same starting point.
    other = page.context.new_page()
    other.goto(edit_url)
    other.get_by_label("Text (Markdown)").fill("Den andra flikens text.")
    other.get_by_role("button", name="Spara", exact=True).click()
    other.get_by_text("Avsnittet är sparat.").wait_for()
    other.close()
    page.get_by_label("Text (Markdown)").fill("Min egen text som inte får försvinna.")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.get_by_role("heading", name="Någon annan sparade samtidigt").wait_for()
    assert page.get_by_label("Deras text").input_value() == "Den andra flikens text."
    assert page.get_by_label("Text (Markdown)").input_value() == "Min egen text som inte får försvinna."
    page.get_by_label("Text (Markdown)").fill("Den andra flikens text. Min egen text som inte får försvinna.")
    page.get_by_role("button", name="Spara sammanslagen text").click()
    page.get_by_text("Avsnittet är sparat.").wait_for()
    assert "Min egen text som inte får försvinna." in page.locator(".section-body").first.inner_text()


def test_objection_new_version_stale_approval_and_consensus(browser_page, live_server, db, demo):  # noqa: F811
    page, base = browser_page, live_server
    response_id = prepare(db, demo)
    url = f"{base}/responses/{response_id}"

    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(url)
    page.get_by_label("Godkänner", exact=True).check()
    page.get_by_role("button", name="Registrera ställningstagande").click()
    page.get_by_text("Kommunens ställningstagande är registrerat.").wait_for()
    log_out(page)

    log_in(page, base, "tjansteman.malmo@example.se")
    page.goto(url)
    page.get_by_label("Invänder").check()
    page.get_by_role("button", name="Registrera ställningstagande").click()
    assert "En invändning behöver ett skäl." in page.content()
    page.get_by_label("Synpunkt eller skäl (krävs vid invändning)").fill("Stationerna måste delfinansieras.")
    page.get_by_role("button", name="Registrera ställningstagande").click()
    page.get_by_text("Kommunens ställningstagande är registrerat.").wait_for()
    assert "1 kommun invänder (Malmö)" in page.locator(".status-box").inner_text()
    log_out(page)

    log_in(page, base, "koordinator@example.se")
    page.goto(f"{url}/draft")
    page.get_by_role("link", name="Redigera Sammanfattning").click()
    body = page.get_by_label("Text (Markdown)")
    body.fill(body.input_value() + "\n\nStaten och regionen bör dela kostnaden för nya stationer.")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.get_by_label("Vad har ändrats?").fill("Finansieringen av stationer förtydligad")
    page.get_by_role("button", name="Publicera version 2").click()
    page.get_by_text("Version 2 är publicerad").wait_for()
    log_out(page)

    log_in(page, base, "tjansteman.lund@example.se")
    page.goto(url)
    assert "Ni godkände version 1, men inte version 2." in page.content()
    page.get_by_role("link", name="Visa ändringarna sedan version 1").click()
    page.locator("ins").first.wait_for()  # the compare page has loaded (no reading mid-navigation)
    assert any("dela kostnaden" in t for t in page.locator("ins").all_inner_texts())
    page.goto(url)
    page.get_by_label("Godkänner", exact=True).check()
    page.get_by_role("button", name="Registrera ställningstagande").click()
    page.get_by_text("Kommunens ställningstagande är registrerat.").wait_for()
    log_out(page)

    log_in(page, base, "tjansteman.malmo@example.se")
    page.goto(url)
    page.get_by_label("Godkänner", exact=True).check()
    page.get_by_role("button", name="Registrera ställningstagande").click()
    page.get_by_text("Kommunens ställningstagande är registrerat.").wait_for()
    assert "Samsyn om version 2" in page.locator(".status-box").inner_text()


def test_key_pages_have_no_axe_violations(browser_page, live_server, db, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    page, base = browser_page, live_server
    response_id = prepare(db, demo)
    axe = Axe()
    page.goto(f"{base}/login")
    pages = [f"{base}/login"]
    log_in(page, base, "tjansteman.lund@example.se")
    pages += [f"{base}/", f"{base}/responses/{response_id}", f"{base}/responses/{response_id}/matrix",
              f"{base}/responses/{response_id}/versions", f"{base}/responses/{response_id}/audit"]
    problems = {}
    for target in pages:
        page.goto(target)
        results = axe.run(page)
        violations = [v["id"] for v in results.response["violations"]]
        if violations:
            problems[target] = violations
    log_out(page)
    log_in(page, base, "koordinator@example.se")
    for target in (f"{base}/responses/{response_id}/draft", f"{base}/responses/{response_id}"):
        page.goto(target)
        violations = [v["id"] for v in axe.run(page).response["violations"]]
        if violations:
            problems[target + " (koordinator)"] = violations
    assert problems == {}


def test_more_pages_have_no_axe_violations_and_work_by_keyboard(browser_page, live_server, db, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    from drafting.services import drafting

    page, base = browser_page, live_server
    coop_id = demo.cooperation_id
    section_id = drafting.working_sections(demo)[0].id
    response_id = prepare(db, demo)  # commits: nothing may hold SQLite's write lock while browsing
    axe = Axe()

    # Keyboard only: the skip link comes first, then the login form can be filled and sent.
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("E-postadress").focus()
    page.keyboard.type("koordinator@example.se")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-losenord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    targets = [
        f"{base}/responses/{response_id}/compare?from=1&to=1",
        f"{base}/responses/{response_id}/compare?from=1&to=1&layout=side",
        f"{base}/responses/{response_id}/sections/{section_id}/edit",
        f"{base}/responses/{response_id}/export/",
        f"{base}/responses/{response_id}/versions/1",
        f"{base}/cooperations/{coop_id}/responses/new",
        f"{base}/cooperations/{coop_id}/report",
        f"{base}/notifications",
        f"{base}/profile",
        f"{base}/responses/999999",
    ]
    problems = {}
    for target in targets:
        page.goto(target)
        violations = [v["id"] for v in axe.run(page).response["violations"]]
        if violations:
            problems[target] = violations
    log_out(page)
    log_in(page, base, "admin@example.se")
    page.goto(f"{base}/admin/cooperations/{coop_id}")
    violations = [v["id"] for v in axe.run(page).response["violations"]]
    if violations:
        problems["admin"] = violations
    assert problems == {}
