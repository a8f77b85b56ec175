"""The board's record pages in Chromium, on a laptop (1366 px) and a phone (375 px): a request
opened from the queue, checked against a conflict, booked and another declined; a tour edited
with a fellow on two tours and a Sunday rest day that costs a church its preferred window; a
fellow added by ZIP code with an unavailability. Screenshots land in var/e2e/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from events import services
from events.models import Event, SpeakerRequest
from fellows.models import Fellow, Tour, Unavailability
from tests.conftest import local
from tests.e2e.conftest import shoot
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    StaffFactory,
    TourFactory,
    TourMemberFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2027, 3, 2)  # a Tuesday inside the factories' tour
SUNDAY = dt.date(2027, 3, 7)
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def season(db):
    staff = StaffFactory(username="coordinator")
    tour = TourFactory(name="Spring East 2027", rest_weekdays=[6])
    grace = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace")).fellow
    other_tour = TourFactory(
        name="Midwest March", start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 4, 10)
    )
    daniel = TourMemberFactory(tour=other_tour, fellow=FellowFactory(display_name="Daniel")).fellow
    church = SpeakerRequestFactory(
        organization__name="Hope Korean Church",
        contact_name="Pastor Kim",
        contact_email="pastor@hope.example",
        contact_phone="+1 212 555 0199",
        topics="Faith and escape; life after arriving in the US",
        notes="Parking behind the fellowship hall. Lunch afterwards with the youth group.",
        interpretation_needed=True,
        honorarium_offered=True,
        street="12 Grand Street",
    )
    RequestWindowFactory(
        request=church,
        start_date=SUNDAY,
        end_date=SUNDAY,
        earliest_start=dt.time(9),
        latest_end=dt.time(12),
    )
    RequestWindowFactory(
        request=church,
        start_date=DAY,
        end_date=DAY + dt.timedelta(days=1),
        earliest_start=dt.time(18),
        latest_end=dt.time(21),
        preference="possible",
    )
    booked = SpeakerRequestFactory(organization__name="Columbia University")
    RequestWindowFactory(request=booked)
    services.book_event(
        tour=tour,
        fellows=[grace],
        starts_at=local(DAY, 18),
        ends_at=local(DAY, 19),
        request=booked,
    )
    school = SpeakerRequestFactory(organization__name="Brooklyn High School")
    RequestWindowFactory(request=school)
    return {
        "staff": staff,
        "tour": tour,
        "other_tour": other_tour,
        "grace": grace,
        "daniel": daniel,
        "church": church,
        "school": school,
    }


def signed_in_page(browser, live_server, user, viewport):
    """A browser tab holding a staff session (the login page itself is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


def assert_fits(page, width: int) -> None:
    """Nothing pushes the page wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_a_request_is_read_checked_booked_and_another_declined(browser, live_server, season):
    context, page = signed_in_page(browser, live_server, season["staff"], DESKTOP)
    church = season["church"]
    page.goto(f"{live_server.url}/staff/requests/")
    page.get_by_role("link", name=church.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hope Korean Church")
    details = page.locator("#request-details")
    expect(details).to_contain_text("Faith and escape")
    expect(details).to_contain_text("Korean–English interpretation needed")
    expect(page.locator("#request-contact")).to_contain_text("+1 212 555 0199")
    expect(page.locator("#windows li.preferred")).to_contain_text(
        "Sun Mar 7, 2027, 9:00 AM – 12:00 PM"
    )
    expect(page.locator("#windows li.possible")).to_contain_text("Possible")
    # Sunday is the tour's rest day: the church's only preferred window is named as lost.
    expect(page.locator("#rest-day-losses")).to_contain_text("Spring East 2027 rests on Sunday")

    # Grace speaks at Columbia on Tuesday evening: the clash shows before anything is saved.
    form = page.locator("#book-form")
    form.get_by_label("Tour and team").select_option(
        label="Spring East 2027 (Mon Mar 1, 2027 – Sun Mar 28, 2027), team A: Grace"
    )
    form.get_by_label("Date").fill(DAY.isoformat())
    form.get_by_label("Starts (venue time)").fill("18:30")
    form.get_by_label("Ends (venue time)").fill("19:30")
    form.get_by_role("button", name="Check").click()
    findings = page.locator("#findings")
    expect(findings).to_contain_text("Not booked")
    expect(findings.locator('[data-code="overlap"]').first).to_be_visible()
    shoot(page, "board-request-conflict")
    assert not Event.objects.filter(request=church).exists()

    # Wednesday evening is free and inside a possible window: booked as tentative.
    form = page.locator("#book-form")
    form.get_by_label("Date").fill((DAY + dt.timedelta(days=1)).isoformat())
    form.get_by_label("Starts (venue time)").fill("18:30")
    form.get_by_label("Ends (venue time)").fill("19:30")
    form.get_by_role("button", name="Book as tentative").click()
    expect(page.locator(".messages")).to_contain_text("booked on Spring East 2027 as tentative")
    expect(page.locator("#request-status")).to_have_text("Proposed")
    expect(page.locator("#request-events")).to_contain_text("no answer yet")
    expect(page.locator("#request-history")).to_contain_text("Submitted → Proposed")
    shoot(page, "board-request-desktop")

    # The event panel carries what the fellows need to know.
    page.locator("#request-events a").first.click()
    expect(page.locator("#event-topics")).to_contain_text("Faith and escape")
    expect(page.locator("#event-interpretation")).to_be_visible()
    expect(page.locator("#event-notes")).to_contain_text("fellowship hall")
    shoot(page, "board-event-panel")

    # Decline the school with a reason; an empty reason is refused beside the field first.
    page.goto(f"{live_server.url}/staff/requests/{season['school'].pk}/")
    page.get_by_role("button", name="Decline and tell the host").click()
    expect(page.locator("#decline-form .errorlist")).to_contain_text("Tell the host why")
    page.get_by_label("Reason for declining").fill("Our fellows are fully booked in March.")
    page.get_by_role("button", name="Decline and tell the host").click()
    expect(page.locator("#request-status")).to_have_text("Declined")
    assert SpeakerRequest.objects.get(pk=season["school"].pk).status == "declined"
    context.close()


def test_a_tour_is_edited_with_overlaps_and_rest_days_named(browser, live_server, season):
    context, page = signed_in_page(browser, live_server, season["staff"], DESKTOP)
    tour = season["tour"]
    page.goto(f"{live_server.url}/staff/tours/{tour.pk}/")
    expect(page.locator("#tour-progress")).to_have_text("Planning")
    expect(page.locator("#tour-notices")).to_contain_text(season["church"].reference)
    page.get_by_role("link", name="Edit dates, rules, region and teams").click()
    expect(page.locator("#rest-day-losses")).to_contain_text("Hope Korean Church")

    # Daniel is on Midwest March from the 15th: putting him on this tour needs a yes.
    page.get_by_role("group", name="Team B (optional)").get_by_label("Daniel").check()
    page.get_by_label("Max events per day").fill("3")
    page.get_by_role("button", name="Save the tour").click()
    expect(page.locator("#overlaps")).to_contain_text("Daniel is also on “Midwest March”")
    shoot(page, "board-tour-edit-overlap")
    page.get_by_label("Save anyway").check()
    page.get_by_role("button", name="Save the tour").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    expect(page.locator(".messages")).to_contain_text("loses its preferred window")
    tour.refresh_from_db()
    assert tour.max_events_per_day == 3
    assert set(tour.members.values_list("fellow__display_name", "team")) == {
        ("Grace", "A"),
        ("Daniel", "B"),
    }

    # Moving the start past the booked Columbia talk is refused, naming it.
    page.get_by_role("link", name="Edit dates, rules, region and teams").click()
    page.get_by_label("Start date").fill("2027-03-05")
    page.get_by_label("Save anyway").check()
    page.get_by_role("button", name="Save the tour").click()
    expect(page.locator("#tour-errors")).to_contain_text("Columbia University")
    shoot(page, "board-tour-edit-refused")
    tour.refresh_from_db()
    assert tour.start_date == dt.date(2027, 3, 1)
    context.close()


def test_a_fellow_is_added_by_zip_and_given_an_unavailability(browser, live_server, season):
    context, page = signed_in_page(browser, live_server, season["staff"], DESKTOP)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Fellows", exact=True).click()
    page.get_by_role("link", name="Add a fellow").click()
    page.get_by_label("Display name").fill("Joy")
    page.get_by_label("Legal name (private)").fill("Park Ji-woo")
    page.get_by_label("Languages spoken").fill("Korean, English")
    page.get_by_label("Home base (private)").fill("Koreatown")
    page.get_by_role("button", name="Add the fellow").click()
    expect(page.locator("#fellow-form .errorlist")).to_contain_text("Give a ZIP code")
    page.get_by_label("Home base (private)").fill("90005")
    page.get_by_role("button", name="Add the fellow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Joy")
    joy = Fellow.objects.get(display_name="Joy")
    assert joy.home_base == "Los Angeles, CA" and joy.home_latitude is not None

    form = page.locator("#unavailability-form")
    form.get_by_label("Unavailable from").fill("2027-03-10T00:00")
    form.get_by_label("Until").fill("2027-03-12T23:59")
    form.get_by_label("Time zone").select_option("America/Los_Angeles")
    form.get_by_label("Reason").fill("Family visit")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#unavailabilities")).to_contain_text("Family visit")
    shoot(page, "board-fellow-desktop")
    assert Unavailability.objects.get(fellow=joy).reason == "Family visit"
    context.close()


def test_every_record_page_fits_a_375_pixel_phone(browser, live_server, season):
    tour, grace = season["tour"], season["grace"]
    Unavailability.objects.create(
        fellow=grace, starts_at=local(DAY, 0), ends_at=local(DAY, 23), reason="Hospital"
    )
    pages = {
        "request": f"/staff/requests/{season['church'].pk}/",
        "tour": f"/staff/tours/{tour.pk}/",
        "tour-edit": f"/staff/tours/{tour.pk}/edit/",
        "fellows": "/staff/fellows/",
        "fellow": f"/staff/fellows/{grace.pk}/",
        "fellow-add": "/staff/fellows/new/",
    }
    for viewport, suffix in ((PHONE, "375"), (DESKTOP, "desktop")):
        context, page = signed_in_page(browser, live_server, season["staff"], viewport)
        for name, path in pages.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            if viewport is PHONE:
                assert_fits(page, PHONE["width"])
            shoot(page, f"board-{name}-{suffix}")
        context.close()
    # The phone can act too: a booking form used at 375 px still fits with its findings.
    context, page = signed_in_page(browser, live_server, season["staff"], PHONE)
    page.goto(f"{live_server.url}/staff/requests/{season['church'].pk}/")
    page.locator("#book-form").get_by_label("Date").fill(DAY.isoformat())
    page.locator("#book-form").get_by_label("Starts (venue time)").fill("18:00")
    page.locator("#book-form").get_by_label("Ends (venue time)").fill("19:00")
    page.locator("#book-form").get_by_role("button", name="Check").click()
    expect(page.locator("#findings")).to_be_visible()
    assert_fits(page, PHONE["width"])
    shoot(page, "board-request-check-375")
    assert Tour.objects.count() == 2
    context.close()
