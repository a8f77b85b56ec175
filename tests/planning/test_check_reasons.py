"""The reasons check: a left-out reason must be true of the final plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from planner import LeftOut, Problem, plan_tour, verify_plan
from planner.check_reasons import false_reasons
from tests.planning.helpers import CAMDEN, DENVER, MONDAY, NORRISTOWN, request, team, week_problem

WORK = 200_000


def test_honest_plan_has_no_false_reason():
    problem = Problem(
        teams=(team(max_events_per_day=1, last_day=MONDAY + timedelta(days=1)),),
        requests=(
            request("big", NORRISTOWN, MONDAY, 10, 11, audience=500),
            request("small", CAMDEN, MONDAY, 10, 11, audience=50),
            request("far", DENVER, MONDAY, 8, 10),
        ),
    )
    plan = plan_tour(problem, seconds=30, work_units=WORK)
    assert verify_plan(problem, plan) == []
    assert {x.request_id: x.reason for x in plan.left_out} == {
        "small": "lower_value",
        "far": "too_far",
    }
    assert false_reasons(problem, plan) == []


def test_a_request_dropped_from_a_plan_and_called_lower_value_is_caught():
    problem = week_problem()
    plan = plan_tour(problem, seconds=30, work_units=WORK)
    dropped = plan.teams[0].days[1].events[-1] if plan.teams[0].days[1].events else None
    dropped = dropped or next(e for d in plan.teams[0].days for e in d.events)
    # Take the event out of its day (legs untouched would break continuity: drop it cleanly by
    # re-planning without it and claiming it was lost on value).
    without = replace(
        problem, requests=tuple(r for r in problem.requests if r.id != dropped.request_id)
    )
    smaller = plan_tour(without, seconds=30, work_units=WORK)
    claimed = replace(
        smaller,
        left_out=smaller.left_out + (LeftOut(dropped.request_id, "lower_value", "lost on value"),),
    )
    assert verify_plan(problem, claimed) == []  # every hard rule holds ...
    found = false_reasons(problem, claimed)
    assert [v.request_id for v in found] == [dropped.request_id]  # ... but the reason is false
    assert "fits into the final plan" in found[0].message


def test_too_far_must_be_out_of_reach_even_alone():
    problem = Problem(
        teams=(team(last_day=MONDAY),),
        requests=(request("near", CAMDEN, MONDAY, 9, 17),),
    )
    empty = plan_tour(replace(problem, requests=()), seconds=30, work_units=WORK)
    claimed = replace(empty, left_out=(LeftOut("near", "too_far", "too far"),))
    assert [v.code for v in false_reasons(problem, claimed)] == ["false_reason"]


def test_check_uses_the_models_public_insertion():
    """The reasons check asks ``TourModel`` only through its public API: ``try_insert`` tells
    where a request fits and what it costs, ``insert`` applies it."""
    import ast
    import inspect

    from planner import check_reasons
    from planner.tour import TourModel
    from planner.travel import TravelModel

    tree = ast.parse(inspect.getsource(check_reasons))
    private = sorted(
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "model"
        and node.attr.startswith("_")
    )
    assert private == []
    problem = Problem(teams=(team(),), requests=(request("r", CAMDEN, MONDAY, 10, 12),))
    model = TourModel(problem, TravelModel())
    ri = model.req_index["r"]
    ti, d = model.candidates[ri][0]
    found = model.try_insert(ri, ti, d, 0)
    assert found is not None and found.request == ri and found.extra_cost > 0
    assert model.placed == {}
    model.insert(found)
    assert model.placed == {ri: (ti, d)} and model.plan[ti][d] == [ri]


def test_talks_worth_more_are_worth_more_in_every_reason():
    """A reason that says the time goes to talks worth more names a larger value than the
    request's own; when the talks there are worth less, it names the way there instead."""
    import re

    from planner import plan_tour
    from tests.planning.helpers import week_problem

    plan = plan_tour(week_problem(), seconds=5, work_units=20_000)
    for left in plan.left_out:
        found = re.search(
            r"worth more \((\d+(?:\.\d+)?) attendees against its (\d+(?:\.\d+)?)\)", left.message
        )
        if found:
            assert float(found.group(1)) > float(found.group(2)), left.message


def test_a_far_talk_kept_out_by_the_route_is_not_said_to_lose_to_smaller_talks():
    """A 500-person talk in Denver for a New York team that never flies: it fits on a day on
    its own, and the only talk planned is worth 100; the reason names the way there."""
    import json
    from pathlib import Path

    from planner import plan_tour
    from planner.jsonio import problem_from_json

    data = json.loads((Path(__file__).parent / "cases" / "far-talks-no-flights.json").read_text())
    plan = plan_tour(problem_from_json(data), seconds=10, work_units=50_000)
    denver = next(left for left in plan.left_out if left.request_id == "den")
    assert denver.reason == "lower_value"
    assert "worth more" not in denver.message
    assert "the way there from the talks around it costs more than it brings" in denver.message
