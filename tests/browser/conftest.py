"""Headless Chromium for end-to-end tests: one browser per session, a fresh page per test.

Playwright cannot download its own browsers here, so the Debian chromium package is driven
through `executable_path`. Without it the tests are skipped with a visible reason, except
in CI (CI=true), where a missing browser is a failure.

Database: `live_server` needs a transactional database, and a transactional test flushes
every table when it ends, including the reference data (countries, departments, document
types, reasons) that the data migrations load. Browser tests therefore use
`@pytest.mark.django_db(transaction=True)` and the `browser_page` fixture re-runs our
data migrations first (see `reference_data_restore`). Use the `BROWSER_DB` marker below.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1024, "height": 768}  # a tablet held in landscape
LOCALE = "es-GT"
MISSING_REASON = f"chromium not installed at {CHROMIUM}: browser tests skipped"

# Apply to every browser test: @BROWSER_DB (and @pytest.mark.browser).
BROWSER_DB = pytest.mark.django_db(transaction=True)
# The password every browser test's users are created with.
PASSWORD = "correct-horse-battery"


def sign_in(page, username: str) -> None:
    """Sign in through the login form, as a person would, and wait for the home page."""
    from django.urls import reverse

    page.goto(reverse("login"))
    page.fill("[name=username]", username)
    page.fill("[name=password]", PASSWORD)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url("**/")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator:
    if not CHROMIUM.exists():
        _skip_or_fail(MISSING_REASON)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed: run `make install`")

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API leaves its asyncio loop marked as running in this thread
        # until the session ends; Django would otherwise refuse every later ORM call as
        # "async unsafe". Set from the first browser test on (tests/conftest.py keeps it out
        # of child processes such as `check --deploy`).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser, live_server, reference_data) -> Iterator:
    """A page in a fresh context (no cookies), Spanish (Guatemala), tablet-sized."""
    context = chromium_browser.new_context(
        viewport=VIEWPORT, locale=LOCALE, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
