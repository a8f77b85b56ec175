"""Day sheets in a real browser: readable on a phone, printable, and the unavailability form."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from fellows.services import rotate_feed_token
from tests.factories import FellowFactory, ItineraryItemFactory, TourMemberFactory, UserFactory
from tests.fellows.conftest import book

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def fellow_with_day(tour):
    fellow = TourMemberFactory(
        tour=tour,
        fellow=FellowFactory(display_name="Grace", user=UserFactory(username="grace")),
    ).fellow
    book(
        tour=tour,
        fellows=[fellow],
        day=dt.date(2027, 3, 2),
        hour=18,
        title="Harvard Korea Society",
        venue_name="Harvard Hall",
        onsite_contact_name="Min Park",
        onsite_contact_phone="+1 617 555 0199",
    )
    ItineraryItemFactory(
        tour=tour,
        fellows=[fellow],
        title="Drive to Boston",
        starts_at=dt.datetime(2027, 3, 2, 9, tzinfo=NEW_YORK),
        ends_at=dt.datetime(2027, 3, 2, 13, tzinfo=NEW_YORK),
    )
    return fellow


def test_day_sheet_fits_a_phone_and_prints_without_buttons(live_server, browser, fellow_with_day):
    token = rotate_feed_token(fellow=fellow_with_day)
    page = browser.new_page(viewport={"width": 375, "height": 740})
    url = live_server.url + reverse("fellows:token-day-sheets", kwargs={"token": token})
    page.goto(url + "?all=1")

    day = page.locator("#day-2027-03-02")
    assert "Harvard Korea Society" in day.inner_text()
    assert "Min Park" in day.inner_text()
    assert page.get_by_role("link", name="+1 617 555 0199").get_attribute("href") == (
        "tel:+1 617 555 0199"
    )
    # Nothing wider than the phone's screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.get_by_role("button", name="Print").is_visible()

    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator("#day-2027-03-02").is_visible()


def test_fellow_logs_in_and_gets_a_clear_error_for_a_backwards_blackout(
    live_server, browser, fellow_with_day
):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(live_server.url + reverse("fellows:me"))
    page.fill("input[name=username]", "grace")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    assert page.get_by_role("heading", name="Welcome, Grace").is_visible()

    page.fill("input[name=starts_at]", "2027-03-02T12:00")
    page.fill("input[name=ends_at]", "2027-03-02T10:00")
    page.get_by_role("button", name="Add").click()
    assert page.get_by_text("The end must be after the start.").is_visible()

    page.fill("input[name=starts_at]", "2027-03-02T17:00")
    page.fill("input[name=ends_at]", "2027-03-02T20:00")
    page.get_by_role("button", name="Add").click()
    assert page.get_by_text("Harvard Korea Society (2027-03-02 18:00 EST)").is_visible()
