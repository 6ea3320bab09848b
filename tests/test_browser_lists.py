"""Browser: the overview's search and filters on a phone (390 px), without JavaScript too."""

from __future__ import annotations

from tests.browser import CHROMIUM, LAUNCH_ARGS, browser_page, log_in, require_chromium  # noqa: F401
from tests.test_lists import many  # noqa: F401  (fixture)

PHONE = {"width": 390, "height": 844}


def search_and_filter(page, base: str) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, base, "koordinator@example.se")
    form = page.get_by_role("search", name="Sök och filtrera yttranden")
    form.get_by_label("Sök", exact=True).fill("kommuner")
    form.get_by_label("Sista svarsdag").select_option(label="Inom 14 dagar")
    form.get_by_role("button", name="Visa").click()
    page.wait_for_url("**/?q=kommuner*")
    assert page.get_by_role("status").inner_text() == "1 träff"
    listed = page.locator("table.data tbody tr")
    assert listed.count() == 1 and "Starkare kommuner" in listed.inner_text()
    # The chosen values stay in the form, so the search can be narrowed or widened.
    assert form.get_by_label("Sök", exact=True).input_value() == "kommuner"
    assert form.get_by_label("Sista svarsdag").input_value() == "soon"
    form.get_by_label("Sista svarsdag").select_option(label="Alla datum")
    form.get_by_label("Sök", exact=True).fill("ingen-sadan-remiss")
    form.get_by_role("button", name="Visa").click()
    page.get_by_text("Inga yttranden matchar sökningen. Ändra sökningen eller visa alla.").wait_for()
    assert page.get_by_role("status").inner_text() == "0 träffar"
    page.get_by_role("link", name="Visa alla").click()
    assert page.get_by_role("status").inner_text() == "4 träffar"
    page.get_by_role("link", name="Arkiv: skickade och återkallade yttranden").click()
    page.get_by_role("heading", name="Arkiv: skickade och återkallade yttranden").wait_for()
    assert page.get_by_role("status").inner_text() == "2 träffar"
    box = page.get_by_role("search", name="Sök och filtrera yttranden").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1  # the form fits


def test_search_and_filters_on_a_phone(browser_page, live_server, many):  # noqa: F811
    search_and_filter(browser_page, live_server)


def test_search_and_filters_on_a_phone_without_javascript(live_server, many):  # noqa: F811
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                             headless=True)
        context = browser.new_context(java_script_enabled=False, locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            search_and_filter(page, live_server)
        finally:
            context.close()
            browser.close()
