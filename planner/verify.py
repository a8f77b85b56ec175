"""The plan verifier: checks any ``Plan`` against every hard rule and the request windows.

Written apart from the planner on purpose: it works on aware datetimes and the raw input, and
shares no feasibility code with ``tour.py`` (only the travel model, which is the definition of
travel time, and the dataclasses). A planner bug therefore shows up here instead of being
repeated here. Every planner test runs it; the CLI exposes it as ``verify``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.days import event_day, working_hours
from planner.model import (
    REASONS,
    Location,
    Plan,
    PlannedEvent,
    Problem,
    Request,
    Team,
    TravelLeg,
)
from planner.travel import TravelModel, great_circle_km, in_region

SAME_PLACE_KM = 0.1


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    team_id: str = ""
    request_id: str = ""


def _same(a: Location, b: Location) -> bool:
    return great_circle_km(a, b) < SAME_PLACE_KM


def _in_window(request: Request, event: PlannedEvent) -> bool:
    zone = ZoneInfo(request.timezone)
    start = event.start.astimezone(zone)
    end = event.end.astimezone(zone)
    for w in request.windows:
        day = start.date()
        if not w.first_date <= day <= w.last_date:
            continue
        lo = datetime.combine(day, w.earliest_start, tzinfo=zone)
        hi = datetime.combine(day, w.latest_end, tzinfo=zone)
        if lo <= start and end <= hi:
            return True
    return False


def _overlaps(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def verify_plan(problem: Problem, plan: Plan, travel: TravelModel | None = None) -> list[Violation]:
    """Every broken rule in ``plan``; an empty list means the plan may be booked as it is."""
    model = travel or TravelModel()
    out: list[Violation] = []
    requests = {r.id: r for r in problem.requests}
    teams = {t.id: t for t in problem.teams}
    seen: dict[str, str] = {}
    # (fellow, start, end, location, gap, team) for the fellow-level double-booking rule
    # (a request id of "" marks a commitment outside the problem, whose place may be unknown)
    by_fellow: dict[str, list[tuple[datetime, datetime, Location | None, int, str, str]]] = (
        defaultdict(list)
    )
    for given in problem.teams:
        for c in given.commitments:
            by_fellow[c.fellow_id].append(
                (c.start, c.end, c.location, given.min_gap_minutes, given.id, "")
            )

    for tp in plan.teams:
        team = teams.get(tp.team_id)
        if team is None:
            out.append(Violation("unknown_team", f"Plan has unknown team {tp.team_id}."))
            continue
        out += _verify_team(problem, team, tp, requests, model, seen)
        for day in tp.days:
            for ev in day.events:
                for fellow in team.fellow_ids or (f"team:{team.id}",):
                    by_fellow[fellow].append(
                        (
                            ev.start,
                            ev.end,
                            ev.location,
                            team.min_gap_minutes,
                            team.id,
                            ev.request_id,
                        )
                    )

    for fellow, items in by_fellow.items():
        items.sort(key=lambda x: x[0])
        for (_s0, e0, l0, gap, tid, r0), (s1, _e1, l1, gap1, tid1, r1) in zip(
            items, items[1:], strict=False
        ):
            if not r0 and not r1:
                continue  # two commitments: given, not planned
            leg = model.leg(l0, l1).minutes if l0 is not None and l1 is not None else 0
            need = timedelta(minutes=leg + (gap if r0 else gap1))
            if s1 < e0 + need:
                first, second = r0 or "a commitment elsewhere", r1 or "a commitment elsewhere"
                out.append(
                    Violation(
                        "double_booking",
                        f"Fellow {fellow}: {second} starts {s1:%Y-%m-%d %H:%M}Z, less than travel "
                        f"plus the minimum gap after {first} ends {e0:%H:%M}Z.",
                        tid1 if r1 else tid,
                        r1 or r0,
                    )
                )

    for lock in problem.locked:
        ok = any(
            tp.team_id == lock.team_id
            and ev.request_id == lock.request_id
            and ev.start == lock.start.astimezone(UTC)
            for tp in plan.teams
            for day in tp.days
            for ev in day.events
        )
        if not ok:
            out.append(
                Violation(
                    "locked_moved",
                    f"Locked event {lock.request_id} is not on team {lock.team_id} at "
                    f"{lock.start.isoformat()}.",
                    lock.team_id,
                    lock.request_id,
                )
            )

    left = {lo.request_id for lo in plan.left_out}
    for lo in plan.left_out:
        if lo.reason not in REASONS:
            out.append(Violation("bad_reason", f"Unknown reason {lo.reason!r}.", "", lo.request_id))
        if lo.request_id in seen:
            out.append(
                Violation(
                    "left_out_but_planned",
                    f"{lo.request_id} is both planned and left out.",
                    "",
                    lo.request_id,
                )
            )
    for rid in requests:
        if rid not in seen and rid not in left:
            out.append(Violation("unaccounted", f"{rid} is neither planned nor left out.", "", rid))
    return out


def _verify_team(
    problem: Problem,
    team: Team,
    tp,
    requests: dict[str, Request],
    model: TravelModel,
    seen: dict[str, str],
) -> list[Violation]:
    out: list[Violation] = []
    zone = ZoneInfo(team.timezone)
    here = team.start_location
    tid = team.id

    def bad(code: str, message: str, rid: str = "") -> None:
        out.append(Violation(code, message, tid, rid))

    for day in tp.days:
        label = day.day.isoformat()
        if not team.first_day <= day.day <= team.last_day and (day.events or day.legs):
            bad("outside_tour", f"{label} lies outside the tour's dates.")
        work0 = datetime.combine(day.day, team.work_start, tzinfo=zone)
        work1 = datetime.combine(day.day, team.work_end, tzinfo=zone)
        if day.day.weekday() in team.rest_weekdays and (day.events or day.legs):
            bad("rest_day", f"{label} is a rest day but has events or travel.")
        if len(day.events) > team.max_events_per_day:
            bad(
                "max_events",
                f"{label} has {len(day.events)} events, over the maximum "
                f"{team.max_events_per_day}.",
            )
        driving = sum(leg.driving_minutes for leg in day.legs)
        if driving > team.max_driving_minutes_per_day:
            bad(
                "driving_limit",
                f"{label} has {driving} driving minutes, over the limit "
                f"{team.max_driving_minutes_per_day}.",
            )
        if not _same(day.start_location, here):
            bad("continuity", f"{label} starts somewhere other than where the team slept.")
        items: list[tuple[datetime, int, PlannedEvent | TravelLeg]] = [
            (ev.start, 1, ev) for ev in day.events
        ] + [(leg.depart, 0, leg) for leg in day.legs]
        items.sort(key=lambda x: (x[0], x[1]))
        busy_until: datetime | None = None
        arrived: datetime | None = None  # when the last leg arrived, until an event follows it
        for _, _, item in items:
            if isinstance(item, TravelLeg):
                expect = model.leg(item.origin, item.destination)
                if not _same(item.origin, here):
                    bad("continuity", f"{label}: a leg leaves from somewhere the team is not.")
                if item.arrive - item.depart != timedelta(minutes=expect.minutes) or (
                    item.driving_minutes != expect.driving_minutes
                ):
                    bad(
                        "travel_time", f"{label}: a leg's duration does not match the travel model."
                    )
                if busy_until is not None and item.depart < busy_until:
                    bad("overlap", f"{label}: a leg starts before the previous event ends.")
                t0, t1 = item.depart, item.arrive
                here = item.destination
                busy_until = item.arrive
                arrived = item.arrive
            else:
                rid = item.request_id
                req = requests.get(rid)
                if req is None:
                    bad("unknown_request", f"{label}: unknown request {rid}.", rid)
                    continue
                if rid in seen:
                    bad("duplicate", f"{rid} is planned twice.", rid)
                seen[rid] = tid
                if item.end - item.start != timedelta(minutes=req.duration_minutes):
                    bad("duration", f"{rid} does not last {req.duration_minutes} minutes.", rid)
                if event_day(item.start, req.timezone) != day.day:
                    bad("wrong_day", f"{rid} is listed on {label} but is not on that day.", rid)
                if not item.locked and not in_region(team, req):
                    bad("outside_region", f"{rid} lies outside the team's region.", rid)
                if not _in_window(req, item):
                    bad(
                        "outside_window",
                        f"{rid} at {item.start.isoformat()} is outside every window the host gave.",
                        rid,
                    )
                if not _same(item.location, req.location) or not _same(item.location, here):
                    bad("continuity", f"{rid}: the team is not at the venue.", rid)
                if busy_until is not None and item.start < busy_until:
                    bad("overlap", f"{rid} starts before the team has arrived.", rid)
                elif arrived is not None and item.start < arrived + timedelta(
                    minutes=team.min_gap_minutes
                ):
                    bad(
                        "arrival_buffer",
                        f"{rid} starts less than {team.min_gap_minutes} minutes after the team "
                        "arrives.",
                        rid,
                    )
                arrived = None
                t0, t1 = item.start, item.end
                busy_until = item.end
                # The same day rule as the booking rules: working hours at the venue.
                opens, closes = working_hours(day.day, req.timezone, team.work_start, team.work_end)
                if t0 < opens or t1 > closes:
                    bad(
                        "working_hours",
                        f"{rid} runs outside the working hours at its venue "
                        f"({t0:%H:%M}Z-{t1:%H:%M}Z).",
                        rid,
                    )
            if isinstance(item, TravelLeg) and (t0 < work0 or t1 > work1):
                bad(
                    "working_hours",
                    f"{label}: a leg runs outside the tour's working hours "
                    f"({t0:%H:%M}Z-{t1:%H:%M}Z).",
                )
            for u in team.unavailability:
                if (not team.fellow_ids or u.fellow_id in team.fellow_ids) and _overlaps(
                    t0, t1, u.start, u.end
                ):
                    bad(
                        "unavailability",
                        f"{label}: scheduled while fellow {u.fellow_id} is unavailable.",
                        getattr(item, "request_id", ""),
                    )
        if not _same(day.overnight_location, here):
            bad("continuity", f"{label}: the overnight location is not where the day ended.")
    out += _check_flight_cap(team, tp)
    busy = any(day.events or day.legs for day in tp.days)
    if busy and not _same(here, team.home):
        bad("not_home", f"The tour ends away from {team.home.label or 'the end location'}.")
    return out


def _check_flight_cap(team: Team, tp) -> list[Violation]:
    """Flights per tour-week (7 days from the first day), the first leg out and the trip home
    aside, at most ``max_flights_per_week``."""
    if team.max_flights_per_week is None:
        return []
    legs = [(day.day, leg) for day in tp.days for leg in day.legs]
    if legs and _same(legs[0][1].origin, team.start_location):
        legs = legs[1:]
    if legs and _same(legs[-1][1].destination, team.home):
        legs = legs[:-1]
    weeks: dict[int, int] = defaultdict(int)
    for day, leg in legs:
        if leg.mode == "flight":
            weeks[(day - team.first_day).days // 7] += 1
    return [
        Violation(
            "flight_cap",
            f"Week {week + 1} of the tour has {count} flights, over the cap "
            f"{team.max_flights_per_week} (first leg out and trip home aside).",
            team.id,
        )
        for week, count in sorted(weeks.items())
        if count > team.max_flights_per_week
    ]
