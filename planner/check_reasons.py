"""The reasons check: a left-out request's reason must be true of the final plan.

Owns one question: could a request the plan leaves out have been added to it as it stands?
If so, "lost to higher-value requests", "the day is full", "flight cap reached"... were false.
Every reason except ``not_worth_trip`` (which says it fits, at a loss) promises that the request
does not fit into the final plan without moving anything; ``too_far`` also promises that it
does not fit on any day even with the team's days empty. ``outside_region`` promises that no
team's region holds it.

The planner's own insertion proposes where a request might go (with every planned event
locked at its time, so nothing moves); the independent ``verify_plan`` then decides. A request
is reported only when the verifier accepts the plan with it added.
"""

from __future__ import annotations

from dataclasses import replace

from planner.model import LockedEvent, Plan, Problem
from planner.tour import TourModel
from planner.travel import TravelModel, in_region
from planner.verify import Violation, verify_plan

FITS_AS_IS = "fits_as_is"  # the reason claimed it does not fit, yet it fits without moving others


def false_reasons(
    problem: Problem, plan: Plan, travel: TravelModel | None = None
) -> list[Violation]:
    """One violation per left-out request whose reason the final plan contradicts."""
    travel = travel or TravelModel()
    out: list[Violation] = []
    requests = {r.id: r for r in problem.requests}
    planned = [
        LockedEvent(ev.request_id, tp.team_id, ev.start)
        for tp in plan.teams
        for day in tp.days
        for ev in day.events
    ]
    as_is = TourModel(replace(problem, locked=tuple(planned)), travel)
    alone = TourModel(problem, travel)
    for left in plan.left_out:
        request = requests.get(left.request_id)
        if request is None or left.reason == "not_worth_trip":
            continue
        if left.reason == "outside_region":
            if any(in_region(team, request) for team in problem.teams):
                out.append(
                    Violation(
                        "false_reason",
                        "Called outside the region, but a team's region holds it.",
                        "",
                        left.request_id,
                    )
                )
            continue
        others = tuple(x for x in plan.left_out if x.request_id != left.request_id)
        if _fits(as_is, left.request_id, problem, others):
            out.append(
                Violation(
                    "false_reason",
                    f"Left out as {left.reason!r}, but it fits into the final plan without "
                    "moving any event.",
                    "",
                    left.request_id,
                )
            )
        elif left.reason == "too_far" and _fits(alone, left.request_id, None, ()):
            out.append(
                Violation(
                    "false_reason",
                    "Called too far, but a team can reach and hold it on some day of its own.",
                    "",
                    left.request_id,
                )
            )
    return out


def _fits(model: TourModel, request_id: str, problem: Problem | None, others: tuple) -> bool:
    """Whether the request can be added to the model's plan; with ``problem`` given, only if
    the verifier also accepts the plan with it (else the planner's feasibility is trusted)."""
    ri = model.req_index[request_id]
    for ti, d in model.candidates[ri]:
        for k in range(len(model.plan[ti][d]) + 1):
            found = model.try_insert(ri, ti, d, k)
            if found is None:
                continue
            if problem is None:
                return True
            snapshot = model.snapshot()
            model.insert(found)
            try:
                with_it = model.build_plan(seed=0, seconds=0, stopped_by="", left_out=others)
                if not verify_plan(problem, with_it, model.travel_model):
                    return True
            finally:
                model.restore(snapshot)
    return False
