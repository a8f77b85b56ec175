"""Checks that a ``Problem`` makes sense before anything plans it.

Owns the planner's input errors: every malformed item (an unknown team, zone or fellow, dates
that run backwards, a talk of zero minutes...) becomes one ``ProblemError`` whose message names
the item, so the command line can print a single line and exit 2, and the Django side can show
it on the proposal, instead of a traceback from deep inside the search.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.days import event_day
from planner.model import CostModel, Location, Problem

# Two-letter postal codes a region or a request may name: the states, DC and the territories.
US_STATE_CODES = frozenset(
    (  # noqa: SIM905 - a list of 56 quoted codes reads worse
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
        "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP"
    ).split()
)


class ProblemError(ValueError):
    """The problem cannot be planned as given; the message names the item and what is wrong."""


MINUTES_PER_DAY = 24 * 60


def check_zone(name: str, where: str) -> None:
    if not isinstance(name, str) or not name:
        raise ProblemError(f"{where}: no time zone given.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProblemError(f"{where}: unknown time zone {name!r}.") from exc


def _check_location(location: Location, where: str) -> None:
    if not (-90 <= location.lat <= 90 and -180 <= location.lon <= 180):
        raise ProblemError(f"{where}: ({location.lat}, {location.lon}) is not a place on Earth.")


def check_state_code(code: str, where: str) -> None:
    """A request's state, as a problem file gives it: empty or a known two-letter code. (The
    Django side takes states from its own list; a staff event somewhere else still plans.)"""
    if code and code.upper() not in US_STATE_CODES:
        raise ProblemError(f"{where}: unknown state code {code!r}.")


def _check_costs(costs: CostModel, where: str) -> None:
    """Every cost is a number of attendees, zero or more: a negative one would pay the team
    for flying, driving or sleeping away."""
    for name in CostModel.__dataclass_fields__:
        value = getattr(costs, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProblemError(f"{where}: the cost {name} must be a number, not {value!r}.")
        if value < 0 or value != value:  # value != value: NaN
            raise ProblemError(f"{where}: the cost {name} cannot be negative ({value}).")


# Tours happen in these years; a date far outside is a typing slip (and year 1 or 9999 would
# overflow the planner's date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2200
# No hall holds more; a bigger number is a typing slip, and a value far beyond it would overflow
# the value arithmetic (floats).
MAX_AUDIENCE = 1_000_000


def check_problem(problem: Problem) -> None:
    """Raise ``ProblemError`` on the first malformed item; return None if the problem is sound."""
    for name, weight in problem.weights.priority.items():
        if weight < 0:
            raise ProblemError(f"Weights: priority {name!r} weighs {weight:g}; at least 0.")
    if problem.weights.minimum_audience < 0:
        raise ProblemError(
            f"Weights: minimum_audience is {problem.weights.minimum_audience}; at least 0."
        )
    if not problem.teams:
        raise ProblemError("The problem has no team.")
    team_ids: set[str] = set()
    for team in problem.teams:
        where = f"Team {team.id}"
        if team.id in team_ids:
            raise ProblemError(f"{where} is listed twice.")
        team_ids.add(team.id)
        check_zone(team.timezone, where)
        _check_location(team.start_location, f"{where} start")
        if team.last_day < team.first_day:
            raise ProblemError(
                f"{where}: the last day {team.last_day} is before the first day {team.first_day}."
            )
        if team.work_end <= team.work_start:
            raise ProblemError(
                f"{where}: working hours end ({team.work_end:%H:%M}) before they start "
                f"({team.work_start:%H:%M})."
            )
        if team.earliest_departure is not None and team.earliest_departure > team.work_start:
            raise ProblemError(
                f"{where}: the earliest departure ({team.earliest_departure:%H:%M}) is after "
                f"the working day starts ({team.work_start:%H:%M})."
            )
        if team.max_events_per_day < 1:
            raise ProblemError(f"{where}: at most {team.max_events_per_day} events a day.")
        if team.min_gap_minutes < 0 or team.max_driving_minutes_per_day < 0:
            raise ProblemError(f"{where}: the gap and the driving limit cannot be negative.")
        if team.max_driving_minutes_per_day == 0:
            raise ProblemError(f"{where}: the driving limit is 0 minutes a day; at least 1.")
        for day in (team.first_day, team.last_day):
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ProblemError(
                    f"{where}: {day} is outside the years {FIRST_YEAR}-{LAST_YEAR} a tour can have."
                )
        if team.min_gap_minutes > MINUTES_PER_DAY or team.max_driving_minutes_per_day > (
            MINUTES_PER_DAY
        ):
            raise ProblemError(
                f"{where}: the gap ({team.min_gap_minutes} min) and the driving limit "
                f"({team.max_driving_minutes_per_day} min) are at most a day (1440 min)."
            )
        if not team.fellow_ids:
            raise ProblemError(f"{where}: the team has no fellow.")
        unknown = sorted(code for code in team.region_states if code.upper() not in US_STATE_CODES)
        if unknown:
            raise ProblemError(
                f"{where}: unknown state code {unknown[0]!r} in the region "
                "(two-letter codes such as 'CA')."
            )
        _check_costs(team.costs, where)
        if team.region_radius_km is not None and team.region_radius_km <= 0:
            raise ProblemError(f"{where}: the region's radius must be more than 0 km.")
        if team.max_flights_per_week is not None and team.max_flights_per_week < 0:
            raise ProblemError(f"{where}: the flight cap cannot be negative.")
        if team.end_location is not None:
            _check_location(team.end_location, f"{where} end")
        if any(not 0 <= w <= 6 for w in team.rest_weekdays):
            raise ProblemError(f"{where}: rest weekdays run from 0 (Monday) to 6 (Sunday).")
        fellows = set(team.fellow_ids)
        for blackout in team.unavailability:
            if fellows and blackout.fellow_id not in fellows:
                raise ProblemError(
                    f"{where}: unavailability names fellow {blackout.fellow_id}, "
                    "who is not on the team."
                )
            if blackout.end <= blackout.start:
                raise ProblemError(
                    f"{where}: fellow {blackout.fellow_id}'s unavailability ends before it starts."
                )
        for commitment in team.commitments:
            if fellows and commitment.fellow_id not in fellows:
                raise ProblemError(
                    f"{where}: a commitment names fellow {commitment.fellow_id}, "
                    "who is not on the team."
                )
            if commitment.end <= commitment.start:
                raise ProblemError(
                    f"{where}: fellow {commitment.fellow_id}'s commitment ends before it starts."
                )
            if commitment.location is not None:
                _check_location(commitment.location, f"{where} commitment")
    request_ids: set[str] = set()
    for request in problem.requests:
        where = f"Request {request.id}"
        if request.id in request_ids:
            raise ProblemError(f"{where} is listed twice.")
        request_ids.add(request.id)
        check_zone(request.timezone, where)
        _check_location(request.location, where)
        if request.duration_minutes <= 0:
            raise ProblemError(f"{where}: the talk lasts {request.duration_minutes} minutes.")
        if request.duration_minutes > MINUTES_PER_DAY:
            raise ProblemError(
                f"{where}: the talk lasts {request.duration_minutes} minutes; at most a day "
                f"({MINUTES_PER_DAY})."
            )
        if request.expected_audience < 0:
            raise ProblemError(f"{where}: the expected audience cannot be negative.")
        if request.expected_audience > MAX_AUDIENCE:
            raise ProblemError(f"{where}: the expected audience is more than {MAX_AUDIENCE:,}.")
        if not request.windows:
            raise ProblemError(f"{where}: the request has no window.")
        if request.priority not in problem.weights.priority:
            raise ProblemError(
                f"{where}: unknown priority {request.priority!r} (one of "
                f"{', '.join(sorted(problem.weights.priority))})."
            )
        for window in request.windows:
            if window.last_date < window.first_date:
                raise ProblemError(
                    f"{where}: a window ends on {window.last_date}, before it starts on "
                    f"{window.first_date}."
                )
            if window.latest_end <= window.earliest_start:
                raise ProblemError(
                    f"{where}: a window ends at {window.latest_end:%H:%M}, before it starts at "
                    f"{window.earliest_start:%H:%M}."
                )
    locked_ids: set[str] = set()
    held: dict[str, list[tuple[str, datetime, datetime]]] = {}  # team id -> (id, start, end)
    for lock in problem.locked:
        where = f"Locked event {lock.request_id}"
        if lock.request_id not in request_ids:
            raise ProblemError(f"{where}: no request has that id.")
        if lock.team_id not in team_ids:
            raise ProblemError(f"{where}: unknown team {lock.team_id!r}.")
        if lock.request_id in locked_ids:
            raise ProblemError(f"{where} is locked twice.")
        locked_ids.add(lock.request_id)
        if lock.start.tzinfo is None:
            raise ProblemError(f"{where}: the start needs a UTC offset.")
        team = next(t for t in problem.teams if t.id == lock.team_id)
        venue_zone = next(r.timezone for r in problem.requests if r.id == lock.request_id)
        duration = next(r.duration_minutes for r in problem.requests if r.id == lock.request_id)
        for other in held.get(lock.team_id, []):
            if other[1] < lock.start + timedelta(minutes=duration) and lock.start < other[2]:
                raise ProblemError(
                    f"{where}: it overlaps locked event {other[0]} of team {lock.team_id}."
                )
        held.setdefault(lock.team_id, []).append(
            (lock.request_id, lock.start, lock.start + timedelta(minutes=duration))
        )
        local_day = event_day(lock.start, venue_zone)
        if not team.first_day <= local_day <= team.last_day:
            raise ProblemError(f"{where}: {local_day} lies outside team {team.id}'s days.")
