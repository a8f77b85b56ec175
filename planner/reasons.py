"""Why a request was left out, in the words staff use.

Owns the left-out reasons: which code applies (``REASONS`` in model.py lists them) and the
sentence that names the host, the days considered and what blocked them, e.g. "Grace Church:
its only days in the tour (Sun 8 Mar) fall on the tour's rest day (Sunday)." No internal ids,
never a fellow's private reason for being unavailable. The tests (on an ideal input) and
``check_reasons`` (on the final plan) hold the codes to their promises.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from planner.model import LeftOut, Request, Team
from planner.travel import in_region

if TYPE_CHECKING:
    from planner.tour import TourModel

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_RUNS = 4


def days_text(days: Iterable[date]) -> str:
    """'Tue Mar 3', 'Mar 3–5', 'Feb 28–Mar 2, Fri Mar 6', at most four runs then 'and N more'
    (the product's one day format, common.time_display, without the year)."""
    ordered = sorted(set(days))
    runs: list[list[date]] = []
    for day in ordered:
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs[:MAX_RUNS]:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(f"{first:%a} {first:%b} {first.day}")
        elif first.month == last.month:
            parts.append(f"{first:%b} {first.day}–{last.day}")
        else:
            parts.append(f"{first:%b} {first.day}–{last:%b} {last.day}")
    rest = sum(len(run) for run in runs[MAX_RUNS:])
    return ", ".join(parts) + (f" and {rest} more day(s)" if rest else "")


def describe_region(team: Team) -> str:
    parts = []
    if team.region_states:
        parts.append(", ".join(sorted(team.region_states)))
    if team.region_radius_km is not None:
        start = team.start_location.label or "the start"
        parts.append(f"within {team.region_radius_km:g} km of {start}")
    return " and ".join(parts)


def _host(request: Request) -> str:
    return request.label or f"Request {request.id}"


def explain(model: TourModel, ri: int) -> LeftOut:
    """The reason request ``ri`` is not in the model's current plan."""
    request = model.problem.requests[ri]
    rid, name = request.id, _host(request)

    def left(code: str, message: str) -> LeftOut:
        return LeftOut(rid, code, f"{name}: {message}")

    def on(pairs: Iterable[tuple[int, int]]) -> str:
        return days_text(model.teams[ti].days[d].day for ti, d in pairs)

    if not any(in_region(team, request) for team in model.problem.teams):
        regions = "; ".join(describe_region(t) for t in model.problem.teams if t.has_region)
        return left(
            "outside_region",
            f"outside the tour's region ({regions}); widen the region to include it.",
        )
    in_hours = [
        (ti, d)
        for ti, team in enumerate(model.teams)
        for d, day in enumerate(team.days)
        if (ri, ti, d) in model.windows and not day.rest
    ]
    if not in_hours:
        return left("no_window_in_tour", _no_window(model, request))
    if not model.candidates[ri]:
        return left(
            "blackout",
            f"a fellow is unavailable at the hours its windows allow on {on(in_hours)}.",
        )
    fits_now = model.insertions(ri)
    if fits_now:
        cheapest = min(cost for cost, _ti, _d in fits_now)
        return left(
            "not_worth_trip",
            f"it fits on {on((ti, d) for _c, ti, d in fits_now)}, but getting there costs about "
            f"{cheapest:.0f} attendees of travel and hotel, more than the talk is worth "
            f"({model.value[ri]:g}).",
        )
    full, lost, competing = [], [], 0.0
    for ti, d in model.candidates[ri]:
        team = model.teams[ti]
        events = model.plan[ti][d]
        if len(events) >= team.max_events and model.insertions(ri, [(ti, d)], event_cap=False):
            full.append((ti, d))
            continue
        if model.fits_on_emptied_day(ri, ti, d):
            lost.append((ti, d))
            competing = max(competing, sum(model.value[e] for e in events))
    if full:
        caps = sorted({model.teams[ti].max_events for ti, _d in full})
        return left(
            "day_capacity",
            f"{on(full)} already {'has' if len(full) == 1 else 'have'} the most events a day "
            "the tour allows "
            f"({', '.join(map(str, caps))}).",
        )
    if lost and competing > model.value[ri]:
        return left(
            "lower_value",
            f"it fits on {on(lost)} on its own, but that time goes to talks worth more "
            f"({competing:g} attendees against its {model.value[ri]:g}).",
        )
    if lost:
        # The talks there are worth less: what keeps it out is the way to it from where the
        # team is on the days around, not their value.
        return left(
            "lower_value",
            f"it fits on {on(lost)} on its own, but not in the team's route those days: the "
            "way there from the talks around it costs more than it brings.",
        )
    capped = model.insertions(ri, flight_cap=False)
    if capped:
        caps = sorted(
            {cap for _c, ti, _d in capped if (cap := model.teams[ti].flight_cap) is not None}
        )
        return left(
            "flight_cap",
            # The week may have no flight yet: the way there and back alone can need more.
            f"reaching it on {on((ti, d) for _c, ti, d in capped)} needs more flights that "
            f"week than the tour allows ({', '.join(map(str, caps))} a week).",
        )
    elsewhere = model.insertions(ri, elsewhere=False)
    if elsewhere:
        return left(
            "fellow_elsewhere",
            f"on {on((ti, d) for _c, ti, d in elsewhere)} a fellow of the team is booked "
            "elsewhere (another team or tour) at the hours it allows.",
        )
    route = [(ti, d) for ti, d in model.candidates[ri] if model.fits_team_alone(ri, ti, d)]
    if route:
        return left(
            "lower_value",
            f"on {on(route)} the team's route runs elsewhere, to talks worth more; it would fit "
            "if the team were free.",
        )
    return left(
        "too_far",
        f"it cannot be reached, held ({request.duration_minutes} min) and left within the "
        f"working hours and the driving limit on any of {on(model.candidates[ri])}.",
    )


def _no_window(model: TourModel, request: Request) -> str:
    """Which part of the tour the windows miss: its dates, its rest days or its hours."""
    wanted = {
        w.first_date + timedelta(days=n)
        for w in request.windows
        for n in range((w.last_date - w.first_date).days + 1)
    }
    if not wanted:
        return "it gives no window."
    tour_days = {day.day: day.rest for team in model.teams for day in team.days}
    inside = sorted(d for d in wanted if d in tour_days)
    if not inside:
        first, last = min(tour_days), max(tour_days)
        return (
            f"its dates ({days_text(wanted)}) fall outside the tour "
            f"({days_text([first])} to {days_text([last])})."
        )
    if all(tour_days[d] for d in inside):
        names = sorted({WEEKDAY_NAMES[d.weekday()] for d in inside}, key=WEEKDAY_NAMES.index)
        return (
            f"its only days in the tour ({days_text(inside)}) fall on the tour's rest day "
            f"({', '.join(names)})."
        )
    team = model.problem.teams[0]
    hours = ", ".join(
        sorted({f"{w.earliest_start:%H:%M}–{w.latest_end:%H:%M}" for w in request.windows})
    )
    return (
        f"on {days_text(d for d in inside if not tour_days[d])} its hours ({hours}) leave no "
        f"{request.duration_minutes} minutes inside the tour's working hours "
        f"({team.work_start:%H:%M}–{team.work_end:%H:%M})."
    )
