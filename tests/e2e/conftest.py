"""Browser tests: headless Debian Chromium driven by Playwright's sync API against
pytest-django's live_server. Playwright runs an event loop in the test thread, so Django's
async-safety check must be relaxed for the ORM calls the tests make."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SCREENSHOTS = Path(settings.VAR_DIR) / "e2e"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def sign_in_staff(page, base_url: str, username: str, password: str) -> None:
    """Open the board signed out, sign in on the board's own page, land on the board."""
    page.goto(f"{base_url}/staff/")
    page.wait_for_url("**/staff/login/**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/staff/")


def shoot(page, name: str) -> None:
    """A full-page screenshot, var/e2e/<name>.png, for people to look at: written when
    E2E_SCREENSHOTS is set (`E2E_SCREENSHOTS=1 ./scripts/test.sh -m e2e`). Encoding one costs
    about 0.4 s, and no test reads them, so other runs skip it."""
    if not os.environ.get("E2E_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
