"""Each checker of the verifier, alone: it finds its one rule broken in a plan spoiled for
that rule, and finds nothing in the correct plan. ``verify_plan`` is their sum (test_verify)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from planner import LeftOut, LockedEvent, TravelModel, Unavailability
from planner import verify as v
from planner.travel import TravelCache
from tests.planning.helpers import CAMDEN, MONDAY, NORRISTOWN, PHILLY, request, team
from tests.planning.test_verify import at, base, event, leg, one_day_plan


def facts(problem, plan) -> v.Facts:
    return v.Facts(
        problem=problem,
        plan=plan,
        travel=TravelCache(TravelModel()),
        requests={r.id: r for r in problem.requests},
        teams={t.id: t for t in problem.teams},
    )


def run(checker, problem, plan) -> set[str]:
    """The codes one checker reports (a team checker is run on each known team)."""
    found = facts(problem, plan)
    if checker in v.PLAN_CHECKERS:
        return {x.code for x in checker(found)}
    return {
        x.code
        for team_plan in plan.teams
        if team_plan.team_id in found.teams
        for x in checker(found, found.teams[team_plan.team_id], team_plan)
    }


def with_team(problem, **changes):
    return replace(problem, teams=(replace(problem.teams[0], **changes),))


def spoil_tour_dates():
    problem, *_ = base()
    later = MONDAY + timedelta(days=1)
    plan = one_day_plan(later, [event("a", PHILLY, at(later, 10))], [])
    return replace(problem, requests=(request("a", PHILLY, later), problem.requests[1])), plan


def spoil_rest_days():
    problem, plan, *_ = base()
    return with_team(problem, rest_weekdays=frozenset({MONDAY.weekday()})), plan


def spoil_events_per_day():
    problem, plan, *_ = base()
    return with_team(problem, max_events_per_day=1), plan


def spoil_driving_limit():
    problem, plan, *_ = base()
    return with_team(problem, max_driving_minutes_per_day=2), plan


def spoil_continuity():
    problem, _, e1, e2 = base()
    return problem, one_day_plan(MONDAY, [e1, e2], [])  # no leg to Camden


def spoil_travel_times():
    problem, _, e1, e2 = base()
    quick = leg(PHILLY, CAMDEN, at(MONDAY, 12))
    quick = replace(quick, arrive=quick.arrive - timedelta(minutes=5))
    return problem, one_day_plan(MONDAY, [e1, e2], [quick])


def spoil_no_overlap():
    problem, _, e1, e2 = base()
    return problem, one_day_plan(MONDAY, [e1, e2], [leg(PHILLY, CAMDEN, at(MONDAY, 10, 30))])


def spoil_arrival_buffer():
    problem, _, e1, e2 = base()
    drive = TravelModel().leg(PHILLY, CAMDEN).minutes
    late = leg(PHILLY, CAMDEN, at(MONDAY, 13, 50) - timedelta(minutes=drive))
    return problem, one_day_plan(MONDAY, [e1, e2], [late])


def spoil_departure_buffer():
    problem, _, e1, e2 = base()
    hurried = leg(PHILLY, CAMDEN, e1.end + timedelta(minutes=5))  # five minutes after "a" ends
    return problem, one_day_plan(MONDAY, [e1, e2], [hurried])


def spoil_known_requests():
    problem, plan, *_ = base()
    return replace(problem, requests=problem.requests[:1]), plan


def spoil_durations():
    problem, *_ = base()
    plan = one_day_plan(MONDAY, [event("a", PHILLY, at(MONDAY, 10), 45)], [])
    return replace(problem, requests=problem.requests[:1]), plan


def spoil_event_days():
    problem, _, e1, e2 = base()
    plan = one_day_plan(MONDAY, [e1, e2], [leg(PHILLY, CAMDEN, at(MONDAY, 12))])
    day = plan.teams[0].days[0]
    return problem, replace(
        plan, teams=(replace(plan.teams[0], days=(replace(day, day=MONDAY + timedelta(1)),)),)
    )


def spoil_region():
    problem, plan, *_ = base()
    return with_team(problem, region_radius_km=1.0), plan


def spoil_request_windows():
    problem, plan, *_ = base()
    return replace(
        problem, requests=(problem.requests[0], request("b", CAMDEN, MONDAY, 9, 12))
    ), plan


def spoil_event_working_hours():
    problem, _, e1, _ = base()
    late = event("b", CAMDEN, at(MONDAY, 20, 30))
    problem = replace(problem, requests=(problem.requests[0], request("b", CAMDEN, MONDAY, 9, 23)))
    return problem, one_day_plan(MONDAY, [e1, late], [leg(PHILLY, CAMDEN, at(MONDAY, 19))])


def spoil_travel_working_hours():
    problem, _, e1, e2 = base()
    return with_team(problem, work_start=at(MONDAY, 9).time()), one_day_plan(
        MONDAY, [e1, e2], [leg(PHILLY, CAMDEN, at(MONDAY, 12))]
    )


def spoil_unavailability():
    problem, plan, *_ = base()
    blackout = Unavailability("ben", at(MONDAY, 13), at(MONDAY, 16))
    return with_team(problem, unavailability=(blackout,)), plan


def spoil_ends_at_home():
    problem, plan, *_ = base()
    return with_team(problem, end_location=None), plan


def spoil_teams_known():
    problem, plan, *_ = base()
    return problem, replace(plan, teams=(replace(plan.teams[0], team_id="nobody"),))


def spoil_each_request_once():
    problem, plan, *_ = base()
    second = team(id="t2", fellow_ids=("cho",), start_location=PHILLY, last_day=MONDAY)
    copy = replace(plan.teams[0], team_id="t2")
    return replace(problem, teams=problem.teams + (second,)), replace(
        plan, teams=plan.teams + (copy,)
    )


def spoil_fellow_double_booking():
    problem, plan, *_ = base()
    second = team(id="t2", fellow_ids=("ben",), start_location=NORRISTOWN, last_day=MONDAY)
    problem = replace(
        problem,
        teams=problem.teams + (second,),
        requests=problem.requests + (request("c", NORRISTOWN, MONDAY),),
    )
    day = one_day_plan(MONDAY, [event("c", NORRISTOWN, at(MONDAY, 10))], [], start=NORRISTOWN)
    other = replace(day.teams[0], team_id="t2")
    return problem, replace(plan, teams=plan.teams + (other,))


def spoil_locked_events():
    problem, plan, *_ = base()
    return replace(problem, locked=(LockedEvent("a", "t1", at(MONDAY, 9)),)), plan


def spoil_reason_codes():
    problem, plan, *_ = base()
    extra = request("c", CAMDEN, MONDAY)
    left = (LeftOut("c", "because", "c: because."),)
    return replace(problem, requests=problem.requests + (extra,)), replace(plan, left_out=left)


def spoil_left_out_not_planned():
    problem, plan, *_ = base()
    return problem, replace(plan, left_out=(LeftOut("a", "lower_value", "a: lower value."),))


def spoil_every_request_accounted():
    problem, plan, *_ = base()
    return replace(problem, requests=problem.requests + (request("c", CAMDEN, MONDAY),)), plan


CASES = [
    (v.check_tour_dates, spoil_tour_dates, "outside_tour"),
    (v.check_rest_days, spoil_rest_days, "rest_day"),
    (v.check_events_per_day, spoil_events_per_day, "max_events"),
    (v.check_driving_limit, spoil_driving_limit, "driving_limit"),
    (v.check_continuity, spoil_continuity, "continuity"),
    (v.check_travel_times, spoil_travel_times, "travel_time"),
    (v.check_no_overlap, spoil_no_overlap, "overlap"),
    (v.check_arrival_buffer, spoil_arrival_buffer, "arrival_buffer"),
    (v.check_departure_buffer, spoil_departure_buffer, "departure_buffer"),
    (v.check_known_requests, spoil_known_requests, "unknown_request"),
    (v.check_durations, spoil_durations, "duration"),
    (v.check_event_days, spoil_event_days, "wrong_day"),
    (v.check_region, spoil_region, "outside_region"),
    (v.check_request_windows, spoil_request_windows, "outside_window"),
    (v.check_event_working_hours, spoil_event_working_hours, "working_hours"),
    (v.check_travel_working_hours, spoil_travel_working_hours, "working_hours"),
    (v.check_unavailability, spoil_unavailability, "unavailability"),
    (v.check_ends_at_home, spoil_ends_at_home, "not_home"),
    (v.check_teams_known, spoil_teams_known, "unknown_team"),
    (v.check_each_request_once, spoil_each_request_once, "duplicate"),
    (v.check_fellow_double_booking, spoil_fellow_double_booking, "double_booking"),
    (v.check_locked_events, spoil_locked_events, "locked_moved"),
    (v.check_reason_codes, spoil_reason_codes, "bad_reason"),
    (v.check_left_out_not_planned, spoil_left_out_not_planned, "left_out_but_planned"),
    (v.check_every_request_accounted, spoil_every_request_accounted, "unaccounted"),
]


@pytest.mark.parametrize(
    ("checker", "spoil", "code"), CASES, ids=[c[2] + ":" + c[0].__name__ for c in CASES]
)
def test_checker_finds_its_rule_broken_and_passes_the_correct_plan(checker, spoil, code):
    problem, plan, *_ = base()
    assert run(checker, problem, plan) == set()
    assert run(checker, *spoil()) == {code}


def test_every_checker_is_listed_and_tested():
    listed = set(v.TEAM_CHECKERS) | set(v.PLAN_CHECKERS)
    tested = {checker for checker, _spoil, _code in CASES} | {v.check_flight_cap}
    assert listed == tested  # check_flight_cap has its own four-day case in test_verify


def test_verify_plan_is_the_sum_of_its_checkers():
    problem, plan = spoil_continuity()
    every = set()
    for checker in (*v.TEAM_CHECKERS, *v.PLAN_CHECKERS):
        every |= run(checker, problem, plan)
    # Without the leg the team also ends in Philadelphia instead of Camden, its end.
    assert {x.code for x in v.verify_plan(problem, plan)} == every == {"continuity", "not_home"}
