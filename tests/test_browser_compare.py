"""Browser: the compare page read at phone and desktop width, and a suggestion made by keyboard only."""

from __future__ import annotations

from tests.browser import browser_page, log_in  # noqa: F401  (fixture)
from tests.conftest import coordinator
from tests.test_browser_review import prepare

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
PARAGRAPH_2 = ("Kommunerna delar bedömningen att tågtrafiken behöver byggas ut. Utan fler spår "
               "mellan Malmö och Lund riskerar regionens arbetsmarknad att hämmas.")


def publish_second_version(db, demo) -> None:
    from drafting.services import drafting

    sections = drafting.working_sections(demo)
    for index, change in [
        (0, lambda b: b.replace("- att kommunernas egna", "- cykelvägar mellan tätorterna,\n- att kommunernas egna")),
        (2, lambda b: b.replace("| Kommunerna | Bör delas", "| Regionen | Bör delas")),
        (3, lambda b: b + "\n\nAndelen är 1,1 procent, se [SOU 2021:3](https://example.se)."),
    ]:
        section = sections[index]
        drafting.save_section(section, coordinator(), section.heading, change(section.body),
                              section.current_revision.number)
    drafting.publish_version(demo, coordinator(), "Cykelvägar, regionens ansvar och andelen.")
    db.session.commit()


def test_compare_page_reads_well_on_phone_and_desktop(browser_page, live_server, db, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    page, base = browser_page, live_server
    response_id = prepare(db, demo)
    publish_second_version(db, demo)
    axe = Axe()
    log_in(page, base, "tjansteman.lund@example.se")
    problems = {}
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        for layout in ("inline", "side"):
            page.goto(f"{base}/responses/{response_id}/compare?from=1&to=2&layout={layout}")
            main = page.locator("main")
            text = main.inner_text()
            for syntax in ("**", "|---", "](", "## "):
                assert syntax not in text, (name, layout, syntax)
            assert "Cykelvägar, regionens ansvar och andelen." in page.locator(".change-notes").inner_text()
            added = page.locator("li.diff-added ins").first
            assert "cykelvägar mellan tätorterna" in added.inner_text()
            assert added.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
            cell = page.locator("td.diff-cell-changed").last
            assert "Regionen" in cell.inner_text()
            # Nothing wider than the screen: the page never scrolls sideways.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, layout)
            notes = page.locator(".change-notes").bounding_box()
            diff = page.locator(".compare-main").bounding_box()
            if name == "desktop":
                assert notes["x"] > diff["x"] + diff["width"] - 1  # beside the diff
            else:
                assert notes["y"] + notes["height"] <= diff["y"] + 1  # above it
            violations = [v["id"] for v in axe.run(page).response["violations"]]
            if violations:
                problems[f"{name} {layout}"] = violations
    assert problems == {}


def press_tab_until(page, condition: str, limit: int = 250) -> None:
    """Press Tab until the focused element meets condition (JavaScript on `e`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!e && ({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached: {condition}")


def test_a_suggestion_by_keyboard_only(browser_page, live_server, db, demo):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    from drafting.services import drafting

    page, base = browser_page, live_server
    section_id = drafting.working_sections(demo)[2].id
    response_id = prepare(db, demo)

    page.goto(f"{base}/login")
    press_tab_until(page, "e.name === 'email'")
    page.keyboard.type("tjansteman.lund@example.se")
    press_tab_until(page, "e.name === 'password'")
    page.keyboard.type("demo-losenord")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/responses/{response_id}")
    press_tab_until(page, f"e.tagName === 'SUMMARY' && e.closest('#section-{section_id}') !== null")
    page.keyboard.press("Enter")  # opens the comment form
    press_tab_until(page, f"e.id === 'comment-body-{section_id}'")
    page.keyboard.type("Skarpare formulering, tack.")
    press_tab_until(page, f"e.id === 'passage-block-{section_id}'")
    page.keyboard.type("2")  # the paragraph that begins "2. Kommunerna delar …"
    assert page.evaluate("document.activeElement.value") == "2"
    press_tab_until(page, f"e.id === 'is-suggestion-{section_id}'")
    page.keyboard.press("Space")
    press_tab_until(page, f"e.id === 'suggested-{section_id}'")
    page.keyboard.type("Kommunerna anser att tågtrafiken måste byggas ut snarast.")

    violations = [v["id"] for v in Axe().run(page).response["violations"]]
    assert violations == []

    press_tab_until(page, "e.type === 'submit' && e.closest('form') && e.closest('form').id.startsWith('comment-form-')")
    page.keyboard.press("Enter")
    page.get_by_text("Kommentaren är sparad.").wait_for()
    comment = page.locator("article.comment").filter(has_text="Skarpare formulering, tack.")
    assert "Kommentar till version 1" in comment.inner_text()
    assert PARAGRAPH_2 in comment.locator(".anchor-quote").inner_text()
    marks = page.locator(f"#section-{section_id} mark.anchored")
    assert " ".join(marks.all_inner_texts()) == PARAGRAPH_2
