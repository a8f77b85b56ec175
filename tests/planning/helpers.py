"""Small hand-made problems for the planner tests (no Django, no database)."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from planner import Location, Problem, Request, RequestWindow, Team

NY = "America/New_York"
# A cluster of venues around Philadelphia, 10-40 km apart, and one in Denver.
PHILLY = Location(39.9526, -75.1652, "Philadelphia")
CAMDEN = Location(39.9259, -75.1196, "Camden")
NORRISTOWN = Location(40.1215, -75.3399, "Norristown")
WILMINGTON = Location(39.7391, -75.5398, "Wilmington")
DENVER = Location(39.7392, -104.9903, "Denver")
MONDAY = date(2026, 3, 2)


def team(**changes) -> Team:
    base = {
        "id": "t1",
        "fellow_ids": ("ana", "ben"),
        "start_location": PHILLY,
        "first_day": MONDAY,
        "last_day": date(2026, 3, 13),
        "timezone": NY,
        "work_start": time(8),
        "work_end": time(21),
        "max_events_per_day": 2,
        "min_gap_minutes": 30,
        "rest_weekdays": frozenset({6}),
        "max_driving_minutes_per_day": 300,
    }
    base.update(changes)
    return Team(**base)


def request(
    rid: str,
    loc: Location,
    day: date,
    start: int = 9,
    end: int = 17,
    *,
    last: date | None = None,
    audience: int = 100,
    duration: int = 60,
    priority: str = "normal",
) -> Request:
    return Request(
        id=rid,
        location=loc,
        timezone=NY,
        duration_minutes=duration,
        windows=(RequestWindow(day, last or day, time(start), time(end)),),
        expected_audience=audience,
        priority=priority,
        label=rid,
    )


def week_problem() -> Problem:
    """Two teams, a fortnight, a dozen requests with overlapping windows."""
    venues = [PHILLY, CAMDEN, NORRISTOWN, WILMINGTON]
    reqs = []
    for n in range(16):
        day = date(2026, 3, 2 + n % 10)
        reqs.append(
            request(
                f"r{n}",
                venues[n % 4],
                day,
                9 + n % 3,
                17 + n % 4,
                last=date(2026, 3, 3 + n % 10),
                audience=50 + 17 * n,
            )
        )
    return Problem(
        teams=(team(), team(id="t2", fellow_ids=("cho",), start_location=WILMINGTON)),
        requests=tuple(reqs),
    )


def busy_problem(count: int = 300, seed: int = 0) -> Problem:
    """Two teams and ``count`` requests spread over the Mid-Atlantic and New England in one
    fortnight: more than the search can settle in a couple of seconds."""
    rng = random.Random(seed)
    reqs = []
    for n in range(count):
        first = MONDAY + timedelta(days=rng.randrange(12))
        where = Location(rng.uniform(38.5, 42.5), rng.uniform(-77.5, -71.5), f"venue {n}")
        hour = rng.randrange(9, 15)
        reqs.append(
            request(
                f"b{n}",
                where,
                first,
                hour,
                hour + rng.randrange(3, 7),
                last=first + timedelta(days=rng.randrange(3)),
                audience=rng.randrange(30, 400),
            )
        )
    return Problem(
        teams=(team(), team(id="t2", fellow_ids=("cho",), start_location=WILMINGTON)),
        requests=tuple(reqs),
    )
