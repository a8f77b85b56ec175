"""Each hard rule is refused on each write path (service, API, admin) and nothing is saved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from events import services
from events.models import Event
from tests.conftest import local
from tests.factories import RequestWindowFactory, TourMemberFactory, UnavailabilityFactory

PHILADELPHIA = (39.9526, -75.1652)
MANHATTAN = (40.7484, -73.9967)
DAY = dt.date(2027, 3, 2)  # a Tuesday inside the tour


@dataclass
class Attempt:
    starts_at: dt.datetime
    ends_at: dt.datetime
    where: tuple[float, float] = MANHATTAN


def _book(tour, fellow, attempt: Attempt, **extra) -> Event:
    return services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=attempt.starts_at,
        ends_at=attempt.ends_at,
        title="Existing",
        latitude=attempt.where[0],
        longitude=attempt.where[1],
        timezone="America/New_York",
        **extra,
    )


def scenario_overlap_with_travel(tour, fellow) -> tuple[Attempt, str]:
    _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    # One hour after the first event ends would satisfy the gap, but not the drive from NYC.
    return Attempt(local(DAY, 12, 30), local(DAY, 13, 30), PHILADELPHIA), "overlap"


def scenario_minimum_gap(tour, fellow) -> tuple[Attempt, str]:
    _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    return Attempt(local(DAY, 11, 30), local(DAY, 12, 30)), "overlap"


def scenario_unavailability(tour, fellow) -> tuple[Attempt, str]:
    UnavailabilityFactory(fellow=fellow, starts_at=local(DAY, 0), ends_at=local(DAY, 23))
    return Attempt(local(DAY, 14), local(DAY, 15)), "unavailable"


def scenario_day_capacity(tour, fellow) -> tuple[Attempt, str]:
    _book(tour, fellow, Attempt(local(DAY, 9), local(DAY, 10)))
    _book(tour, fellow, Attempt(local(DAY, 12), local(DAY, 13)))
    return Attempt(local(DAY, 17), local(DAY, 18)), "day_capacity"


def scenario_outside_tour(tour, fellow) -> tuple[Attempt, str]:
    later = tour.end_date + dt.timedelta(days=3)
    return Attempt(local(later, 10), local(later, 11)), "outside_tour"


SCENARIOS = [
    scenario_overlap_with_travel,
    scenario_minimum_gap,
    scenario_unavailability,
    scenario_day_capacity,
    scenario_outside_tour,
]


def attempt_through_service(tour, fellow, attempt, client_factory) -> list[str]:
    with pytest.raises(services.BookingRefused) as refused:
        services.book_event(
            tour=tour,
            fellows=[fellow],
            starts_at=attempt.starts_at,
            ends_at=attempt.ends_at,
            title="New",
            latitude=attempt.where[0],
            longitude=attempt.where[1],
            timezone="America/New_York",
        )
    return [f.code for f in refused.value.findings]


def attempt_through_api(tour, fellow, attempt, client_factory) -> list[str]:
    api = client_factory("api")
    response = api.post(
        "/api/v1/events/",
        {
            "tour": tour.pk,
            "fellows": [fellow.pk],
            "title": "New",
            "starts_at": attempt.starts_at.isoformat(),
            "ends_at": attempt.ends_at.isoformat(),
            "latitude": attempt.where[0],
            "longitude": attempt.where[1],
            "timezone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) <= {"starts_at", "ends_at", "fellows", "override_reason"}
    return [message for messages in body.values() for message in messages]


def attempt_through_admin(tour, fellow, attempt, client_factory) -> list[str]:
    browser = client_factory("admin")
    # The admin takes the venue's wall-clock time, like the board.
    zone = ZoneInfo("America/New_York")
    local_start = attempt.starts_at.astimezone(zone)
    local_end = attempt.ends_at.astimezone(zone)
    response = browser.post(
        reverse("admin:events_event_add"),
        {
            "tour": tour.pk,
            "title": "New",
            "starts_at_0": local_start.date().isoformat(),
            "starts_at_1": local_start.time().isoformat(),
            "ends_at_0": local_end.date().isoformat(),
            "ends_at_1": local_end.time().isoformat(),
            "timezone": "America/New_York",
            "latitude": attempt.where[0],
            "longitude": attempt.where[1],
            "visibility": "private",
            "arrival_minutes_before": 30,
            "assigned_fellows": [fellow.pk],
            "assignments-TOTAL_FORMS": 0,
            "assignments-INITIAL_FORMS": 0,
            "assignments-MIN_NUM_FORMS": 0,
            "assignments-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 200, "the admin must show the form again, not save"
    form = response.context["adminform"].form
    return [message for messages in form.errors.values() for message in messages]


EXPECTED_WORDS = {
    "overlap": "overlap",
    "unavailable": "unavailable",
    "day_capacity": "a day",
    "outside_tour": "tour's dates",
}


@pytest.fixture
def client_factory(staff_user, client):
    from rest_framework.test import APIClient

    def make(kind: str):
        if kind == "api":
            api = APIClient()
            api.force_authenticate(staff_user)
            return api
        client.force_login(staff_user)
        return client

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__.removeprefix("scenario_"))
@pytest.mark.parametrize(
    "path",
    [attempt_through_service, attempt_through_api, attempt_through_admin],
    ids=["service", "api", "admin"],
)
def test_hard_rule_is_refused_on_every_write_path(scenario, path, tour, fellow, client_factory):
    attempt, code = scenario(tour, fellow)
    before = Event.objects.count()

    outcome = path(tour, fellow, attempt, client_factory)

    assert Event.objects.count() == before
    if path is attempt_through_service:
        assert code in outcome
    else:
        assert any(EXPECTED_WORDS[code] in message for message in outcome), outcome


@pytest.mark.django_db
def test_unavailability_message_keeps_the_reason_private(tour, fellow):
    UnavailabilityFactory(
        fellow=fellow, starts_at=local(DAY, 0), ends_at=local(DAY, 23), reason="Family in Hyesan"
    )
    with pytest.raises(services.BookingRefused) as refused:
        _book(tour, fellow, Attempt(local(DAY, 14), local(DAY, 15)))
    assert "Hyesan" not in str(refused.value.message_dict)


@pytest.mark.django_db
def test_booking_is_allowed_once_travel_and_gap_fit(tour, fellow):
    _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    later = _book(tour, fellow, Attempt(local(DAY, 15), local(DAY, 16), PHILADELPHIA))
    assert later.pk and list(later.fellows.all()) == [fellow]


@pytest.mark.django_db
def test_another_fellow_may_be_booked_at_the_same_time(tour, fellow):
    other = TourMemberFactory(tour=tour).fellow
    _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    assert _book(tour, other, Attempt(local(DAY, 10), local(DAY, 11))).pk


@pytest.mark.django_db
def test_cancelled_event_frees_the_slot(tour, fellow):
    first = _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    services.cancel_event(event=first)
    assert _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11))).pk


@pytest.mark.django_db
def test_host_window_miss_needs_an_override_reason(tour, fellow, staff_api):
    window = RequestWindowFactory(earliest_start=dt.time(9), latest_end=dt.time(12))
    speaker_request = window.request
    outside = Attempt(local(DAY, 18), local(DAY, 19))
    payload = {
        "tour": tour.pk,
        "fellows": [fellow.pk],
        "request": speaker_request.pk,
        "starts_at": outside.starts_at.isoformat(),
        "ends_at": outside.ends_at.isoformat(),
    }

    refused = staff_api.post("/api/v1/events/", payload, format="json")
    assert refused.status_code == 400
    assert "override_reason" in refused.json()
    assert Event.objects.count() == 0

    accepted = staff_api.post(
        "/api/v1/events/", {**payload, "override_reason": "Host agreed by phone"}, format="json"
    )
    assert accepted.status_code == 201, accepted.content
    event = Event.objects.get()
    assert event.window_override_reason == "Host agreed by phone"
    assert event.venue_name == speaker_request.organization.name
    speaker_request.refresh_from_db()
    assert speaker_request.status == "proposed"


@pytest.mark.django_db
def test_reschedule_into_a_conflict_is_refused_and_changes_nothing(tour, fellow):
    _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    movable = _book(tour, fellow, Attempt(local(DAY, 16), local(DAY, 17)))
    with pytest.raises(services.BookingRefused):
        services.reschedule_event(
            event=movable, starts_at=local(DAY, 10, 30), ends_at=local(DAY, 11, 30)
        )
    movable.refresh_from_db()
    assert movable.starts_at == local(DAY, 16)
    assert movable.sequence == 0


@pytest.mark.django_db
def test_reschedule_raises_sequence_and_moves_assignments(tour, fellow):
    event = _book(tour, fellow, Attempt(local(DAY, 10), local(DAY, 11)))
    moved = services.reschedule_event(event=event, starts_at=local(DAY, 14), ends_at=local(DAY, 15))
    assert moved.sequence == 1
    assignment = moved.assignments.get()
    assert (assignment.starts_at, assignment.ends_at) == (local(DAY, 14), local(DAY, 15))


LOS_ANGELES = (34.0522, -118.2437)


def _book_in_la(tour, fellow, day: dt.date, hour: int, minute: int = 0) -> Event:
    zone = ZoneInfo("America/Los_Angeles")
    starts = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
    return services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        title="West coast",
        latitude=LOS_ANGELES[0],
        longitude=LOS_ANGELES[1],
        timezone="America/Los_Angeles",
        override_reason="An evening talk, agreed with the fellow.",  # past working hours
    )


def test_a_days_limits_count_the_day_where_the_fellow_is(tour, fellow):
    """A tour planned from New York reaches Los Angeles: 21:30 there is already tomorrow in
    New York, but it is the fellow's evening, on the tour's last day."""
    tour.max_events_per_day = 1
    tour.save()
    last_evening = _book_in_la(tour, fellow, tour.end_date, 21, 30)
    assert last_evening.pk  # inside the tour's dates where it happens

    earlier = tour.end_date - dt.timedelta(days=1)
    _book_in_la(tour, fellow, earlier, 9)
    with pytest.raises(ValidationError) as refused:
        _book_in_la(tour, fellow, earlier, 21, 30)  # the same local day: over the limit
    assert "the tour allows 1 a day" in str(refused.value)


def test_a_venue_outside_the_tours_region_is_a_warning_the_planner_would_agree_with(tour, fellow):
    from events.rules import Slot, soft_rule_warnings
    from tests.factories import SpeakerRequestFactory

    tour.region_states, tour.region_radius_km = ["NY", "NJ"], 150
    tour.save()
    seattle = SpeakerRequestFactory(state="WA", latitude=47.61, longitude=-122.33)
    newark = SpeakerRequestFactory(state="NJ", latitude=40.74, longitude=-74.17)
    online = SpeakerRequestFactory(state="", format="virtual", latitude=None, longitude=None)
    day = dt.date(2027, 3, 3)

    def codes(request) -> set[str]:
        slot = Slot(
            tour=tour,
            fellows=[fellow],
            starts_at=local(day, 10),
            ends_at=local(day, 11),
            latitude=request.latitude,
            longitude=request.longitude,
        )
        return {finding.code for finding in soft_rule_warnings(slot, request=request)}

    assert "outside_region" in codes(seattle)
    assert "outside_region" not in codes(newark)
    assert "outside_region" not in codes(online)


def test_a_hand_booked_event_keeps_the_tours_gap_after_arrival(tour, fellow):
    tour.min_gap_minutes = 45
    tour.save()
    day = dt.date(2027, 3, 3)

    event = services.book_event(
        tour=tour, fellows=[fellow], starts_at=local(day, 14), ends_at=local(day, 15)
    )

    # The day sheet's "arrive by" and the invite's "arrives about … before" read this.
    assert event.arrival_minutes_before == 45
