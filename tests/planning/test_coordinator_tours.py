"""Tours a coordinator would run: nights near home are spent at home, the team travels as late
as it can instead of waiting days in a hotel, nobody leaves the minute a talk ends, and the
insertion estimate counts the nights a long drive adds. Every plan is verified."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from planner import Location, Problem, plan_tour, verify_plan
from planner.jsonio import problem_from_json
from planner.tour import TourModel
from planner.travel import DEPARTURE_BUFFER_MINUTES, TravelModel
from planner.verify import verify_plan as verify
from tests.planning.helpers import CAMDEN, MONDAY, NORRISTOWN, NY, PHILLY, request, team

PITTSBURGH = Location(40.4406, -79.9959, "Pittsburgh")
HARRISBURG = Location(40.2732, -76.8867, "Harrisburg")  # about 2.5 hours from Philadelphia
MEMPHIS = Location(35.1495, -90.0490, "Memphis")
WORK = 200_000


def solve(problem: Problem):
    plan = plan_tour(problem, seconds=30, work_units=WORK)
    assert verify_plan(problem, plan) == []
    return plan


def test_nights_near_home_are_no_hotel_nights():
    """Norristown and Camden lie within 80 km of Philadelphia: the team sleeps at home."""
    problem = Problem(
        teams=(team(last_day=MONDAY + timedelta(days=4)),),
        requests=(
            request("norristown", NORRISTOWN, MONDAY, 10, 12),
            request("camden", CAMDEN, MONDAY + timedelta(days=2), 10, 12),
        ),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    team_plan = plan.teams[0]
    assert team_plan.hotel_nights == 0 and team_plan.hotel_cost == 0
    # The planner's own count agrees with the plan it writes.
    model = TourModel(problem, TravelModel())
    for tp in plan.teams:
        for day in tp.days:
            for ev in day.events:
                ri = model.req_index[ev.request_id]
                ti, d = next(c for c in model.candidates[ri] if c[1] == (day.day - MONDAY).days)
                found = next(
                    x
                    for k in range(len(model.plan[ti][d]) + 1)
                    if (x := model.try_insert(ri, ti, d, k)) is not None
                )
                model.insert(found)
    assert model.hotel_nights(0) == 0


def test_the_team_travels_the_day_before_not_right_away():
    """A morning talk in Pittsburgh on Friday: the team does not drive on Monday and wait four
    nights in a hotel there; it leaves on Thursday (the last free day) and sleeps one night
    away."""
    friday = MONDAY + timedelta(days=4)
    problem = Problem(
        teams=(team(last_day=friday, max_driving_minutes_per_day=480),),
        requests=(request("pittsburgh", PITTSBURGH, friday, 9, 11, audience=1000),),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    days = {day.day: day for day in plan.teams[0].days}
    travel = [day.day for day in days.values() if day.legs and not day.events]
    assert travel == [friday - timedelta(days=1)]
    assert plan.teams[0].hotel_nights == 1


def test_a_team_at_home_leaves_on_the_morning_of_the_talk():
    """An afternoon talk 2.5 hours away: leave that morning, drive home that evening; no
    night away at all."""
    wednesday = MONDAY + timedelta(days=2)
    problem = Problem(
        teams=(team(last_day=MONDAY + timedelta(days=4), max_driving_minutes_per_day=480),),
        requests=(request("harrisburg", HARRISBURG, wednesday, 13, 17),),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    busy = [day for day in plan.teams[0].days if day.legs or day.events]
    assert [day.day for day in busy] == [wednesday]
    assert plan.teams[0].hotel_nights == 0


def test_legs_leave_a_buffer_after_a_talk_and_the_verifier_checks_it():
    problem = Problem(
        teams=(team(last_day=MONDAY),),
        requests=(
            request("camden", CAMDEN, MONDAY, 9, 10),
            request("norristown", NORRISTOWN, MONDAY, 9, 17),
        ),
    )
    plan = solve(problem)
    day = plan.teams[0].days[0]
    assert [e.request_id for e in day.events] == ["camden", "norristown"]
    camden = day.events[0]
    after = [leg for leg in day.legs if leg.depart >= camden.end]
    assert after and all(
        leg.depart >= camden.end + timedelta(minutes=DEPARTURE_BUFFER_MINUTES) for leg in after
    )
    # A leg moved to the minute the talk ends is refused by the verifier.
    leg = after[0]
    hurried = replace(leg, depart=camden.end, arrive=camden.end + (leg.arrive - leg.depart))
    legs = tuple(hurried if x is leg else x for x in day.legs)
    team_plan = replace(plan.teams[0], days=(replace(day, legs=legs),))
    codes = {v.code for v in verify(problem, replace(plan, teams=(team_plan,)))}
    assert "departure_buffer" in codes


def test_insertion_estimate_counts_the_nights_of_a_split_drive():
    """A team that does not fly reaches Memphis in stages; inserting the talk there costs the
    hotel nights at the stops as well as the drive, as the plan then counts them."""
    thursday = MONDAY + timedelta(days=3)
    problem = Problem(
        teams=(team(max_driving_minutes_per_day=480, max_flights_per_week=0),),
        requests=(
            request("philly", PHILLY, MONDAY, 9, 12, audience=1000),
            request("memphis", MEMPHIS, thursday, 9, 20, audience=1000),
        ),
    )
    model = TourModel(problem, TravelModel())
    philly = model.try_insert(model.req_index["philly"], 0, 0, 0)
    assert philly is not None
    model.insert(philly)
    before = model.build_plan(seed=0, seconds=0, stopped_by="", left_out=())
    ri = model.req_index["memphis"]
    found = model.try_insert(ri, 0, 3, 0)
    assert found is not None
    model.insert(found)
    after = model.build_plan(seed=0, seconds=0, stopped_by="", left_out=())
    assert after.teams[0].hotel_nights >= 2  # the stops on the way, and Memphis
    actual = after.teams[0].cost - before.teams[0].cost
    # Stage legs round to the minute, so a few attendees either way; a night is 15.
    assert abs(found.extra_cost - actual) < 5, (found.extra_cost, actual)
    assert date(2026, 3, 5) in {day.day for day in after.teams[0].days if day.events}


DETROIT = Location(42.3314, -83.0458, "Detroit")  # about 710 km from Philadelphia: a flight


def _detroit_week(**changes) -> Problem:
    """Philadelphia on Monday, Detroit on Wednesday, Philadelphia again on Friday."""
    return Problem(
        teams=(
            team(
                last_day=MONDAY + timedelta(days=5),
                max_driving_minutes_per_day=480,
                max_flights_per_week=1,
                **changes,
            ),
        ),
        requests=(
            request("philly", PHILLY, MONDAY, 9, 12, audience=1000),
            request("detroit", DETROIT, MONDAY + timedelta(days=2), 13, 17, audience=1000),
            request("camden", CAMDEN, MONDAY + timedelta(days=4), 13, 17, audience=1000),
        ),
    )


def test_the_team_drives_in_stages_when_that_costs_less_than_flying():
    plan = solve(_detroit_week())
    assert plan.left_out == ()
    legs = [leg for day in plan.teams[0].days for leg in day.legs]
    assert legs and all(leg.mode == "drive" for leg in legs)
    assert plan.teams[0].flights == 0


def test_the_team_drives_once_the_weeks_flight_cap_is_used():
    """Flights made cheap, so the team flies when it may; the week allows one flight, so the
    other far leg is driven in stages instead of leaving a talk out."""
    from planner import CostModel

    plan = solve(_detroit_week(costs=CostModel(flight_attendees=0)))
    assert plan.left_out == ()
    modes = [leg.mode for day in plan.teams[0].days for leg in day.legs]
    assert modes.count("flight") == 1 and plan.teams[0].flights == 1
    assert modes.count("drive") >= 2  # the other way, in stages


BALTIMORE = Location(39.2904, -76.6122, "Baltimore")  # about 140 km from Philadelphia


def test_between_two_stops_away_the_team_sleeps_at_home_when_the_days_between_are_free():
    """Harrisburg on Monday, Baltimore on Friday, both a morning's drive from Philadelphia: the
    team drives home on Monday evening and out again on Friday morning instead of paying four
    hotel nights in Harrisburg or Baltimore."""
    friday = MONDAY + timedelta(days=4)
    problem = Problem(
        teams=(team(last_day=friday, max_driving_minutes_per_day=480),),
        requests=(
            request("harrisburg", HARRISBURG, MONDAY, 10, 13),
            request("baltimore", BALTIMORE, friday, 12, 16),
        ),
    )
    plan = solve(problem)
    assert plan.left_out == ()
    team_plan = plan.teams[0]
    assert team_plan.hotel_nights == 0
    nights = [day.overnight_location.label for day in team_plan.days]
    assert nights == ["Philadelphia"] * 5


LANCASTER = Location(40.0379, -76.3055, "Lancaster")
YORK = Location(39.9626, -76.7277, "York")


def _three_small_talks_out_west() -> Problem:
    """Three talks of 35 people on one Tuesday, an hour or two west of Philadelphia: each alone
    costs more to reach than it is worth; one day trip to all three is worth it."""
    tuesday = MONDAY + timedelta(days=1)
    return Problem(
        teams=(team(last_day=MONDAY + timedelta(days=4), max_events_per_day=3),),
        requests=tuple(
            request(name, where, tuesday, 9, 20, audience=35)
            for name, where in (
                ("lancaster", LANCASTER),
                ("york", YORK),
                ("harrisburg", HARRISBURG),
            )
        ),
    )


def test_talks_worth_a_trip_only_together_go_in_together():
    problem = _three_small_talks_out_west()
    model = TourModel(problem, TravelModel())
    for ri in range(3):  # alone, none is worth the way there and back
        cost, *_ = model.cheapest_insertion(ri)
        assert cost > model.value[ri]
        assert model.best_insertion(ri) is None

    plan = solve(problem)

    assert plan.left_out == ()
    days = [day for day in plan.teams[0].days if day.events]
    assert len(days) == 1  # one day trip
    assert {ev.request_id for ev in days[0].events} == {"lancaster", "york", "harrisburg"}
    assert plan.teams[0].net_value > 0


def test_a_trip_that_does_not_pay_even_together_stays_out():
    problem = _three_small_talks_out_west()
    problem = replace(
        problem, requests=tuple(replace(r, expected_audience=15) for r in problem.requests)
    )
    plan = solve(problem)
    assert {left.request_id for left in plan.left_out} == {"lancaster", "york", "harrisburg"}
    assert {left.reason for left in plan.left_out} == {"not_worth_trip"}


def test_a_trip_that_pays_together_is_found_among_other_requests():
    """Far requests that are not worth their trips do not crowd the trip search out."""
    from tests.planning.helpers import DENVER

    base = _three_small_talks_out_west()
    tuesday = MONDAY + timedelta(days=1)
    others = (
        request("denver", DENVER, tuesday + timedelta(days=1), 9, 20, audience=30),
        request("pittsburgh", PITTSBURGH, tuesday + timedelta(days=2), 9, 20, audience=20),
    )
    problem = replace(base, requests=base.requests + others)
    plan = solve(problem)
    placed = {ev.request_id for day in plan.teams[0].days for ev in day.events}
    assert {"lancaster", "york", "harrisburg"} <= placed
    assert {left.request_id for left in plan.left_out} >= {"denver"}


def test_a_long_drive_before_an_early_talk_leaves_the_short_stage_for_its_morning():
    """Richmond on Tuesday evening, Princeton on Thursday at 10:00, six and a half hours apart
    with six a day: full stage on Wednesday, the short rest on Thursday morning, there an hour
    before the talk (stages of equal length made the team arrive after it started)."""
    case = Path(__file__).parent / "cases" / "early-talk-after-a-long-drive.json"
    problem = problem_from_json(json.loads(case.read_text()))
    plan = plan_tour(problem, seconds=5, seed=0)
    assert verify_plan(problem, plan) == []
    (team,) = plan.teams
    thursday = next(day for day in team.days if day.day.isoformat() == "2027-01-14")
    (talk,) = thursday.events
    arrival = thursday.legs[0].arrive
    assert (talk.start - arrival).total_seconds() >= 60 * 60  # the tour's gap


def test_a_morning_talk_near_home_is_reached_that_morning():
    """Princeton at 9:00, an hour from Philadelphia, with the working day from 8:00: with an
    earliest departure of 7:00 the team leaves that morning and sleeps at home the night
    before; without one it can only go the evening before. Talks still keep to the working
    day."""
    princeton = Location(40.3573, -74.6672, "Princeton")
    wednesday = MONDAY + timedelta(days=2)
    talk = request("princeton", princeton, wednesday, 9, 10)

    def run(departure):
        problem = Problem(
            teams=(team(earliest_departure=departure, last_day=MONDAY + timedelta(days=4)),),
            requests=(talk,),
        )
        plan = solve(problem)
        assert verify(problem, plan) == []
        return {day.day: day for day in plan.teams[0].days}

    early = run(time(7))
    (leg_out, _leg_home) = early[wednesday].legs
    assert leg_out.depart.astimezone(ZoneInfo(NY)).time() < time(8)
    assert early[wednesday].events[0].start.astimezone(ZoneInfo(NY)).time() == time(9)
    assert not early[wednesday - timedelta(days=1)].legs  # nobody drives out the night before

    late = run(None)
    assert late[wednesday - timedelta(days=1)].legs  # the only way: the evening before


def test_the_verifier_names_a_leg_that_leaves_before_the_earliest_departure():
    """A leg to the day's first talk may leave from the earliest departure, any other leg
    only in the working hours: the verifier names one that leaves too early."""
    princeton = Location(40.3573, -74.6672, "Princeton")
    wednesday = MONDAY + timedelta(days=2)
    problem = Problem(
        teams=(team(earliest_departure=time(7), last_day=MONDAY + timedelta(days=4)),),
        requests=(request("princeton", princeton, wednesday, 9, 10),),
    )
    plan = solve(problem)
    day = next(d for d in plan.teams[0].days if d.events)
    too_early = replace(
        day.legs[0],
        depart=day.legs[0].depart - timedelta(hours=1),
        arrive=day.legs[0].arrive - timedelta(hours=1),
    )
    broken_day = replace(day, legs=(too_early, *day.legs[1:]))
    broken = replace(
        plan,
        teams=(
            replace(
                plan.teams[0],
                days=tuple(broken_day if d is day else d for d in plan.teams[0].days),
            ),
        ),
    )
    assert verify(problem, plan) == []
    assert "working_hours" in {v.code for v in verify(problem, broken)}
