"""The proposal on the staff board, as a coordinator reads it at a desk and on a phone.

A tour kept in the tour's zone (Chicago) that works East Coast venues: every proposal row must
show the venue's city and the venue's own local time (EST, never CST); the map shows the
region and the numbered stops with their cities and a legend per team; a host whose preferred
day is the tour's rest day, and one whose preferred day a fellow's blackout takes, are told
apart in plain words, without the blackout's private reason; at 375 px nothing scrolls
sideways. Screenshots land in var/e2e/.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from events import proposals
from events.models import PlanningRun, RequestWindow
from tests.e2e.conftest import shoot, sign_in_staff
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    StaffFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2027, 3, 1)
SUNDAY = MONDAY + dt.timedelta(days=6)
PRIVATE_REASON = "Hospital visit for a relative"
# (host, city, state, lat, lon): all in the region but Chicago, which is outside it.
HOSTS = [
    ("Grace Church", "New York", "NY", 40.7484, -73.9967),
    ("Newark Forum", "Newark", "NJ", 40.7357, -74.1724),
    ("Penn Students", "Philadelphia", "PA", 39.9526, -75.1652),
    ("Princeton Seminary", "Princeton", "NJ", 40.3573, -74.6672),
    ("Loop Company", "Chicago", "IL", 41.8781, -87.6298),
]


@pytest.fixture
def proposal(db) -> PlanningRun:
    StaffFactory(username="coordinator")
    tour = TourFactory(
        name="Tri-state week",
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=6),
        timezone="America/Chicago",  # the office's zone; the venues are in the East
        start_location="New York, NY",
        region_states=["NY", "NJ", "PA"],
        rest_weekdays=[6],
    )
    fellow = FellowFactory(display_name="Grace")
    TourMemberFactory(tour=tour, fellow=fellow, team="A")
    east = ZoneInfo("America/New_York")
    away = MONDAY + dt.timedelta(days=2)
    UnavailabilityFactory(
        fellow=fellow,
        starts_at=dt.datetime.combine(away, dt.time(0), tzinfo=east),
        ends_at=dt.datetime.combine(away + dt.timedelta(days=1), dt.time(0), tzinfo=east),
        reason=PRIVATE_REASON,
    )
    for host, city, state, lat, lon in HOSTS:
        speaker_request = SpeakerRequestFactory(
            organization__name=host,
            city=city,
            state=state,
            latitude=lat,
            longitude=lon,
            timezone="America/Chicago" if state == "IL" else "America/New_York",
            expected_audience=200,
        )
        preferred = {"Grace Church": SUNDAY, "Newark Forum": away}.get(host)
        if preferred is None:
            RequestWindowFactory(
                request=speaker_request, start_date=MONDAY, end_date=MONDAY + dt.timedelta(5)
            )
            continue
        RequestWindowFactory(request=speaker_request, start_date=preferred, end_date=preferred)
        possible = MONDAY + dt.timedelta(days=3)
        RequestWindowFactory(
            request=speaker_request,
            start_date=possible,
            end_date=possible,
            preference=RequestWindow.Preference.POSSIBLE,
        )
    run = proposals.request_proposal(tour=tour, seconds=2)
    return proposals.run_proposal(run.pk)


def log_in(page, url: str) -> None:
    sign_in_staff(page, url, "coordinator", "correct-horse-battery")


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_proposal_shows_figures_map_local_times_and_lost_preferred_days(
    live_server, proposal, page
):
    assert proposal.status == PlanningRun.Status.DONE, proposal.error
    log_in(page, live_server.url)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/staff/tours/{proposal.tour_id}/")

    figures = page.locator("#proposal-teams")
    for heading in ("Events", "Audience", "km driven", "Flights", "Hotel nights", "Cost"):
        expect(figures.locator("thead")).to_contain_text(heading)
    expect(figures.locator("tbody tr")).to_have_count(1)

    rows = page.locator("#proposal-events tbody tr")
    expect(rows).to_have_count(4)  # every host in the region; Chicago is outside it
    for index in range(4):
        row = rows.nth(index)
        expect(row.locator(".when-local")).to_contain_text("EST")
        expect(row.locator(".city")).not_to_be_empty()
    expect(page.locator("#proposal-events")).not_to_contain_text("CST")

    sunday_row = page.locator("#proposal-events tr", has_text="Grace Church")
    expect(sunday_row.locator(".window-note")).to_contain_text("the tour's rest day (Sunday)")
    blackout_row = page.locator("#proposal-events tr", has_text="Newark Forum")
    expect(blackout_row.locator(".window-note")).to_contain_text("a fellow is unavailable on")
    expect(page.locator("body")).not_to_contain_text(PRIVATE_REASON)
    expect(page.locator("#left-out")).to_contain_text("outside the tour's region")

    route_map = page.locator("#proposal-map")
    expect(route_map.locator(".region polygon")).to_have_count(3)  # NY, NJ, PA
    expect(route_map.locator(".proposal-stop")).to_have_count(4)
    expect(route_map.locator(".stop-number").first).to_have_text("1")
    legend = route_map.locator("#route-legend-A")
    expect(legend).to_contain_text("Region: NJ, NY, PA")
    for city in ("New York, NY", "Newark, NJ", "Philadelphia, PA", "Princeton, NJ"):
        expect(legend.locator(".stops")).to_contain_text(city)
    shoot(page, "proposal-desktop")

    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert no_sideways_scroll(page)
    expect(page.locator("#proposal-events tbody tr").first).to_be_visible()
    expect(legend.locator(".stops li")).to_have_count(4)
    shoot(page, "proposal-375")
