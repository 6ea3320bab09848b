"""Shared Playwright setup: Debian's Chromium, never a downloaded browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def require_chromium() -> None:
    """Skip only outside CI; in CI a missing browser is a failure."""
    if shutil.which("chromium") or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is required in CI: apt-get install chromium")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@pytest.fixture
def browser_page(live_server) -> Iterator:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        context = browser.new_context(accept_downloads=True, locale="sv-SE")
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def log_in(page, base: str, email: str, password: str = "demo-losenord") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/")


def log_out(page) -> None:
    page.get_by_role("button", name="Logga ut").click()
