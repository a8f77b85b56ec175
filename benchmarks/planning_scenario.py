"""Plan a realistic season and print its figures (a benchmark script, not a test).

About 800 speaker requests at real continental-US ZIP codes (offline data from the `zipcodes`
package), three teams of two fellows, eight weeks that include the March DST change, a few
blackouts and locked events, the default cost model and a region per team (states for the East
and West teams, a radius around Chicago for the Central team). Prints the verifier's
violations, flights per team-week against the cap, events outside a region, whether every team
ends at home, false reasons (check_reasons), events, audience, km per event, flights, hotel
nights, the reason counts and the seconds taken.

    python benchmarks/planning_scenario.py [--requests 800] [--seconds 50] [--seed 0]

The default 50 s of search keeps the whole run (set-up, reasons, checks) within 60 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner import (  # noqa: E402
    Location,
    LockedEvent,
    Problem,
    Request,
    RequestWindow,
    Team,
    Unavailability,
    plan_tour,
    verify_plan,
)
from planner.check_reasons import false_reasons  # noqa: E402
from planner.travel import great_circle_km, in_region  # noqa: E402

CONTINENTAL_EXCLUDED = {
    "AK",
    "HI",
    "PR",
    "VI",
    "GU",
    "AS",
    "MP",
    "FM",
    "MH",
    "PW",
    "AA",
    "AE",
    "AP",
}
SEASON_START = date(2026, 2, 23)  # a Monday; the US DST change (8 March) falls in week 2
WEEKS = 8
HUBS = (
    ("east", Location(40.7128, -74.0060, "New York, NY"), "America/New_York"),
    ("central", Location(41.8781, -87.6298, "Chicago, IL"), "America/Chicago"),
    ("west", Location(34.0522, -118.2437, "Los Angeles, CA"), "America/Los_Angeles"),
)
REGIONS: dict[str, tuple[frozenset[str], float | None]] = {
    "east": (
        frozenset(["NY", "NJ", "PA", "CT", "MA", "RI", "NH", "VT", "ME", "DE", "MD", "DC", "VA"]),
        None,
    ),
    "central": (frozenset(), 700.0),
    "west": (frozenset(["CA", "OR", "WA", "NV", "AZ"]), None),
}


def _zip_pool() -> list[dict]:
    import zipcodes

    return [
        z
        for z in zipcodes.list_all()
        if z["state"] not in CONTINENTAL_EXCLUDED
        and z.get("active")
        and z["zip_code_type"] == "STANDARD"
        and z.get("timezone")
        and z.get("lat")
    ]


def generate_season(n_requests: int = 800, seed: int = 0) -> Problem:
    rng = random.Random(seed)
    pool = _zip_pool()
    last_day = SEASON_START + timedelta(weeks=WEEKS) - timedelta(days=1)
    teams = []
    for i, (name, loc, zone) in enumerate(HUBS):
        fellows = (f"{name}-a", f"{name}-b")
        blackouts = []
        for fellow in fellows:
            off = SEASON_START + timedelta(days=rng.randrange(WEEKS * 7 - 3))
            tz = ZoneInfo(zone)
            blackouts.append(
                Unavailability(
                    fellow,
                    datetime.combine(off, time(0), tzinfo=tz),
                    datetime.combine(off + timedelta(days=rng.choice((1, 2))), time(0), tzinfo=tz),
                )
            )
        teams.append(
            Team(
                id=name,
                fellow_ids=fellows,
                start_location=loc,
                first_day=SEASON_START + timedelta(days=i),
                last_day=last_day,
                timezone=zone,
                work_start=time(8, 0),
                earliest_departure=time(7, 0),  # the product's default (Tour.earliest_departure)
                work_end=time(21, 30),
                max_events_per_day=3,
                min_gap_minutes=30,
                rest_weekdays=frozenset({5}),  # Saturdays off; Sunday is church day
                max_driving_minutes_per_day=420,
                unavailability=tuple(blackouts),
                region_states=REGIONS[name][0],
                region_radius_km=REGIONS[name][1],
            )
        )
    requests = []
    for n in range(n_requests):
        z = rng.choice(pool)
        kind = rng.choices(
            ("church", "university", "school", "company", "community"), (4, 3, 2, 1, 2)
        )[0]
        windows = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            first = SEASON_START + timedelta(days=rng.randrange(-7, WEEKS * 7))
            span = rng.choice((0, 0, 1, 2, 4, 6, 13))
            if kind == "church":
                early, late = rng.choice(((9, 13), (17, 21), (10, 12)))
            elif kind in ("school", "company"):
                early, late = rng.choice(((8, 15), (11, 14)))
            else:
                early, late = rng.choice(((10, 17), (12, 21), (18, 21)))
            windows.append(
                RequestWindow(first, first + timedelta(days=span), time(early), time(late))
            )
        requests.append(
            Request(
                id=f"r{n:04d}",
                label=f"{kind.title()} in {z['city'].title()}, {z['state']}",
                location=Location(float(z["lat"]), float(z["long"]), z["zip_code"]),
                timezone=z["timezone"],
                duration_minutes=rng.choice((60, 90, 90, 120)),
                windows=tuple(windows),
                expected_audience=int(min(2000, rng.lognormvariate(4.3, 0.8))),
                priority=rng.choices(("low", "normal", "high", "critical"), (2, 6, 2, 0.3))[0],
                state=z["state"],
                city=f"{z['city'].title()}, {z['state']}",
            )
        )
    # Two events already confirmed before planning starts; they must stay where they are.
    locked = (
        LockedEvent(requests[0].id, "east", datetime(2026, 3, 4, 15, 0, tzinfo=UTC)),
        LockedEvent(requests[1].id, "west", datetime(2026, 3, 12, 19, 0, tzinfo=UTC)),
    )
    requests[0] = Request(
        requests[0].id,
        Location(40.3573, -74.6672, "08540"),
        "America/New_York",
        90,
        (RequestWindow(date(2026, 3, 4), date(2026, 3, 4), time(9), time(13)),),
        300,
        "high",
        "University in Princeton, NJ",
        "NJ",
        "Princeton, NJ",
    )
    requests[1] = Request(
        requests[1].id,
        Location(34.0689, -118.4452, "90095"),
        "America/Los_Angeles",
        90,
        (RequestWindow(date(2026, 3, 12), date(2026, 3, 12), time(11), time(14)),),
        400,
        "high",
        "University in Los Angeles, CA",
        "CA",
        "Los Angeles, CA",
    )
    return Problem(teams=tuple(teams), requests=tuple(requests), locked=locked)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--seconds", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-problem", type=Path, help="also save the problem as JSON")
    args = parser.parse_args()
    problem = generate_season(args.requests, args.seed)
    if args.write_problem:
        import json

        from planner.jsonio import problem_to_json

        args.write_problem.write_text(json.dumps(problem_to_json(problem), indent=1))
    started = clock.perf_counter()
    plan = plan_tour(problem, seconds=args.seconds, seed=args.seed)
    elapsed = clock.perf_counter() - started
    violations = verify_plan(problem, plan)
    checked = clock.perf_counter()
    false = false_reasons(problem, plan)
    check_seconds = clock.perf_counter() - checked
    print_figures(problem, plan, violations, false, elapsed, check_seconds)
    return 1 if violations or false else 0


def flights_per_week(team: Team, team_plan) -> dict[int, int]:
    """Flights per tour-week, the first leg out and the trip home aside (as the cap counts)."""
    legs = [(day.day, leg) for day in team_plan.days for leg in day.legs]
    if legs and great_circle_km(legs[0][1].origin, team.start_location) < 0.1:
        legs = legs[1:]
    if legs and great_circle_km(legs[-1][1].destination, team.home) < 0.1:
        legs = legs[:-1]
    weeks: dict[int, int] = {}
    for day, leg in legs:
        if leg.mode == "flight":
            week = (day - team.first_day).days // 7
            weeks[week] = weeks.get(week, 0) + 1
    return weeks


def print_figures(problem, plan, violations, false, elapsed: float, check_seconds: float) -> None:
    teams = {t.id: t for t in problem.teams}
    requests = {r.id: r for r in problem.requests}
    events = [(tp.team_id, e) for tp in plan.teams for d in tp.days for e in d.events]
    outside = sum(
        1
        for team_id, e in events
        if not e.locked
        and teams[team_id].has_region
        and not in_region(teams[team_id], requests[e.request_id])
    )
    reasons: dict[str, int] = {}
    for lo in plan.left_out:
        reasons[lo.reason] = reasons.get(lo.reason, 0) + 1
    km = sum(tp.km_driven + tp.km_flown for tp in plan.teams)
    print(f"requests           {len(problem.requests)}")
    print(f"teams x days       {len(problem.teams)} x {WEEKS * 7}")
    print(f"violations         {len(violations)}")
    for v in violations[:20]:
        print(f"  {v.code} {v.team_id} {v.request_id} {v.message}")
    for tp in plan.teams:
        team = teams[tp.team_id]
        weeks = flights_per_week(team, tp)
        per_week = " ".join(str(weeks.get(w, 0)) for w in range((len(tp.days) + 6) // 7))
        home = tp.days[-1].overnight_location
        at_home = great_circle_km(home, team.home) < 0.1
        print(
            f"team {tp.team_id:8} flights per week [{per_week}] (cap {team.max_flights_per_week}), "
            f"ends at home: {'yes' if at_home else 'NO'}; {sum(len(d.events) for d in tp.days)} "
            f"events, audience {tp.audience}, {tp.km_driven:.0f} km driven, {tp.km_flown:.0f} km "
            f"flown, {tp.flights} flights, {tp.hotel_nights} hotel nights, value {tp.value:.0f}, "
            f"cost {tp.cost:.0f}, net {tp.net_value:.0f}"
        )
    print(f"events outside a region {outside}")
    print(f"false reasons      {len(false)} (checked in {check_seconds:.1f} s)")
    for v in false[:10]:
        print(f"  {v.request_id} {v.message}")
    print(f"events             {len(events)}")
    print(f"audience           {sum(tp.audience for tp in plan.teams)}")
    print(f"km per event       {km / max(1, len(events)):.0f}")
    print(f"flights            {sum(tp.flights for tp in plan.teams)}")
    print(f"hotel nights       {sum(tp.hotel_nights for tp in plan.teams)}")
    print(
        f"value / cost / net {plan.total_value:.0f} / {plan.total_cost:.0f} / {plan.net_value:.0f}"
    )
    print(f"driving hours      {plan.driving_minutes / 60:.1f}")
    print(f"seconds            {elapsed:.1f} (search stopped by {plan.stopped_by})")
    print(
        f"left out           {len(plan.left_out)} "
        + ", ".join(f"{k}={v}" for k, v in sorted(reasons.items()))
    )


if __name__ == "__main__":
    sys.exit(main())
