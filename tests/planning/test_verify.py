"""The verifier catches each kind of broken rule in plans built or spoiled by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from planner import (
    DayPlan,
    LockedEvent,
    Plan,
    PlannedEvent,
    Problem,
    TeamPlan,
    TravelLeg,
    TravelModel,
    Unavailability,
    verify_plan,
)
from tests.planning.helpers import CAMDEN, DENVER, MONDAY, NORRISTOWN, PHILLY, request, team

TRAVEL = TravelModel()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """New York wall clock in March 2026 before DST: UTC-5."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=hour + 5, minutes=minute
    )


def leg(a, b, depart: datetime) -> TravelLeg:
    t = TRAVEL.leg(a, b)
    return TravelLeg(
        a, b, depart, depart + timedelta(minutes=t.minutes), t.km, t.mode, t.driving_minutes
    )


def event(rid, loc, start: datetime, minutes: int = 60) -> PlannedEvent:
    return PlannedEvent(rid, start, start + timedelta(minutes=minutes), loc, 100.0)


def one_day_plan(day: date, events, legs, start=PHILLY, overnight=None) -> Plan:
    overnight = overnight or (events[-1].location if events else start)
    return Plan(
        teams=(
            TeamPlan("t1", (DayPlan(day, False, start, overnight, tuple(events), tuple(legs)),)),
        ),
        left_out=(),
        total_value=0,
        total_km=0,
        driving_minutes=0,
        seed=0,
        seconds=0,
        stopped_by="budget",
    )


def base():
    """A correct plan: Philadelphia 10:00, drive to Camden, Camden 14:00."""
    problem = Problem(
        # A one-day, one-way tour that ends in Camden, so no trip home is needed.
        teams=(team(last_day=MONDAY, end_location=CAMDEN),),
        requests=(request("a", PHILLY, MONDAY, 9, 17), request("b", CAMDEN, MONDAY, 9, 17)),
    )
    e1 = event("a", PHILLY, at(MONDAY, 10))
    e2 = event("b", CAMDEN, at(MONDAY, 14))
    plan = one_day_plan(MONDAY, [e1, e2], [leg(PHILLY, CAMDEN, at(MONDAY, 12))])
    return problem, plan, e1, e2


def codes(problem, plan) -> set[str]:
    return {v.code for v in verify_plan(problem, plan)}


def test_correct_plan_has_no_violation():
    problem, plan, *_ = base()
    assert verify_plan(problem, plan) == []


def test_double_booking_counts_travel_and_gap():
    problem, _, e1, _ = base()
    # Camden starts 11:05: after Philadelphia ends, but not after travel plus 30 min gap.
    e2 = event("b", CAMDEN, at(MONDAY, 11, 5))
    plan = one_day_plan(MONDAY, [e1, e2], [leg(PHILLY, CAMDEN, at(MONDAY, 11))])
    assert "double_booking" in codes(problem, plan)


def test_fellow_on_two_teams_cannot_be_in_two_places():
    problem, plan, e1, _ = base()
    second = team(id="t2", fellow_ids=("ben",), start_location=NORRISTOWN, last_day=MONDAY)
    problem = replace(
        problem,
        teams=problem.teams + (second,),
        requests=problem.requests + (request("c", NORRISTOWN, MONDAY),),
    )
    other = TeamPlan(
        "t2",
        (
            DayPlan(
                MONDAY, False, NORRISTOWN, NORRISTOWN, (event("c", NORRISTOWN, at(MONDAY, 10)),), ()
            ),
        ),
    )
    plan = replace(plan, teams=plan.teams + (other,))
    assert "double_booking" in codes(problem, plan)


def test_unavailability():
    problem, plan, *_ = base()
    blocked = replace(
        problem.teams[0], unavailability=(Unavailability("ben", at(MONDAY, 13), at(MONDAY, 16)),)
    )
    assert "unavailability" in codes(replace(problem, teams=(blocked,)), plan)


def test_max_events_per_day():
    problem, plan, *_ = base()
    capped = replace(problem.teams[0], max_events_per_day=1)
    assert "max_events" in codes(replace(problem, teams=(capped,)), plan)


def test_events_outside_tour_dates():
    problem, _, *_ = base()
    later = MONDAY + timedelta(days=1)
    plan = one_day_plan(later, [event("a", PHILLY, at(later, 10))], [])
    problem = replace(problem, requests=(request("a", PHILLY, later), problem.requests[1]))
    assert "outside_tour" in codes(problem, plan)


def test_outside_request_window():
    problem, plan, e1, e2 = base()
    narrow = request("b", CAMDEN, MONDAY, 9, 12)
    assert "outside_window" in codes(replace(problem, requests=(problem.requests[0], narrow)), plan)


def test_working_hours():
    problem, _, e1, _ = base()
    late = event("b", CAMDEN, at(MONDAY, 20, 30))
    problem = replace(problem, requests=(problem.requests[0], request("b", CAMDEN, MONDAY, 9, 23)))
    plan = one_day_plan(MONDAY, [e1, late], [leg(PHILLY, CAMDEN, at(MONDAY, 19))])
    assert "working_hours" in codes(problem, plan)


def test_driving_limit():
    problem, plan, *_ = base()
    short = replace(problem.teams[0], max_driving_minutes_per_day=2)
    assert "driving_limit" in codes(replace(problem, teams=(short,)), plan)


def test_rest_weekday():
    problem, plan, *_ = base()
    resting = replace(problem.teams[0], rest_weekdays=frozenset({MONDAY.weekday()}))
    assert "rest_day" in codes(replace(problem, teams=(resting,)), plan)


def test_teleporting_team_breaks_continuity():
    problem, _, e1, e2 = base()
    plan = one_day_plan(MONDAY, [e1, e2], [])  # no leg to Camden
    assert "continuity" in codes(problem, plan)


def test_locked_event_moved():
    problem, plan, *_ = base()
    problem = replace(problem, locked=(LockedEvent("a", "t1", at(MONDAY, 9)),))
    assert "locked_moved" in codes(problem, plan)


def test_request_neither_planned_nor_left_out():
    problem, plan, *_ = base()
    problem = replace(problem, requests=problem.requests + (request("c", CAMDEN, MONDAY),))
    assert "unaccounted" in codes(problem, plan)


@pytest.mark.parametrize("minutes", [30, 61])
def test_wrong_duration(minutes):
    problem, _, e1, _ = base()
    plan = one_day_plan(MONDAY, [event("a", PHILLY, at(MONDAY, 10), minutes)], [])
    problem = replace(problem, requests=problem.requests[:1])
    assert "duration" in codes(problem, plan)


def test_tour_must_end_at_home():
    problem, plan, *_ = base()
    round_trip = replace(problem.teams[0], end_location=None)  # back in Philadelphia
    assert "not_home" in codes(replace(problem, teams=(round_trip,)), plan)
    home = one_day_plan(
        MONDAY,
        [e for d in plan.teams[0].days for e in d.events],
        [*plan.teams[0].days[0].legs, leg(CAMDEN, PHILLY, at(MONDAY, 16))],
        overnight=PHILLY,
    )
    assert verify_plan(replace(problem, teams=(round_trip,)), home) == []


def test_flights_per_week_over_the_cap():
    # Philadelphia -> Denver -> Philadelphia -> Denver -> Philadelphia on four days: the first
    # flight out and the last one home are not counted, the two between are; the cap is one.
    days = [MONDAY + timedelta(days=n) for n in range(4)]
    problem = Problem(
        teams=(team(last_day=days[-1]),),
        requests=(
            request("d1", DENVER, days[0], 9, 21),
            request("p2", PHILLY, days[1], 9, 21),
            request("d3", DENVER, days[2], 9, 21),
            request("p4", PHILLY, days[3], 9, 21),
        ),
    )

    def flying_day(day, origin, dest, rid):
        out = leg(origin, dest, at(day, 9))
        ev = event(rid, dest, out.arrive + timedelta(minutes=60))
        return DayPlan(day, False, origin, dest, (ev,), (out,))

    plan = replace(
        one_day_plan(MONDAY, [], []),
        teams=(
            TeamPlan(
                "t1",
                (
                    flying_day(days[0], PHILLY, DENVER, "d1"),
                    flying_day(days[1], DENVER, PHILLY, "p2"),
                    flying_day(days[2], PHILLY, DENVER, "d3"),
                ),
            ),
        ),
    )
    found = codes(problem, plan)
    assert "flight_cap" in found
    uncapped = replace(problem.teams[0], max_flights_per_week=2)
    assert "flight_cap" not in codes(replace(problem, teams=(uncapped,)), plan)


def test_arrival_buffer_after_a_leg():
    problem, _, e1, e2 = base()
    # Camden at 14:00 after a drive that lands at 13:50: less than the tour's 30-minute gap.
    drive = TRAVEL.leg(PHILLY, CAMDEN).minutes
    late_leg = leg(PHILLY, CAMDEN, at(MONDAY, 13, 50) - timedelta(minutes=drive))
    plan = one_day_plan(MONDAY, [e1, e2], [late_leg])
    assert "arrival_buffer" in codes(problem, plan)
