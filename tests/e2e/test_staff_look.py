"""The board's look in Chromium at a laptop width and at 375 px: the branded sign-in pages, the
"signed in as … / sign out" header, no horizontal overflow, no 404 (favicon included) on any
page, and the CSV downloads. Screenshots land in var/e2e/ (look-*.png)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from events import services
from tests.conftest import local
from tests.e2e.conftest import shoot
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    TourFactory,
    TourMemberFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDTHS = {"desktop": (1366, 900), "phone": (375, 812)}


@pytest.fixture
def tour(db):
    tour = TourFactory(name="봄 East Coast 2027")
    fellow = FellowFactory(display_name="은혜 Grace", legal_name="Private Legal Name")
    TourMemberFactory(tour=tour, fellow=fellow)
    for day, zip_code in ((2, "02467"), (3, "10001")):
        speaker_request = SpeakerRequestFactory(zip_code=zip_code, contact_name="김 Host")
        RequestWindowFactory(request=speaker_request)
        services.book_event(
            tour=tour,
            fellows=[fellow],
            starts_at=local(dt.date(2027, 3, day), 19),
            ends_at=local(dt.date(2027, 3, day), 20),
            request=speaker_request,
            title=f"Evening talk at a host with a rather long name number {day}",
            zip_code=zip_code,
        )
    return tour


def _no_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# Names the elements sticking out past the viewport, for the failure message.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("size", sorted(WIDTHS))
def test_sign_in_header_pages_and_exports(live_server, page, tour, size):
    width, height = WIDTHS[size]
    page.set_viewport_size({"width": width, "height": height})
    UserFactory(username="coordinator", is_staff=True, first_name="Min", last_name="Park")
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    page.goto(f"{live_server.url}/staff/")
    page.wait_for_url("**/staff/login/**")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    shoot(page, f"look-staff-login-{size}")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    expect(page.locator(".account")).to_contain_text("Signed in as Min Park")

    pages = {
        "tours": "/staff/",
        "requests": "/staff/requests/",
        "impact": "/staff/impact/?season=2027",
        "tour": f"/staff/tours/{tour.pk}/",
        "outbox": "/staff/outbox/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        shoot(page, f"look-{name}-{size}")
        assert _no_overflow(page) <= width, f"{name} too wide: {page.evaluate(WIDEST)}"
    # The tour page names its times with the zone, in the one format.
    page.goto(f"{live_server.url}/staff/tours/{tour.pk}/")
    expect(page.locator(".timeline")).to_contain_text("7:00 PM – 8:00 PM EST")

    # Downloads: the impact page's per-tour link, as Excel would get it.
    page.goto(f"{live_server.url}/staff/impact/?season=2027")
    with page.expect_download() as caught:
        page.locator("#exports").get_by_role("link", name="events").first.click()
    body = Path(caught.value.path()).read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["zip_code"] for r in rows] == ['="02467"', '="10001"']
    assert {r["fellows"] for r in rows} == {"은혜 Grace"}
    assert "Private Legal Name" not in body.decode("utf-8-sig")
    with page.expect_download() as season:
        page.locator("#exports").get_by_role("button", name="Requests").click()
    assert season.value.suggested_filename == "requests-2027-01-01_2027-12-31.csv"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    shoot(page, f"look-signed-out-{size}")
    assert page.request.get(f"{live_server.url}/favicon.ico").status == 200
    assert page.request.head(f"{live_server.url}/staff/login/").status == 200
    assert not missing, f"404s while browsing: {missing}"


def test_fellow_sign_in_page_at_375_px(live_server, page):
    page.set_viewport_size({"width": 375, "height": 812})
    fellow_user = UserFactory(username="grace")
    FellowFactory(display_name="Grace", user=fellow_user)
    page.goto(f"{live_server.url}/me/")
    page.wait_for_url("**/me/login/**")
    expect(page.get_by_role("heading", name="Fellows' sign-in")).to_be_visible()
    shoot(page, "look-fellow-login-phone")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/me/")
    expect(page.locator(".account")).to_contain_text("Signed in as grace")
    assert _no_overflow(page) <= 375
    shoot(page, "look-fellow-me-phone")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
