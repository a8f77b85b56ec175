"""One person, one place: a fellow on two teams, or booked in another tour, is never
double-booked, and the verifier catches a plan that would."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

from planner import Commitment, Problem, TravelModel, plan_tour, verify_plan
from planner.jsonio import plan_to_json, problem_from_json, problem_to_json
from tests.planning.helpers import CAMDEN, MONDAY, PHILLY, WILMINGTON, request, team

CASES = Path(__file__).parent / "cases"
WORK = 200_000


def _fellow_events(problem: Problem, plan) -> dict[str, list]:
    fellows_of = {t.id: t.fellow_ids for t in problem.teams}
    gap_of = {t.id: t.min_gap_minutes for t in problem.teams}
    out: dict[str, list] = {}
    for tp in plan.teams:
        for day in tp.days:
            for ev in day.events:
                for fellow in fellows_of[tp.team_id]:
                    out.setdefault(fellow, []).append((ev, gap_of[tp.team_id]))
    return out


def test_fellow_on_two_teams_is_never_in_two_places():
    problem = problem_from_json(json.loads((CASES / "fellow-on-two-teams.json").read_text()))
    travel = TravelModel()
    for seed in (0, 1, 2):
        plan = plan_tour(problem, seconds=30, seed=seed, work_units=WORK)
        assert verify_plan(problem, plan) == []
        ana = _fellow_events(problem, plan)["ana"]
        assert ana, "ana's teams must still hold events"
        for (a, gap_a), (b, gap_b) in combinations(ana, 2):
            first, second, gap = (a, b, gap_a) if a.start <= b.start else (b, a, gap_b)
            need = timedelta(minutes=travel.leg(first.location, second.location).minutes + gap)
            assert second.start >= first.end + need, (first.request_id, second.request_id)
        # Philadelphia and Baltimore at 10-12 the same morning: ana can do only one of them.
        planned = {e.request_id for tp in plan.teams for d in tp.days for e in d.events}
        assert not {"phl_a", "bal_a"} <= planned


def _commitment_problem() -> Problem:
    # Ana gives a talk in Wilmington 10:00-12:00 for another tour; her team is asked for Camden
    # 10:00-12:00 (cannot be), and for Philadelphia 14:00-16:00 (far enough after it).
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
    busy = Commitment("ana", start, start + timedelta(hours=2), WILMINGTON)
    return Problem(
        teams=(team(last_day=MONDAY, commitments=(busy,)),),
        requests=(
            request("camden", CAMDEN, MONDAY, 10, 12, duration=120),
            request("philly", PHILLY, MONDAY, 14, 16, duration=60),
        ),
    )


def test_commitments_in_other_tours_keep_their_time_and_travel_free():
    problem = _commitment_problem()
    plan = plan_tour(problem, seconds=30, work_units=WORK)
    assert verify_plan(problem, plan) == []
    planned = {e.request_id for tp in plan.teams for d in tp.days for e in d.events}
    assert planned == {"philly"}
    reasons = {x.request_id: x for x in plan.left_out}
    assert reasons["camden"].reason == "fellow_elsewhere"
    assert "booked elsewhere" in reasons["camden"].message


def test_commitments_survive_the_json_round_trip():
    problem = _commitment_problem()
    assert problem_to_json(problem_from_json(problem_to_json(problem))) == problem_to_json(problem)
    assert problem_from_json(problem_to_json(problem)) == problem


def test_verifier_flags_an_event_on_top_of_a_commitment():
    problem = _commitment_problem()
    free = replace(problem, teams=(replace(problem.teams[0], commitments=()),))
    plan = plan_tour(free, seconds=30, work_units=WORK)
    assert "camden" in {e.request_id for tp in plan.teams for d in tp.days for e in d.events}
    found = verify_plan(problem, plan)
    assert any(v.code == "double_booking" and v.request_id == "camden" for v in found), found
    assert plan_to_json(plan)  # the broken plan still serialises for staff to read
