"""The public request form in a real browser: two windows, errors, no JavaScript, a phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from events.models import SpeakerRequest
from notifications.models import Notification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIRST = dt.date.today() + dt.timedelta(days=45)
SECOND = FIRST + dt.timedelta(days=21)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()


def fill_host_details(page, *, audience: str = "150", zip_code: str = "60601") -> None:
    page.get_by_label("Organization name").fill("Loop Community Church")
    page.get_by_label("Kind of organization").select_option("church")
    page.get_by_label("Your name").fill("Dana Host")
    page.get_by_label("Email").fill("dana@example.org")
    page.get_by_label("Phone").fill("+1 312 555 0100")
    page.get_by_label("Expected audience").fill(audience)
    page.get_by_label("Audience", exact=True).select_option("congregation")
    page.get_by_label("Street address").fill("100 W Randolph St")
    page.get_by_label("City").fill("Chicago")
    page.get_by_label("State").select_option("IL")
    page.get_by_label("ZIP code").fill(zip_code)


def fill_window(page, index: int, first: dt.date, *, possible: bool = False) -> None:
    page.fill(f'[name="windows-{index}-start_date"]', first.isoformat())
    page.fill(f'[name="windows-{index}-end_date"]', (first + dt.timedelta(days=3)).isoformat())
    page.fill(f'[name="windows-{index}-earliest_start"]', "10:00")
    page.fill(f'[name="windows-{index}-latest_end"]', "16:00")
    if possible:
        page.check(f'[name="windows-{index}-preference"][value="possible"]')


def test_a_host_requests_a_speaker_with_two_windows(live_server, page):
    page.goto(f"{live_server.url}/request/")
    fill_host_details(page)
    fill_window(page, 0, FIRST)
    page.get_by_role("button", name="Add another window").click()  # JavaScript, in place
    assert page.locator("[data-window]:visible").count() == 2
    fill_window(page, 1, SECOND, possible=True)
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/request/received/")
    reference = page.locator("[data-reference]").inner_text()
    saved = SpeakerRequest.objects.get()
    assert reference == saved.reference
    assert [(w.start_date, w.preference) for w in saved.windows.all()] == [
        (FIRST, "preferred"),
        (SECOND, "possible"),
    ]
    assert saved.timezone == "America/Chicago"
    acknowledgement = Notification.objects.get(speaker_request=saved)
    assert acknowledgement.kind == Notification.Kind.ACKNOWLEDGEMENT
    assert "/r/" not in acknowledgement.body_text and acknowledgement.sealed_link


def test_a_removed_window_is_not_saved(live_server, page):
    page.goto(f"{live_server.url}/request/")
    fill_host_details(page)
    fill_window(page, 0, FIRST)
    page.get_by_role("button", name="Add another window").click()
    fill_window(page, 1, SECOND)
    page.locator("[data-window]").nth(0).get_by_role("button", name="Remove this window").click()
    assert page.locator("[data-window]:visible").count() == 1
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/request/received/")
    assert [w.start_date for w in SpeakerRequest.objects.get().windows.all()] == [SECOND]


def test_bad_input_shows_errors_and_stores_nothing(live_server, page):
    page.goto(f"{live_server.url}/request/")
    fill_host_details(page, audience="0", zip_code="10001")
    fill_window(page, 0, FIRST - dt.timedelta(days=200))
    page.get_by_role("button", name="Send request").click()

    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "Expected audience" in summary.inner_text()
    assert "ZIP code" in summary.inner_text()
    assert "Date window 1" in summary.inner_text()
    assert "does not exist in IL" in page.locator("#id_zip_code_error").inner_text()
    assert page.get_by_label("ZIP code").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Organization name").input_value() == "Loop Community Church"
    assert page.locator('[name="windows-0-earliest_start"]').input_value() == "10:00"
    assert SpeakerRequest.objects.count() == 0
    assert Notification.objects.count() == 0


def test_the_form_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/request/")
        fill_host_details(page)
        fill_window(page, 0, FIRST)
        page.get_by_role("button", name="Add another window").click()  # a round trip
        page.locator('[name="windows-1-start_date"]').wait_for()
        assert page.get_by_label("Organization name").input_value() == "Loop Community Church"
        fill_window(page, 1, SECOND, possible=True)
        page.get_by_role("button", name="Send request").click()
        page.wait_for_url("**/request/received/")
        assert SpeakerRequest.objects.get().windows.count() == 2
    finally:
        context.close()


def test_the_form_fits_a_375_pixel_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/request/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        for name in ("organization_name", "windows-0-start_date", "zip_code", "notes"):
            box = page.locator(f'[name="{name}"]').bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, name
        # Still true with the error summary and messages shown.
        page.get_by_role("button", name="Send request").click()
        page.locator("#error-summary").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
