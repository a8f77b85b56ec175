"""The planner uses the wall-clock limit it is given, and a counted budget stays reproducible."""

from __future__ import annotations

import time

from planner import plan_tour, verify_plan
from tests.planning.helpers import week_problem


def test_the_search_runs_until_the_wall_clock_limit():
    problem = week_problem()
    started = time.perf_counter()
    plan = plan_tour(problem, seconds=2.0, seed=0)
    took = time.perf_counter() - started
    assert plan.stopped_by == "time"
    # The search itself (plan.seconds) gets the limit less set-up and the answer's share.
    assert plan.seconds >= 1.5
    assert took < 4.0  # one last iteration may run past the limit, never a second limit
    assert verify_plan(problem, plan) == []


def test_a_counted_budget_stops_before_the_clock_and_repeats():
    problem = week_problem()
    first = plan_tour(problem, seconds=60, seed=3, work_units=200_000)
    second = plan_tour(problem, seconds=60, seed=3, work_units=200_000)
    assert first.stopped_by == second.stopped_by == "budget"
    assert first.seconds < 30
    assert first.teams == second.teams and first.left_out == second.left_out
