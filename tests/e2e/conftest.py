"""Browser tests: headless Debian Chromium driven by Playwright's sync API against
pytest-django's live_server. Playwright runs an event loop in the test thread, so Django's
async-safety check must be relaxed for the ORM calls the tests make."""

from __future__ import annotations

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

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
