"""Behaviour of plan_tour: determinism, reasons, locked events, DST; every plan is verified."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from planner import (
    Location,
    LockedEvent,
    Problem,
    RequestWindow,
    Unavailability,
    plan_tour,
    verify_plan,
)
from planner.jsonio import plan_to_json
from tests.planning.helpers import (
    CAMDEN,
    DENVER,
    MONDAY,
    NORRISTOWN,
    PHILLY,
    WILMINGTON,
    request,
    team,
    week_problem,
)

WORK = 200_000  # a fixed work budget: deterministic and quick


def solve(problem: Problem, seed: int = 0):
    plan = plan_tour(problem, seconds=30, seed=seed, work_units=WORK)
    assert verify_plan(problem, plan) == []
    return plan


def events_of(plan):
    return {e.request_id: e for t in plan.teams for d in t.days for e in d.events}


def reasons_of(plan):
    return {x.request_id: x.reason for x in plan.left_out}


def test_same_seed_gives_same_plan():
    problem = week_problem()
    assert plan_to_json(solve(problem, 7)) | {"seconds": 0} == plan_to_json(solve(problem, 7)) | {
        "seconds": 0
    }


def test_plans_every_request_when_there_is_room():
    plan = solve(week_problem())
    assert len(events_of(plan)) == 16
    assert plan.left_out == ()


def test_higher_value_wins_a_contested_slot():
    # Two requests want the only hour of the same day; one team, one event a day.
    problem = Problem(
        teams=(team(max_events_per_day=1, last_day=MONDAY),),
        requests=(
            request("small", CAMDEN, MONDAY, 10, 11, audience=50),
            request("big", NORRISTOWN, MONDAY, 10, 11, audience=500),
        ),
    )
    plan = solve(problem)
    assert set(events_of(plan)) == {"big"}
    assert reasons_of(plan) == {"small": "lower_value"}


def test_each_left_out_reason_appears():
    tuesday = MONDAY + timedelta(days=1)
    problem = Problem(
        teams=(
            team(
                max_events_per_day=2,
                last_day=MONDAY + timedelta(days=2),
                unavailability=(
                    Unavailability(
                        "ana",
                        datetime(2026, 3, 4, 5, 0, tzinfo=UTC),
                        datetime(2026, 3, 5, 5, 0, tzinfo=UTC),
                    ),
                ),
            ),
        ),
        requests=(
            request("outside", CAMDEN, date(2026, 4, 1)),
            request("blackout", CAMDEN, date(2026, 3, 4)),
            # Denver by 10:00 from Philadelphia on the first morning: too far for the time.
            request("far", DENVER, MONDAY, 8, 10),
            # Tuesday: two big events fill the day's cap; a third only fits with the cap lifted.
            request("big1", CAMDEN, tuesday, 9, 11, audience=900),
            request("big2", NORRISTOWN, tuesday, 12, 14, audience=900),
            request("capped", PHILLY, tuesday, 15, 17, audience=10),
            # Monday 12-13: two requests overlap in time; the bigger wins, cap is not the issue.
            request("winner", WILMINGTON, MONDAY, 12, 13, audience=800),
            request("loser", CAMDEN, MONDAY, 12, 13, audience=20),
        ),
    )
    plan = solve(problem)
    reasons = reasons_of(plan)
    assert reasons == {
        "outside": "no_window_in_tour",
        "blackout": "blackout",
        "far": "too_far",
        "capped": "day_capacity",
        "loser": "lower_value",
    }
    assert all(x.message for x in plan.left_out)


def test_locked_events_stay_put():
    problem = week_problem()
    start = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)  # 09:00 in New York
    locked = LockedEvent("r3", "t2", start)
    problem = replace(problem, locked=(locked,))
    for seed in (0, 1, 2):
        plan = solve(problem, seed)
        team_of = {e.request_id: t.team_id for t in plan.teams for d in t.days for e in d.events}
        assert events_of(plan)["r3"].start == start
        assert events_of(plan)["r3"].locked
        assert team_of["r3"] == "t2"


def test_rest_days_have_no_events_and_days_chain_overnight():
    plan = solve(week_problem())
    for tp in plan.teams:
        previous = None
        for day in tp.days:
            if day.rest:
                assert not day.events and not day.legs
            if previous is not None:
                assert day.start_location == previous.overnight_location
            previous = day


def test_windows_follow_daylight_saving_time():
    # 8 March 2026: clocks go forward in New York. A 09:00-10:00 window is 14:00Z the day
    # before and 13:00Z on the day after the change.
    sunday_team = team(
        rest_weekdays=frozenset(),
        first_day=date(2026, 3, 7),
        last_day=date(2026, 3, 9),
        max_events_per_day=1,
    )
    before = request("before", CAMDEN, date(2026, 3, 7), 9, 10)
    after = request("after", CAMDEN, date(2026, 3, 9), 9, 10)
    plan = solve(Problem(teams=(sunday_team,), requests=(before, after)))
    ev = events_of(plan)
    assert ev["before"].start == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    assert ev["after"].start == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_multiple_windows_use_the_one_that_fits():
    req = request("two", CAMDEN, date(2026, 3, 8), 9, 12)  # a Sunday: rest day
    req = replace(
        req,
        windows=req.windows
        + (RequestWindow(date(2026, 3, 10), date(2026, 3, 10), time(18), time(20)),),
    )
    plan = solve(Problem(teams=(team(),), requests=(req,)))
    ev = events_of(plan)["two"]
    assert ev.start == datetime(2026, 3, 10, 22, 0, tzinfo=UTC)


def test_driving_limit_is_respected():
    plan = solve(week_problem())
    for tp in plan.teams:
        for day in tp.days:
            assert sum(leg.driving_minutes for leg in day.legs) <= 300


def test_events_start_on_the_quarter_hour_after_any_drive():
    # Two events a day between venues 30 to 60 minutes apart: arrivals fall on odd minutes.
    problem = Problem(
        teams=(team(max_events_per_day=2, last_day=MONDAY + timedelta(days=1)),),
        requests=(
            request("a", CAMDEN, MONDAY, 9, 12, duration=50),
            request("b", WILMINGTON, MONDAY, 9, 17, duration=45),
            request("c", NORRISTOWN, MONDAY + timedelta(days=1), 9, 17, duration=55),
            request("d", DENVER, MONDAY + timedelta(days=1), 9, 17, duration=60),
        ),
    )
    plan = solve(problem)
    starts = [e.start for e in events_of(plan).values()]
    assert len(starts) >= 3
    assert all(s.minute % 15 == 0 and s.second == 0 for s in starts), starts


def test_every_event_after_a_leg_keeps_the_gap_after_arrival():
    plan = solve(week_problem())
    gap = timedelta(minutes=30)
    checked = 0
    for tp in plan.teams:
        for day in tp.days:
            items = sorted(
                [(leg.depart, 0, leg) for leg in day.legs] + [(e.start, 1, e) for e in day.events],
                key=lambda x: (x[0], x[1]),
            )
            for (_, kind, first), (_, next_kind, second) in zip(items, items[1:], strict=False):
                if kind == 0 and next_kind == 1:
                    assert second.start >= first.arrive + gap
                    checked += 1
    assert checked >= 3


def test_reasons_name_the_host_and_the_days_in_plain_words():
    tuesday = MONDAY + timedelta(days=1)
    sunday = date(2026, 3, 8)
    problem = Problem(
        teams=(
            team(
                max_events_per_day=2,
                last_day=date(2026, 3, 9),
                unavailability=(
                    Unavailability(
                        "ana",
                        datetime(2026, 3, 4, 5, 0, tzinfo=UTC),
                        datetime(2026, 3, 6, 5, 0, tzinfo=UTC),
                    ),
                ),
            ),
        ),
        requests=(
            replace(request("sunday", CAMDEN, sunday), label="Grace Church"),
            replace(request("after", CAMDEN, date(2026, 4, 1)), label="Late College"),
            replace(
                request("blocked", CAMDEN, date(2026, 3, 4), last=date(2026, 3, 5)),
                label="Busy Library",
            ),
            replace(request("night", CAMDEN, MONDAY, 22, 23), label="Night School"),
            request("big1", CAMDEN, tuesday, 9, 11, audience=900),
            request("big2", NORRISTOWN, tuesday, 12, 14, audience=900),
            replace(request("capped", PHILLY, tuesday, 15, 17, audience=10), label="Small Hall"),
            request("winner", WILMINGTON, MONDAY, 12, 13, audience=800),
            replace(request("loser", CAMDEN, MONDAY, 12, 13, audience=20), label="Tiny Club"),
        ),
    )
    plan = solve(problem)
    said = {x.request_id: x.message for x in plan.left_out}
    assert said["sunday"] == (
        "Grace Church: its only days in the tour (Sun Mar 8) fall on the tour's rest day (Sunday)."
    )
    assert said["after"].startswith("Late College: its dates (Wed Apr 1) fall outside the tour")
    assert said["blocked"] == (
        "Busy Library: a fellow is unavailable at the hours its windows allow on Mar 4–5."
    )
    assert said["night"] == (
        "Night School: on Mon Mar 2 its hours (22:00–23:00) leave no 60 minutes inside the "
        "tour's working hours (08:00–21:00)."
    )
    assert said["capped"] == (
        "Small Hall: Tue Mar 3 already has the most events a day the tour allows (2)."
    )
    assert said["loser"].startswith("Tiny Club: it fits on Mon Mar 2 on its own, but that time")
    # No internal ids in any sentence.
    assert not any(rid in message for message in said.values() for rid in ("r0", "t1", "ana"))


def test_team_travels_on_the_evening_after_a_talk():
    # Philadelphia on Monday morning, Pittsburgh (a 6-7 hour drive) at 09:00 on Tuesday: only
    # possible by driving on Monday after the talk, not on Tuesday morning.
    pittsburgh = Location(40.4406, -79.9959, "Pittsburgh")
    tuesday = MONDAY + timedelta(days=1)
    problem = Problem(
        teams=(
            team(
                last_day=tuesday + timedelta(days=1),
                end_location=pittsburgh,
                max_driving_minutes_per_day=450,
                rest_weekdays=frozenset(),
            ),
        ),
        requests=(
            request("philly", PHILLY, MONDAY, 10, 11, audience=300),
            request("pitt", pittsburgh, tuesday, 9, 10, audience=300),
        ),
    )
    plan = solve(problem)
    assert set(events_of(plan)) == {"philly", "pitt"}
    monday = plan.teams[0].days[0]
    assert [e.request_id for e in monday.events] == ["philly"]
    assert monday.legs and monday.legs[-1].depart >= monday.events[0].end
    assert monday.overnight_location.label == "Pittsburgh"
