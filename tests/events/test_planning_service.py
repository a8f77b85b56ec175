"""The planner in the product: input from a tour, stored proposals, acceptance, re-planning."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

import planner as engine
from common import time_display
from events import proposals, selectors, services
from events.models import Event, PlanningRun, SpeakerRequest
from events.rules import Slot, hard_rule_violations, soft_rule_warnings
from fellows.models import ItineraryItem
from fellows.services import rotate_feed_token
from planner.jsonio import plan_from_json, problem_from_json
from scheduler.celery import app as celery_app
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    StaffFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)

# (city, ZIP, lat, lon, audience)
HOSTS = [
    ("New York", "10001", 40.7484, -73.9967, 300),
    ("Newark", "07102", 40.7357, -74.1724, 120),
    ("Philadelphia", "19103", 39.9526, -75.1652, 250),
    ("Princeton", "08540", 40.3573, -74.6672, 80),
    ("Baltimore", "21218", 39.3299, -76.6205, 150),
    ("Washington", "20057", 38.9076, -77.0723, 200),
]


@pytest.fixture
def tour_with_requests(db):
    tour = TourFactory(
        start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 7), rest_weekdays=[6]
    )
    fellows = [FellowFactory(display_name="Grace"), FellowFactory(display_name="Daniel")]
    for fellow in fellows:
        TourMemberFactory(tour=tour, fellow=fellow, team="A")
    requests = []
    for index, (city, zip_code, lat, lon, audience) in enumerate(HOSTS):
        speaker_request = SpeakerRequestFactory(
            city=city, zip_code=zip_code, latitude=lat, longitude=lon, expected_audience=audience
        )
        day = dt.date(2027, 3, 1) + dt.timedelta(days=index % 5)
        RequestWindowFactory(
            request=speaker_request,
            start_date=day,
            end_date=day + dt.timedelta(days=1),
            earliest_start=dt.time(9),
            latest_end=dt.time(20),
        )
        requests.append(speaker_request)
    return tour, fellows, requests


def _propose(tour, seconds: float = 1.0) -> PlanningRun:
    run = PlanningRun.objects.create(tour=tour, seconds=seconds, seed=3)
    return proposals.run_proposal(run.pk)


def _board_totals(tour):
    """The tour page's routes and totals, read from the booked itinerary as the page reads
    them."""
    events = list(selectors.tour_events(tour=tour))
    routes = selectors.tour_routes(
        tour=tour, events=events, itinerary=proposals.booked_itinerary(tour)
    )
    return routes, selectors.tour_totals(events=events, routes=routes)


def _book(tour, fellows, speaker_request, starts, *, hours: float = 1, **extra):
    return services.book_event(
        tour=tour,
        fellows=fellows,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        request=speaker_request,
        **extra,
    )


def _move_one_a_day_later(tour) -> Event:
    """As staff do on the board: the first proposed event whose next day has room for it."""
    for event in Event.objects.filter(tour=tour, status=Event.Status.TENTATIVE):
        try:
            return services.reschedule_event(
                event=event,
                starts_at=event.starts_at + dt.timedelta(days=1),
                ends_at=event.ends_at + dt.timedelta(days=1),
                override_reason="Trying another day.",
            )
        except services.BookingRefused:
            continue
    raise AssertionError("no proposed event could be moved a day later")


def test_build_problem_reflects_tour_rules_blackouts_and_requests(tour_with_requests):
    tour, fellows, requests = tour_with_requests
    UnavailabilityFactory(
        fellow=fellows[0],
        starts_at=local(dt.date(2027, 3, 3), 0),
        ends_at=local(dt.date(2027, 3, 3), 23),
    )
    problem = proposals.build_problem(tour)
    (team,) = problem.teams
    assert set(team.fellow_ids) == {str(f.pk) for f in fellows}
    assert team.max_events_per_day == tour.max_events_per_day
    assert team.rest_weekdays == frozenset({6})
    assert len(team.unavailability) == 1
    assert {r.id for r in problem.requests} == {str(r.pk) for r in requests}


def test_proposal_is_stored_verified_and_changes_nothing_until_accepted(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    run = _propose(tour)
    assert run.status == PlanningRun.Status.DONE and run.progress == 100
    plan = plan_from_json(run.plan)
    assert engine.verify_plan(problem_from_json(run.problem), plan) == []
    proposed = [e for t in plan.teams for d in t.days for e in d.events]
    assert len(proposed) + len(plan.left_out) == len(requests)
    assert proposed, "six close requests in a week must yield events"
    assert Event.objects.count() == 0


def test_accepting_books_tentative_events_that_obey_every_rule(tour_with_requests):
    tour, fellows, _requests = tour_with_requests
    run = _propose(tour)
    outcome = proposals.accept_proposal(run=run)
    assert outcome.refused == {}
    events = list(Event.objects.filter(tour=tour))
    assert events and all(e.status == Event.Status.TENTATIVE for e in events)
    for event in events:
        slot = Slot(
            tour=tour,
            fellows=fellows,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            latitude=event.latitude,
            longitude=event.longitude,
            exclude_event_id=event.pk,
        )
        assert hard_rule_violations(slot) == []
        assert event.request.status == SpeakerRequest.Status.PROPOSED
    assert ItineraryItem.objects.filter(tour=tour, kind="lodging").exists()
    assert set(ItineraryItem.objects.filter(tour=tour).values_list("fellows", flat=True)) == {
        f.pk for f in fellows
    }


def test_partial_acceptance_books_only_the_chosen_requests(tour_with_requests):
    tour, _fellows, _requests = tour_with_requests
    run = _propose(tour)
    chosen = run.plan["teams"][0]["days"]
    first_id = next(e["request_id"] for d in chosen for e in d["events"])
    outcome = proposals.accept_proposal(run=run, request_ids=[first_id])
    assert [str(e.request_id) for e in outcome.booked] == [first_id]
    assert Event.objects.count() == 1


def test_replanning_keeps_confirmed_events_where_they_are(tour_with_requests):
    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    confirmed = services.confirm_event(event=Event.objects.order_by("starts_at").first())

    second = _propose(tour, seconds=1.5)
    locked_ids = {
        e["request_id"]
        for t in second.plan["teams"]
        for d in t["days"]
        for e in d["events"]
        if e["locked"]
    }
    assert str(confirmed.request_id) in locked_ids
    assert proposals.proposal_summary(second)["kept"] == len(locked_ids) >= 1
    # The confirmed talk counts its audience in the plan's value, as a proposed one does.
    problem = proposals.build_problem(tour)
    kept = next(r for r in problem.requests if r.id == str(confirmed.request_id))
    assert kept.expected_audience == round(
        confirmed.request.expected_audience * confirmed.request.priority
    )
    proposals.accept_proposal(run=second)

    confirmed.refresh_from_db()
    assert confirmed.status == Event.Status.CONFIRMED
    active = Event.objects.exclude(status=Event.Status.CANCELLED)
    assert active.filter(request=confirmed.request).count() == 1


def test_left_out_request_carries_a_reason(tour_with_requests):
    tour, _fellows, _requests = tour_with_requests
    sunday_only = SpeakerRequestFactory(latitude=40.75, longitude=-73.99)
    RequestWindowFactory(
        request=sunday_only, start_date=dt.date(2027, 3, 7), end_date=dt.date(2027, 3, 7)
    )
    run = _propose(tour)
    summary = proposals.proposal_summary(run)
    left = {x["request_id"]: x for x in summary["left_out"]}
    assert str(sunday_only.pk) in left
    assert left[str(sunday_only.pk)]["reason"] in engine.REASONS
    assert left[str(sunday_only.pk)]["message"]


def test_plan_tour_command_prints_progress_and_reasons(tour_with_requests, capsys):
    tour, _fellows, _requests = tour_with_requests
    call_command("plan_tour", str(tour.pk), "--seconds", "1", "--accept")
    out = capsys.readouterr().out
    assert "100%" in out and "Proposal #" in out and "tentative events booked" in out
    assert "team A:" in out and "net value" in out
    assert Event.objects.filter(tour=tour).exists()


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_proposal_api_queues_reports_progress_and_accepts(
    tour_with_requests, staff_api, eager_celery, django_capture_on_commit_callbacks
):
    tour, _fellows, _requests = tour_with_requests
    with django_capture_on_commit_callbacks(execute=True):
        created = staff_api.post(
            "/api/v1/proposals/", {"tour": tour.pk, "seconds": 1}, format="json"
        )
    assert created.status_code == 202
    polled = staff_api.get(f"/api/v1/proposals/{created.json()['id']}/").json()
    assert polled["status"] == "done" and polled["progress"] == 100
    assert polled["summary"]["events"] >= 1
    accepted = staff_api.post(f"/api/v1/proposals/{polled['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200
    assert len(accepted.json()["booked"]) == Event.objects.filter(tour=tour).count()


def test_proposal_api_refuses_bad_input_and_anonymous(tour_with_requests, staff_api, client):
    tour, _fellows, _requests = tour_with_requests
    bad = staff_api.post("/api/v1/proposals/", {"tour": 999999, "seconds": 0}, format="json")
    assert bad.status_code == 400 and {"tour", "seconds"} <= set(bad.json())
    assert client.post("/api/v1/proposals/", {"tour": tour.pk}).status_code == 401
    assert PlanningRun.objects.count() == 0


def test_fellow_booked_in_another_tour_is_not_double_booked(tour_with_requests):
    tour, fellows, requests = tour_with_requests
    other = TourFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 7))
    TourMemberFactory(tour=other, fellow=fellows[0], team="A")
    # Grace speaks in Pittsburgh for the other tour on Monday 12:00-14:00; New York (Monday or
    # Tuesday 9-20) is then possible only later on Tuesday.
    booked = services.book_event(
        tour=other,
        fellows=[fellows[0]],
        starts_at=local(dt.date(2027, 3, 1), 12),
        ends_at=local(dt.date(2027, 3, 1), 14),
        title="Pittsburgh talk",
        latitude=40.4406,
        longitude=-79.9959,
        # The other tour starts that morning in New York, too far to be there an hour ahead.
        override_reason="Grace travels the night before, outside this tour",
    )
    problem = proposals.build_problem(tour)
    (team,) = problem.teams
    assert [(c.fellow_id, c.start) for c in team.commitments] == [
        (str(fellows[0].pk), booked.starts_at)
    ]
    assert "Pittsburgh" not in str(problem)  # only time and place cross tours
    run = _propose(tour)
    plan = plan_from_json(run.plan)
    assert engine.verify_plan(problem_from_json(run.problem), plan) == []
    for day in (d for t in plan.teams for d in t.days):
        for event in day.events:
            travel = engine.TravelModel().leg(event.location, engine.Location(40.4406, -79.9959))
            gap = dt.timedelta(minutes=travel.minutes + tour.min_gap_minutes)
            assert event.end + gap <= booked.starts_at or event.start >= booked.ends_at + gap


def test_request_live_in_another_tour_is_not_proposed_again(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    other = TourFactory(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 7))
    elsewhere = FellowFactory()
    TourMemberFactory(tour=other, fellow=elsewhere, team="A")
    taken = requests[0]
    services.book_event(
        tour=other,
        fellows=[elsewhere],
        starts_at=local(dt.date(2027, 3, 1), 10),
        ends_at=local(dt.date(2027, 3, 1), 11),
        request=taken,
    )
    assert str(taken.pk) not in {r.id for r in proposals.build_problem(tour).requests}
    assert set(proposals.open_requests_for(tour)) == set(requests[1:])


def test_build_problem_carries_costs_caps_region_and_end(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    tour.flight_worth_attendees = 400
    tour.hotel_night_worth_attendees = 30
    tour.max_flights_per_week = 2
    tour.region_states = ["NY", "NJ"]
    tour.region_radius_km = 500
    tour.end_latitude, tour.end_longitude, tour.end_location = 39.95, -75.17, "Philadelphia, PA"
    tour.full_clean()
    tour.save()
    (team,) = proposals.build_problem(tour).teams
    assert team.costs.flight_attendees == 400 and team.costs.hotel_night_attendees == 30
    assert team.max_flights_per_week == 2
    assert team.region_states == frozenset({"NY", "NJ"}) and team.region_radius_km == 500
    assert team.home == engine.Location(39.95, -75.17, "Philadelphia, PA", "America/New_York")


def test_requests_outside_the_region_are_left_out_with_that_reason(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    for speaker_request, (_city, _zip, _lat, _lon, _aud), state in zip(
        requests, HOSTS, ["NY", "NJ", "PA", "NJ", "MD", "DC"], strict=True
    ):
        speaker_request.state = state
        speaker_request.save(update_fields=["state"])
    tour.region_states = ["NY", "NJ"]
    tour.save()
    run = _propose(tour)
    summary = proposals.proposal_summary(run)
    outside = {x["request_id"] for x in summary["left_out"] if x["reason"] == "outside_region"}
    assert outside == {str(r.pk) for r in requests if r.state not in ("NY", "NJ")}
    message = next(x["message"] for x in summary["left_out"] if x["reason"] == "outside_region")
    assert "outside the tour's region (NJ, NY)" in message
    (team,) = summary["teams"]
    assert team["events"] >= 1 and team["audience"] > 0
    assert team["net_value"] == pytest.approx(team["value"] - team["cost"], abs=0.2)


def test_region_states_must_be_two_letter_codes(tour_with_requests):
    from django.core.exceptions import ValidationError

    tour, _fellows, _requests = tour_with_requests
    tour.region_states = ["California"]
    with pytest.raises(ValidationError) as caught:
        tour.full_clean()
    assert "region_states" in caught.value.message_dict
    tour.region_states = ["CA", "ZZ", "XX"]
    with pytest.raises(ValidationError) as caught:
        tour.full_clean()
    assert caught.value.message_dict["region_states"] == ["Not a US state code: XX, ZZ."]


def test_a_reversed_tour_is_refused_in_words_not_by_constraint_name(tour_with_requests):
    from django.core.exceptions import ValidationError

    tour, _fellows, _requests = tour_with_requests
    tour.end_date = tour.start_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        tour.full_clean()
    assert caught.value.messages == ["The tour's last day is before its first day."]


def test_tour_api_sets_the_cost_model_and_region(tour_with_requests, staff_api):
    tour, _fellows, _requests = tour_with_requests
    url = f"/api/v1/tours/{tour.pk}/"
    changed = staff_api.patch(
        url,
        {"region_states": ["CA", "OR"], "flight_worth_attendees": 300, "max_flights_per_week": 0},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    tour.refresh_from_db()
    assert tour.region_states == ["CA", "OR"] and tour.flight_worth_attendees == 300
    assert tour.max_flights_per_week == 0
    bad = staff_api.patch(url, {"region_states": "CA"}, format="json")
    assert bad.status_code == 400 and "region_states" in bad.json()


def _items(tour, kind=None):
    items = ItineraryItem.objects.filter(tour=tour, source=ItineraryItem.Source.PLANNER)
    return list(items.filter(kind=kind) if kind else items)


def test_partial_acceptance_writes_the_travel_of_exactly_the_accepted_events(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    run = _propose(tour)
    plan = plan_from_json(run.plan)
    planned = [e for t in plan.teams for d in t.days for e in d.events]
    assert len(planned) >= 2
    far = max(planned, key=lambda e: abs(e.location.lat - tour.start_latitude))
    proposals.accept_proposal(run=run, request_ids=[far.request_id])
    (event,) = Event.objects.filter(tour=tour)
    travel = _items(tour, ItineraryItem.Kind.TRAVEL)
    assert travel, "the one accepted event needs a way there and back"
    places = {i.to_location for i in travel} | {i.from_location for i in travel}
    assert places == {event.city + ", " + event.state, tour.start_location or "Tour start"}
    # There and back: the route ends where it began.
    assert travel[0].from_location == travel[-1].to_location


def test_whole_acceptance_writes_nothing_for_events_not_booked(tour_with_requests):
    tour, _fellows, requests = tour_with_requests
    run = _propose(tour)
    planned_ids = {
        e["request_id"] for t in run.plan["teams"] for d in t["days"] for e in d["events"]
    }
    # A host withdraws a request after the proposal was made: it can no longer be booked.
    gone = SpeakerRequest.objects.get(pk=int(sorted(planned_ids)[0]))
    gone.status = SpeakerRequest.Status.DECLINED
    gone.save(update_fields=["status"])
    outcome = proposals.accept_proposal(run=run)
    booked_cities = {f"{e.city}, {e.state}" for e in Event.objects.filter(tour=tour)}
    assert str(gone.pk) not in {str(e.request_id) for e in outcome.booked}
    assert outcome.refused[str(gone.pk)] == [
        "The host's request is no longer open; it was not booked."
    ]
    assert not Event.objects.filter(request=gone).exists()
    assert f"{gone.city}, {gone.state}" not in booked_cities
    for item in _items(tour):
        assert item.to_location in booked_cities | {tour.start_location or "Tour start"}, item


def test_overnights_name_the_city_in_the_zone_where_the_team_sleeps(db):
    tour = TourFactory(
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 4),
        rest_weekdays=[6],
        start_location="Chicago, IL",
        start_latitude=41.8781,
        start_longitude=-87.6298,
        timezone="America/Chicago",
    )
    TourMemberFactory(tour=tour, fellow=FellowFactory(), team="A")
    naperville = SpeakerRequestFactory(
        city="Naperville",
        state="IL",
        latitude=41.7508,
        longitude=-88.1535,
        timezone="America/Chicago",
    )
    madison = SpeakerRequestFactory(
        city="Madison", state="WI", latitude=43.0731, longitude=-89.4012, timezone="America/Chicago"
    )
    for speaker_request, day in ((naperville, 1), (madison, 2)):
        RequestWindowFactory(
            request=speaker_request,
            start_date=dt.date(2027, 3, day),
            end_date=dt.date(2027, 3, day),
            earliest_start=dt.time(19),
            latest_end=dt.time(21),
        )
    run = _propose(tour)
    rows = selectors.proposed_events(run=run)
    assert [(r["label"], r["city"], r["timezone"]) for r in rows] == [
        (naperville.organization.name, "Naperville, IL", "America/Chicago"),
        (madison.organization.name, "Madison, WI", "America/Chicago"),
    ]
    proposals.accept_proposal(run=run)
    assert Event.objects.filter(tour=tour).count() == 2
    nights = _items(tour, ItineraryItem.Kind.LODGING)
    # Naperville is 45 km from Chicago, the tour's start: the team sleeps at home there.
    assert [n.title for n in nights] == ["Overnight near Madison, WI"]
    assert {n.timezone for n in nights} == {"America/Chicago"}
    assert nights[0].starts_at == local(dt.date(2027, 3, 2), 21, zone=ZoneInfo("America/Chicago"))
    # The proposal's count of hotel nights is the nights written.
    assert [team["hotel_nights"] for team in run.plan["teams"]] == [len(nights)]


def test_a_weekend_at_home_is_a_plain_rest_day_without_hotel_nights(db):
    """Talks in Chicago's suburbs on Friday and Monday: the team sleeps at home, so the
    weekend reads "Rest day" (not "Rest day near Naperville") and no night is a hotel night."""
    tour = TourFactory(
        start_date=dt.date(2027, 3, 5),
        end_date=dt.date(2027, 3, 8),
        rest_weekdays=[5, 6],
        start_location="Chicago, IL",
        start_latitude=41.8781,
        start_longitude=-87.6298,
        timezone="America/Chicago",
    )
    TourMemberFactory(tour=tour, fellow=FellowFactory(), team="A")
    for city, lat, lon, day in (
        ("Naperville", 41.7508, -88.1535, 5),
        ("Aurora", 41.7606, -88.3201, 8),
    ):
        RequestWindowFactory(
            request=SpeakerRequestFactory(
                city=city, state="IL", latitude=lat, longitude=lon, timezone="America/Chicago"
            ),
            start_date=dt.date(2027, 3, day),
            end_date=dt.date(2027, 3, day),
            earliest_start=dt.time(10),
            latest_end=dt.time(21),
        )
    run = _propose(tour)
    assert run.plan["left_out"] == []
    proposals.accept_proposal(run=run)
    assert Event.objects.filter(tour=tour).count() == 2
    assert _items(tour, ItineraryItem.Kind.LODGING) == []
    assert [i.title for i in _items(tour, ItineraryItem.Kind.REST)] == ["Rest day", "Rest day"]
    assert [team["hotel_nights"] for team in run.plan["teams"]] == [0]


def test_accepting_again_replaces_the_planners_items(tour_with_requests):
    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    first = sorted((i.kind, i.title, i.starts_at) for i in _items(tour))
    proposals.accept_proposal(run=_propose(tour))
    again = sorted((i.kind, i.title, i.starts_at) for i in _items(tour))
    assert first and again == first


def test_planner_verifier_and_booking_rules_agree_on_the_venues_day(db):
    # A New York tour with talks in Los Angeles: 18:00-20:00 there is 21:00-23:00 in New York,
    # past the tour's 21:00 at home but inside its working hours at the venue; 07:00 there is
    # 10:00 in New York but before 08:00 at the venue. The booking rules read the venue's day.
    tour = TourFactory(
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 5),
        start_location="Pasadena, CA",
        start_latitude=34.1478,
        start_longitude=-118.1445,
        timezone="America/New_York",
        max_flights_per_week=None,
    )
    fellow = FellowFactory()
    TourMemberFactory(tour=tour, fellow=fellow, team="A")
    evening, morning = (
        SpeakerRequestFactory(
            city="Los Angeles",
            state="CA",
            latitude=lat,
            longitude=lon,
            timezone="America/Los_Angeles",
            expected_audience=300,
        )
        for lat, lon in ((34.0522, -118.2437), (34.0689, -118.4452))
    )
    RequestWindowFactory(
        request=evening,
        start_date=dt.date(2027, 3, 2),
        end_date=dt.date(2027, 3, 2),
        earliest_start=dt.time(18),
        latest_end=dt.time(20),
    )
    RequestWindowFactory(
        request=morning,
        start_date=dt.date(2027, 3, 3),
        end_date=dt.date(2027, 3, 3),
        earliest_start=dt.time(7),
        latest_end=dt.time(10),
    )
    run = _propose(tour)
    plan = plan_from_json(run.plan)
    assert engine.verify_plan(problem_from_json(run.problem), plan) == []
    proposals.accept_proposal(run=run)
    events = {e.request_id: e for e in Event.objects.filter(tour=tour)}
    assert set(events) == {evening.pk, morning.pk}
    la = ZoneInfo("America/Los_Angeles")
    assert events[evening.pk].starts_at.astimezone(la).hour == 18
    assert events[morning.pk].starts_at.astimezone(la).time() >= dt.time(8)
    for request_id, event in events.items():
        slot = Slot(
            tour=tour,
            fellows=[fellow],
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            latitude=event.latitude,
            longitude=event.longitude,
            exclude_event_id=event.pk,
            timezone=event.timezone,
        )
        assert hard_rule_violations(slot) == []
        request = SpeakerRequest.objects.get(pk=request_id)
        assert soft_rule_warnings(slot, request=request) == []
        assert event.window_override_reason == ""  # booked without overriding a soft rule


def test_cancelling_or_moving_a_planned_event_rewrites_the_travel_around_it(tour_with_requests):
    tour, fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    events = list(Event.objects.filter(tour=tour).order_by("starts_at"))
    last = events[-1]
    city = last.city

    def legs_to(place: str) -> int:
        return ItineraryItem.objects.filter(
            tour=tour, source=ItineraryItem.Source.PLANNER, to_location__contains=place
        ).count()

    assert legs_to(city) >= 1
    others = {e.city for e in events[:-1]}
    services.cancel_event(event=last)

    if city not in others:
        assert legs_to(city) == 0  # no fellow is sent to a cancelled venue any more
    assert ItineraryItem.objects.filter(tour=tour, source=ItineraryItem.Source.PLANNER).exists()


def test_replanning_tells_hosts_only_the_new_time_or_that_it_is_off(tour_with_requests):
    from notifications.models import Notification

    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    # Staff move one proposed event a day later (the first whose next day has room for it).
    _move_one_a_day_later(tour)
    before = set(Notification.objects.values_list("pk", flat=True))

    proposals.accept_proposal(run=_propose(tour, seconds=1.5))

    new = Notification.objects.exclude(pk__in=before)
    withdrawn = {n.speaker_request_id for n in new.filter(kind="proposal_withdrawn")}
    live = set(
        Event.objects.filter(
            tour=tour, status__in=[Event.Status.TENTATIVE, Event.Status.CONFIRMED]
        ).values_list("request_id", flat=True)
    )
    assert not withdrawn & live  # nobody hears "off" for a request that was booked again
    proposed_again = {n.speaker_request_id for n in new.filter(kind="proposal")}
    assert proposed_again <= live


def test_a_proposal_that_moves_a_tentative_event_moves_it_in_place(tour_with_requests, client):
    """The fellows' calendars see a moved event (same UID, higher SEQUENCE), not a cancelled
    one and a new one; the host is asked about the new time."""
    from notifications.models import Notification

    tour, fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    # Staff move one proposed event a day later; the next proposal puts it back.
    moved = _move_one_a_day_later(tour)
    staff_time, sequence = moved.starts_at, moved.sequence
    events_before = set(Event.objects.values_list("pk", flat=True))
    notifications_before = set(Notification.objects.values_list("pk", flat=True))

    run = _propose(tour)
    planned = {
        p.request_id: p.start
        for t in plan_from_json(run.plan).teams
        for d in t.days
        for p in d.events
    }
    assert planned[str(moved.request_id)] != staff_time, "the proposal keeps the staff's time"
    outcome = proposals.accept_proposal(run=run)

    moved.refresh_from_db()
    assert moved.status == Event.Status.TENTATIVE
    assert moved.starts_at == planned[str(moved.request_id)]
    assert moved.sequence == sequence + 1
    assert moved in outcome.booked and moved not in outcome.cancelled
    assert not Event.objects.filter(request=moved.request_id).exclude(pk=moved.pk).exists()
    assert set(Event.objects.values_list("pk", flat=True)) <= events_before  # nothing rebooked
    new = Notification.objects.exclude(pk__in=notifications_before)
    (asked,) = new.filter(speaker_request=moved.request_id)
    assert asked.kind == "proposal"
    # The host hears that this time replaces the one they were asked about before.
    earlier = time_display.format_date_time(staff_time, moved.timezone)
    assert f"It replaces the time we proposed before, {earlier}." in asked.body_text
    assert "Good news" not in asked.body_text
    token = rotate_feed_token(fellow=fellows[0])
    feed = client.get(f"/feeds/fellow/{token}.ics").content.decode()
    assert "STATUS:CANCELLED" not in feed
    assert feed.count(f"UID:{moved.ical_uid}") == 1


def test_a_time_the_host_turned_down_is_not_proposed_again(tour_with_requests):
    """ "This time does not work": the next proposal offers no time that overlaps it, even after
    staff moved the event (which forgets the answer; the history keeps it)."""
    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    event = Event.objects.filter(tour=tour, status=Event.Status.TENTATIVE).first()
    assert event is not None
    declined = (event.starts_at, event.ends_at)
    services.answer_proposal(
        speaker_request=event.request, works=False, comment="Mornings are exams week."
    )
    assert proposals.declined_times([event.request_id]) == {event.request_id: {declined}}
    _move_one_a_day_later(tour)  # staff try another time; the answer is reset

    run = _propose(tour)
    planned = [
        p
        for t in plan_from_json(run.plan).teams
        for d in t.days
        for p in d.events
        if p.request_id == str(event.request_id)
    ]
    assert all(p.end <= declined[0] or p.start >= declined[1] for p in planned)
    # The planner's input no longer holds it: no window of the request covers that time.
    zone = ZoneInfo(event.request.timezone)
    starts, ends = (moment.astimezone(zone) for moment in declined)
    windows = next(
        (
            r.windows
            for r in proposals.build_problem(tour).requests
            if r.id == str(event.request_id)
        ),
        (),
    )
    assert not any(
        w.first_date <= starts.date() <= w.last_date
        and w.earliest_start < ends.time()
        and starts.time() < w.latest_end
        for w in windows
    )


def test_the_route_problems_name_the_fellow_and_the_day_once(tour_with_requests):
    """A fellow away while booked (entered twice): the tour page's line names her and the day
    as the board writes days, once."""
    tour, fellows, requests = tour_with_requests
    _book(tour, fellows, requests[0], local(dt.date(2027, 3, 2), 14))
    for _copy in range(2):
        UnavailabilityFactory(
            fellow=fellows[0],
            starts_at=local(dt.date(2027, 3, 2), 0),
            ends_at=local(dt.date(2027, 3, 3), 0),
        )

    lines = proposals.itinerary_problems(tour, proposals.booked_itinerary(tour))

    away = [line for line in lines if "unavailable" in line]
    assert away and len(lines) == len(set(lines))
    assert all("Grace is unavailable" in line and "Mar 2, 2027" in line for line in away)
    assert not any("2027-03-02" in line or f"fellow {fellows[0].pk}" in line for line in lines)


def test_a_declined_time_is_cut_out_of_the_hosts_windows():
    """Two days 9:00-12:00, 9:15-10:00 turned down on the first, a 45-minute talk: the second
    day whole, and on the first only 10:00-12:00 (9:00-9:15 cannot hold the talk)."""
    window = engine.RequestWindow(dt.date(2027, 3, 4), dt.date(2027, 3, 5), dt.time(9), dt.time(12))
    zone = ZoneInfo("America/New_York")
    start = dt.datetime(2027, 3, 4, 9, 15, tzinfo=zone)
    parts = proposals._without(window, start, start + dt.timedelta(minutes=45), 45)
    assert set(parts) == {
        engine.RequestWindow(dt.date(2027, 3, 5), dt.date(2027, 3, 5), dt.time(9), dt.time(12)),
        engine.RequestWindow(dt.date(2027, 3, 4), dt.date(2027, 3, 4), dt.time(10), dt.time(12)),
    }
    evening = dt.datetime(2027, 3, 4, 18, tzinfo=zone)  # outside the window's hours
    assert proposals._without(window, evening, evening + dt.timedelta(hours=1), 45) == [window]


def test_accepting_a_split_drive_writes_each_stage_and_the_overnights_between(db):
    # Philadelphia and Memphis are ~1,400 km apart; 8 driving hours a day and no flights.
    tour = TourFactory(
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 5),
        rest_weekdays=[6],
        start_location="Philadelphia, PA",
        start_latitude=39.9526,
        start_longitude=-75.1652,
        end_location="Memphis, TN",
        end_latitude=35.1495,
        end_longitude=-90.0490,
        max_driving_hours_per_day=8,
        max_flights_per_week=0,
    )
    TourMemberFactory(tour=tour, fellow=FellowFactory(), team="A")
    hosts = (
        ("Philadelphia", "PA", 39.9526, -75.1652, "America/New_York", 1),
        ("Memphis", "TN", 35.1495, -90.0490, "America/Chicago", 4),
    )
    for city, state, lat, lon, zone, day in hosts:
        RequestWindowFactory(
            request=SpeakerRequestFactory(
                city=city,
                state=state,
                latitude=lat,
                longitude=lon,
                timezone=zone,
                expected_audience=1000,
            ),
            start_date=dt.date(2027, 3, day),
            end_date=dt.date(2027, 3, day),
            earliest_start=dt.time(9),
            latest_end=dt.time(20),
        )
    run = _propose(tour)
    plan = plan_from_json(run.plan)
    assert engine.verify_plan(problem_from_json(run.problem), plan) == []
    assert plan.left_out == ()
    outcome = proposals.accept_proposal(run=run)
    assert outcome.refused == {}
    assert Event.objects.filter(tour=tour).count() == 2
    drives = sorted(_items(tour, ItineraryItem.Kind.TRAVEL), key=lambda item: item.starts_at)
    assert len(drives) == 3 and all(d.title.startswith("Drive to ") for d in drives)
    assert drives[-1].to_location == "Memphis, TN"
    for drive in drives:
        assert drive.ends_at - drive.starts_at <= dt.timedelta(hours=8)
    assert len({drive.starts_at.date() for drive in drives}) == 3  # one stage a day
    assert sum(drive.distance_km for drive in drives) == pytest.approx(1839, abs=10)
    stops = [drive.to_location for drive in drives[:-1]]
    nights = [n.title for n in _items(tour, ItineraryItem.Kind.LODGING)]
    assert nights == [f"Overnight near {stop}" for stop in stops]
    assert all(" km from " in stop for stop in stops)


def test_the_page_names_what_accepting_all_cancels_and_the_outcome_reports_it(
    tour_with_requests, client, staff_user
):
    tour, fellows, _requests = tour_with_requests
    # A tentative event the next proposal cannot keep: booked by hand, with a reason, outside
    # its host's only window (in April), so the planner leaves the request out.
    first = _propose(tour)
    proposals.accept_proposal(run=first)
    kept = Event.objects.filter(tour=tour).order_by("starts_at").first()
    late = SpeakerRequestFactory(city="Trenton", latitude=40.22, longitude=-74.76)
    RequestWindowFactory(request=late, start_date=dt.date(2027, 4, 5), end_date=dt.date(2027, 4, 6))
    dropped = services.book_event(
        tour=tour,
        fellows=fellows,
        starts_at=local(dt.date(2027, 3, 6), 19),
        ends_at=local(dt.date(2027, 3, 6), 20),
        request=late,
        override_reason="Agreed by phone.",
    )
    second = _propose(tour)

    named = proposals.cancelled_by_accepting_all(second)
    rows = {row["request_id"]: row for row in selectors.proposed_events(run=second)}
    client.force_login(staff_user)
    page = client.get(f"/staff/tours/{tour.pk}/").content.decode()
    outcome = proposals.accept_proposal(run=second)

    assert [e.pk for e in named] == [dropped.pk]
    assert 'id="accept-all-cancels"' in page and dropped.title in page
    # A request already booked at the proposed time reads "yes", not "not yet".
    if rows[str(kept.request_id)]["starts_at"] == kept.starts_at:
        assert rows[str(kept.request_id)]["accepted"] is True
    assert [e.pk for e in outcome.cancelled] == [dropped.pk]
    dropped.refresh_from_db()
    assert dropped.status == Event.Status.CANCELLED


def test_a_new_rest_day_under_a_booked_event_is_named_not_slipped_in(tour_with_requests):
    from django.core.exceptions import ValidationError

    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    event = Event.objects.filter(tour=tour).order_by("starts_at").first()
    weekday = event.starts_at.astimezone(ZoneInfo(event.timezone)).weekday()

    with pytest.raises(ValidationError) as caught:
        services.update_tour(tour=tour, changes={"rest_weekdays": [weekday, 6]})

    assert any(event.title in message and "rests" in message for message in caught.value.messages)
    tour.refresh_from_db()
    assert tour.rest_weekdays == [6]
    # Rest days that were there already are not named again.
    assert services.update_tour(tour=tour, changes={"rest_weekdays": [6]}).rest_weekdays == [6]


def test_the_board_counts_the_route_the_itinerary_is_written_from(tour_with_requests, client):
    """The tour's kilometres, flights and hotel nights on the board are those of the travel
    and lodging items fellows get (the trip home included), not a second reckoning."""
    tour, _fellows, _requests = tour_with_requests
    proposals.accept_proposal(run=_propose(tour))
    items = ItineraryItem.objects.filter(tour=tour, source=ItineraryItem.Source.PLANNER)
    travel = items.filter(kind=ItineraryItem.Kind.TRAVEL)
    assert travel.exists()
    routes, totals = _board_totals(tour)
    assert totals.km == sum(round(i.distance_km) for i in travel)
    assert totals.hotel_nights == items.filter(kind=ItineraryItem.Kind.LODGING).count()
    assert totals.flights == travel.filter(mode=ItineraryItem.Mode.FLIGHT).count()
    assert not travel.filter(mode="").exists()
    # The last leg takes the team home: the map's line ends at the start it left from.
    (route,) = routes
    assert route.points[-1] == route.points[0] and len(route.points) == len(route.stops) + 2

    client.force_login(StaffFactory())
    page = client.get(f"/staff/tours/{tour.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<dt>Kilometres driven</dt><dd>{round(totals.km_driven)}</dd>" in html
    assert f"<dt>Hotel nights</dt><dd>{totals.hotel_nights}</dd>" in html


def test_booking_by_hand_writes_the_itinerary_the_board_counts(tour_with_requests):
    """A talk booked by hand gets its drive, night and trip home at once (the same route the
    board's totals count); a tour whose travel staff write by hand is left to them."""
    tour, fellows, requests = tour_with_requests
    washington = requests[5]  # 20057, four hours' drive from the tour's start in New York
    starts = local(dt.date(2027, 3, 2), 14)
    _book(tour, fellows, washington, starts)
    items = ItineraryItem.objects.filter(tour=tour, source=ItineraryItem.Source.PLANNER)
    travel = items.filter(kind=ItineraryItem.Kind.TRAVEL)
    assert [item.to_location for item in travel][-1] == tour.start_label  # the trip home
    assert travel.filter(ends_at__lte=starts).exists()  # there before the talk
    routes, totals = _board_totals(tour)
    assert totals.km == sum(round(i.distance_km) for i in travel)
    assert totals.hotel_nights == items.filter(kind=ItineraryItem.Kind.LODGING).count()

    other = TourFactory(start_date=tour.start_date, end_date=tour.end_date)
    daniel = FellowFactory()
    TourMemberFactory(tour=other, fellow=daniel, team="A")
    ItineraryItem.objects.create(
        tour=other,
        kind=ItineraryItem.Kind.TRAVEL,
        title="Train to Baltimore",
        starts_at=starts - dt.timedelta(hours=4),
        ends_at=starts - dt.timedelta(hours=2),
    )
    baltimore = local(dt.date(2027, 3, 5), 14)
    _book(other, [daniel], requests[4], baltimore)
    titles = ItineraryItem.objects.filter(tour=other).values_list("title", flat=True)
    assert list(titles) == ["Train to Baltimore"]


def test_accepting_again_does_not_rebook_what_staff_cancelled_since(tour_with_requests):
    tour, _fellows, _requests = tour_with_requests
    run = _propose(tour)
    first = proposals.accept_proposal(run=run)
    gone = first.booked[0]
    services.cancel_event(event=gone, reason="The host's hall is flooded")
    again = proposals.accept_proposal(run=run)
    assert again.refused == {
        str(gone.request_id): ["Cancelled after this proposal was made; it was not booked again."]
    }
    assert not Event.objects.filter(
        request_id=gone.request_id, status__in=[Event.Status.TENTATIVE, Event.Status.CONFIRMED]
    ).exists()
    # The rest of the proposal is still booked where it was.
    assert again.booked == []


def _book_new_york_then_denver(tour, fellows, requests) -> None:
    """A talk in New York one afternoon and in Denver the next: a route that must fly."""
    tour.max_flights_per_week = 1
    tour.save()
    _book(tour, fellows, requests[0], local(dt.date(2027, 3, 1), 14))
    denver = SpeakerRequestFactory(
        city="Denver",
        state="CO",
        zip_code="80202",
        latitude=39.7392,
        longitude=-104.9903,
        timezone="America/Denver",
    )
    RequestWindowFactory(
        request=denver,
        start_date=dt.date(2027, 3, 2),
        end_date=dt.date(2027, 3, 2),
        earliest_start=dt.time(9),
        latest_end=dt.time(20),
    )
    _book(tour, fellows, denver, dt.datetime(2027, 3, 2, 15, tzinfo=ZoneInfo("America/Denver")))


def test_a_flight_lands_in_the_zone_of_its_arrival(tour_with_requests, client):
    """The itinerary, the fellow's feed and day sheet read a flight's arrival where it lands."""
    tour, fellows, requests = tour_with_requests
    _book_new_york_then_denver(tour, fellows, requests)
    flight = ItineraryItem.objects.filter(tour=tour, mode=ItineraryItem.Mode.FLIGHT).first()
    assert flight is not None  # the first, New York to Denver; the trip home flies back
    # The board counts driven and flown kilometres apart, each as the items add up.
    flights = ItineraryItem.objects.filter(tour=tour, mode=ItineraryItem.Mode.FLIGHT)
    drives = ItineraryItem.objects.filter(tour=tour, mode=ItineraryItem.Mode.DRIVE)
    _routes, totals = _board_totals(tour)
    assert totals.km_flown == sum(round(i.distance_km) for i in flights) > 0
    assert totals.km_driven == sum(round(i.distance_km) for i in drives)
    assert (flight.timezone, flight.end_zone) == ("America/New_York", "America/Denver")

    token = rotate_feed_token(fellow=fellows[0])
    feed = client.get(f"/feeds/fellow/{token}.ics").content.decode()
    lands = flight.ends_at.astimezone(ZoneInfo("America/Denver"))
    assert f"DTEND;TZID=America/Denver:{lands:%Y%m%dT%H%M%S}" in feed

    fellows[0].user = UserFactory(username="grace")
    fellows[0].save()
    client.force_login(fellows[0].user)
    sheet = client.get("/me/day-sheets/")
    assert sheet.status_code == 200
    departs = flight.starts_at.astimezone(ZoneInfo("America/New_York"))
    text = sheet.content.decode()
    assert f"{departs:%-I:%M %p} EST – {lands:%-I:%M %p} MST" in text


def test_a_flight_cap_the_booked_route_cannot_keep_is_named(tour_with_requests):
    """Lowering the flight cap under a route that must fly (New York one day, Denver the next)
    is refused, naming the week; a cap it keeps is saved and the itinerary rewritten."""
    from django.core.exceptions import ValidationError

    tour, fellows, requests = tour_with_requests
    _book_new_york_then_denver(tour, fellows, requests)
    assert ItineraryItem.objects.filter(tour=tour, mode=ItineraryItem.Mode.FLIGHT).exists()
    with pytest.raises(ValidationError) as refused:
        services.update_tour(tour=tour, changes={"max_flights_per_week": 0})
    assert any(
        "Week 1 of the tour has 1 flight, over the cap of 0" in m for m in refused.value.messages
    )
    tour.refresh_from_db()
    assert tour.max_flights_per_week == 1
    services.update_tour(tour=tour, changes={"max_flights_per_week": 2})
    assert ItineraryItem.objects.filter(tour=tour, mode=ItineraryItem.Mode.FLIGHT).exists()


def test_a_tour_edit_that_leaves_no_way_to_a_talk_is_named_and_the_page_says_so(
    tour_with_requests, client
):
    """Philadelphia at 10:30 AM, two hours from the start, with a fellow away the days before: a
    7 AM departure reaches it that morning; an 8:30 one cannot. The edit is refused naming
    the talk; a tour already in that state says so on its page."""
    from django.core.exceptions import ValidationError

    tour, fellows, requests = tour_with_requests
    tour.work_day_start = dt.time(7)
    tour.save()
    philadelphia = local(dt.date(2027, 3, 3), 10, 30)
    _book(tour, fellows, requests[2], philadelphia)
    UnavailabilityFactory(  # from the tour's first day: no day to travel out before
        fellow=fellows[0],
        starts_at=local(dt.date(2027, 3, 1), 0),
        ends_at=local(dt.date(2027, 3, 3), 0),
    )
    staff = StaffFactory()
    client.force_login(staff)
    page = client.get(f"/staff/tours/{tour.pk}/")
    assert page.status_code == 200 and b'id="itinerary-problems"' not in page.content

    with pytest.raises(ValidationError) as refused:
        services.update_tour(
            tour=tour,
            changes={"work_day_start": dt.time(8, 30), "earliest_departure": dt.time(8, 30)},
        )
    assert any(m.startswith(requests[2].organization.name) for m in refused.value.messages)

    Tour = type(tour)
    Tour.objects.filter(pk=tour.pk).update(
        work_day_start=dt.time(8, 30), earliest_departure=dt.time(8, 30)
    )
    page = client.get(f"/staff/tours/{tour.pk}/")
    assert page.status_code == 200
    assert b'id="itinerary-problems"' in page.content
    assert requests[2].organization.name.encode() in page.content


def test_a_booking_that_leaves_no_way_to_reach_a_talk_needs_a_reason(
    tour_with_requests, staff_user, client
):
    """Booking by hand checks the fellows' route too: Washington at 9 AM on the tour's first
    day, four hours from its start, cannot be reached an hour ahead. "Check" names it without
    booking anything; booking needs a reason; with one it is booked and the tour page says the
    itinerary cannot be run as booked."""
    tour, _fellows, requests = tour_with_requests
    washington = requests[5]
    client.force_login(staff_user)
    form = {"where": f"{tour.pk}:A", "day": "2027-03-01", "start": "09:00", "end": "10:00"}
    url = f"/staff/requests/{washington.pk}/book/"
    checked = client.post(url, {**form, "check": "1"})
    assert checked.status_code == 200
    assert 'data-code="route"' in checked.content.decode()
    assert not Event.objects.filter(request=washington).exists()
    assert not ItineraryItem.objects.filter(tour=tour).exists()
    refused = client.post(url, form)
    assert refused.status_code == 409 and 'data-code="route"' in refused.content.decode()
    assert not Event.objects.filter(request=washington).exists()
    reason = {"override_reason": "The team drives down the night before"}
    assert client.post(url, {**form, **reason}).status_code == 302
    assert Event.objects.filter(request=washington, status=Event.Status.TENTATIVE).exists()
    page = client.get(f"/staff/tours/{tour.pk}/")
    assert 'id="itinerary-problems"' in page.content.decode()


def test_a_new_proposal_says_which_of_its_talks_staff_cancelled_before(
    tour_with_requests, staff_user, client
):
    tour, _fellows, _requests = tour_with_requests
    booked = proposals.accept_proposal(run=_propose(tour)).booked
    gone = booked[0]
    services.cancel_event(event=gone, reason="The hall is flooded")
    fresh = _propose(tour)
    rows = {row["request_id"]: row for row in selectors.proposed_events(run=fresh)}
    row = rows[str(gone.request_id)]
    assert row["cancelled_at"] is not None and not row["accepted"]
    assert all(
        rows[str(e.request_id)]["cancelled_at"] is None
        for e in booked[1:]
        if str(e.request_id) in rows
    )
    client.force_login(staff_user)
    page = client.get(f"/staff/tours/{tour.pk}/").content.decode()
    assert "not yet; staff cancelled it" in page
