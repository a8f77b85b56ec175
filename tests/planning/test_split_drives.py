"""Events on the way: a drive longer than a day's driving limit is split over days, with an
overnight on the straight line between, and events on the travel days where they fit."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from planner import Location, Problem, plan_tour, verify_plan
from planner.travel import TravelModel, great_circle_km
from tests.planning.helpers import MONDAY, PHILLY, request, team

MEMPHIS = Location(35.1495, -90.0490, "Memphis")
KNOXVILLE = Location(35.9606, -83.9207, "Knoxville")  # close to the Philadelphia-Memphis line
PITTSBURGH = Location(40.4406, -79.9959, "Pittsburgh")
EIGHT_HOURS = 480
WORK = 200_000


def solve(problem: Problem):
    plan = plan_tour(problem, seconds=30, work_units=WORK)
    assert verify_plan(problem, plan) == []
    return plan


def no_flights_problem(*extra, memphis_day: date = date(2026, 3, 5)) -> Problem:
    """Two venues ~1,400 km apart, 8 driving hours a day, no flight allowed."""
    return Problem(
        teams=(
            team(
                max_driving_minutes_per_day=EIGHT_HOURS,
                max_flights_per_week=0,
                end_location=MEMPHIS,
            ),
        ),
        requests=(
            request("philly", PHILLY, MONDAY, audience=1000),
            request("memphis", MEMPHIS, memphis_day, 9, 20, audience=1000),
            *extra,
        ),
    )


def test_far_venues_without_flights_are_booked_with_a_split_drive():
    assert 1350 < great_circle_km(PHILLY, MEMPHIS) < 1450
    plan = solve(no_flights_problem())
    assert plan.left_out == ()
    days = plan.teams[0].days
    legs = [leg for day in days for leg in day.legs]
    assert legs and all(leg.mode == "drive" for leg in legs)
    for day in days:
        assert sum(leg.driving_minutes for leg in day.legs) <= EIGHT_HOURS
    # The drive takes three days: two nights at stops on the way, neither end.
    driving_days = [day for day in days if day.legs]
    assert len(driving_days) == 3
    stops = [day.overnight_location for day in driving_days[:-1]]
    for stop in stops:
        assert great_circle_km(stop, PHILLY) > 300 and great_circle_km(stop, MEMPHIS) > 300
        assert "km from" in stop.label and stop.timezone
    # The stop lies on the straight line: the two stages add up to the whole way.
    whole = great_circle_km(PHILLY, MEMPHIS)
    via = great_circle_km(PHILLY, stops[0]) + great_circle_km(stops[0], MEMPHIS)
    assert abs(via - whole) < 1.0
    # The nights at the stops are hotel nights and are priced.
    team_plan = plan.teams[0]
    assert team_plan.hotel_nights == 2
    assert team_plan.hotel_cost == team_plan.hotel_nights * 15.0  # the default cost model


def test_an_event_along_the_route_is_held_on_a_travel_day():
    on_the_way = request("knoxville", KNOXVILLE, date(2026, 3, 4), 12, 20, audience=500)
    plan = solve(no_flights_problem(on_the_way, memphis_day=date(2026, 3, 6)))
    assert plan.left_out == ()
    days = {day.day: day for day in plan.teams[0].days}
    wednesday = days[date(2026, 3, 4)]
    assert [e.request_id for e in wednesday.events] == ["knoxville"]
    assert wednesday.legs, "the team drives to Knoxville on the day of its talk"
    for day in days.values():
        assert sum(leg.driving_minutes for leg in day.legs) <= EIGHT_HOURS


def test_a_drive_over_the_limit_out_and_home_is_split_both_ways():
    drive = TravelModel().leg(PHILLY, PITTSBURGH)
    assert drive.mode == "drive" and drive.driving_minutes > 300  # the helper team's limit
    problem = Problem(
        teams=(team(),),
        requests=(request("pitt", PITTSBURGH, date(2026, 3, 4), audience=2000),),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    days = plan.teams[0].days
    legs = [leg for day in days for leg in day.legs]
    assert len(legs) == 4  # two stages out, two home
    assert all(sum(leg.driving_minutes for leg in day.legs) <= 300 for day in days)
    assert (
        days[-1].overnight_location == PHILLY
        or great_circle_km(days[-1].overnight_location, PHILLY) < 0.1
    )
    # Out and home the team sleeps at the same stop, under the same name.
    out_stop, home_stop = (
        day.overnight_location
        for day in days
        if day.legs
        and not day.events
        and great_circle_km(day.overnight_location, PHILLY) > 1
        and great_circle_km(day.overnight_location, PITTSBURGH) > 1
    )
    assert out_stop == home_stop


def test_without_days_between_the_far_venue_is_left_out():
    tight = replace(
        no_flights_problem(),
        requests=(
            request("philly", PHILLY, MONDAY, audience=1000),
            request("memphis", MEMPHIS, date(2026, 3, 3), 9, 20, audience=900),
        ),
    )
    plan = solve(tight)
    assert {x.request_id for x in plan.left_out} == {"memphis"}


def test_the_verifier_rejects_the_whole_drive_on_one_day():
    plan = solve(no_flights_problem())
    days = list(plan.teams[0].days)
    driving = [i for i, day in enumerate(days) if day.legs]
    first, last = driving[0], driving[-1]
    merged = replace(days[last], legs=tuple(leg for i in driving for leg in days[i].legs))
    for i in driving[:-1]:
        days[i] = replace(days[i], legs=(), overnight_location=days[first].start_location)
    days[last] = replace(merged, start_location=days[first].start_location)
    broken = replace(plan, teams=(replace(plan.teams[0], days=tuple(days)),))
    codes = {v.code for v in verify_plan(no_flights_problem(), broken)}
    assert "driving_limit" in codes


def test_a_split_drive_can_start_on_the_evening_after_a_talk():
    # Memphis on Wednesday: Tuesday alone cannot hold two of the three stages, so the team
    # leaves after Monday's morning talk and drives the rest of that day's limit.
    problem = replace(
        no_flights_problem(memphis_day=date(2026, 3, 4)),
        requests=(
            request("philly", PHILLY, MONDAY, 9, 11, audience=1000),
            request("memphis", MEMPHIS, date(2026, 3, 4), 9, 20, audience=1000),
        ),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    monday, tuesday, wednesday = plan.teams[0].days[:3]
    assert [e.request_id for e in monday.events] == ["philly"]
    (evening,) = monday.legs
    assert evening.depart >= monday.events[0].end and evening.mode == "drive"
    assert "km from" in monday.overnight_location.label
    assert tuesday.legs and not tuesday.events
    assert [e.request_id for e in wednesday.events] == ["memphis"] and wednesday.legs
    for day in (monday, tuesday, wednesday):
        assert sum(leg.driving_minutes for leg in day.legs) <= EIGHT_HOURS
