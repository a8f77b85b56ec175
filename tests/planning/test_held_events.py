"""Events staff hold where they put them, and places the problem says little about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from planner import LockedEvent, Problem, plan_tour, verify_plan
from tests.planning.helpers import CAMDEN, MONDAY, NORRISTOWN, NY, request, team

SUNDAY = MONDAY + timedelta(days=6)


def test_an_event_staff_hold_on_a_rest_day_outside_hours_is_kept_and_verified():
    """The booking rules let staff book a rest day, or past the working day, with a reason;
    the planner keeps such an event where it is and its verifier does not fail the plan."""
    held = request("held", CAMDEN, SUNDAY, 19, 23)
    starts = datetime.combine(SUNDAY, time(21, 30), tzinfo=ZoneInfo(NY))
    problem = Problem(
        teams=(team(),),
        requests=(held, request("weekday", NORRISTOWN, MONDAY + timedelta(days=1))),
        locked=(LockedEvent("held", "t1", starts),),
    )
    plan = plan_tour(problem, seconds=2, seed=0)
    assert verify_plan(problem, plan) == []
    planned = {e.request_id: e for t in plan.teams for d in t.days for e in d.events}
    assert planned["held"].start == starts and planned["held"].locked
    assert "weekday" in planned


def test_a_place_without_a_state_is_judged_by_the_radius_alone():
    """A request whose state the problem does not give is not outside a region of states
    (docs/planning.md's example has none): the radius, if any, still holds."""
    nearby = replace(request("nearby", NORRISTOWN, MONDAY + timedelta(days=1)), state="")
    in_states = team(region_states=frozenset({"PA", "NJ"}))
    plan = plan_tour(Problem(teams=(in_states,), requests=(nearby,)), seconds=2, seed=0)
    assert [e.request_id for t in plan.teams for d in t.days for e in d.events] == ["nearby"]
    tight = team(region_states=frozenset({"PA"}), region_radius_km=5.0)
    plan = plan_tour(Problem(teams=(tight,), requests=(nearby,)), seconds=2, seed=0)
    assert [(x.request_id, x.reason) for x in plan.left_out] == [("nearby", "outside_region")]


def test_a_request_without_a_label_is_named_by_its_id():
    far = replace(request("r-17", CAMDEN, date(2026, 4, 20)), label="")
    plan = plan_tour(Problem(teams=(team(),), requests=(far,)), seconds=1, seed=0)
    (left,) = plan.left_out
    assert left.message.startswith("Request r-17")
