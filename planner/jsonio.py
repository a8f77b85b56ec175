"""JSON form of ``Problem`` and ``Plan`` for the command line (documented in docs/planning.md).

Owns the mapping between the dataclasses and plain JSON: dates ``YYYY-MM-DD``, local times
``HH:MM``, instants ISO 8601 with an offset (plans are written in UTC with ``Z``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from difflib import get_close_matches
from typing import Any

from planner.model import (
    Commitment,
    CostModel,
    DayPlan,
    LeftOut,
    Location,
    LockedEvent,
    Plan,
    PlannedEvent,
    Problem,
    Request,
    RequestWindow,
    Team,
    TeamPlan,
    TravelLeg,
    Unavailability,
    ValueWeights,
)
from planner.validate import ProblemError, check_problem, check_state_code

# The fields each JSON object may have (problem_to_json writes all of them); anything else is
# refused with the nearest known name, so a misspelt limit is never silently the default.
PROBLEM_FIELDS = frozenset({"teams", "requests", "locked", "weights"})
TEAM_FIELDS = frozenset(
    {
        "id",
        "fellow_ids",
        "start_location",
        "first_day",
        "last_day",
        "timezone",
        "work_start",
        "earliest_departure",
        "work_end",
        "max_events_per_day",
        "min_gap_minutes",
        "rest_weekdays",
        "max_driving_minutes_per_day",
        "unavailability",
        "commitments",
        "end_location",
        "costs",
        "max_flights_per_week",
        "region_states",
        "region_radius_km",
    }
)
REQUEST_FIELDS = frozenset(
    {
        "id",
        "label",
        "state",
        "city",
        "location",
        "timezone",
        "duration_minutes",
        "expected_audience",
        "priority",
        "windows",
    }
)
WINDOW_FIELDS = frozenset({"first_date", "last_date", "earliest_start", "latest_end"})
LOCATION_FIELDS = frozenset({"lat", "lon", "label", "timezone"})
LOCKED_FIELDS = frozenset({"request_id", "team_id", "start"})
UNAVAILABILITY_FIELDS = frozenset({"fellow_id", "start", "end"})
COMMITMENT_FIELDS = frozenset({"fellow_id", "start", "end", "location"})
WEIGHT_FIELDS = frozenset({"priority", "minimum_audience"})


def _known(data: Any, fields: Iterable[str], what: str) -> dict[str, Any]:
    """``data`` as a dict with no field outside ``fields`` (``ValueError`` names the first
    unknown one and the known name it is nearest to)."""
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be an object, not {data!r}")
    known = sorted(fields)
    for name in sorted(set(data) - set(known)):
        near = get_close_matches(name, known, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(f"unknown field {name!r} in {what}{hint}")
    return data


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


def _clock(value: Any, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a local time as HH:MM, not {value!r}") from None


def _instant(text: Any, name: str = "start") -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(
            f"{name} must be a date and time with a UTC offset, such as "
            f"2026-03-02T15:00:00Z, not {text!r}"
        )
    return moment


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(d: Any, what: str = "location") -> Location:
    d = _known(d, LOCATION_FIELDS, what)
    return Location(
        lat=_number(d["lat"], f"{what} lat"),
        lon=_number(d["lon"], f"{what} lon"),
        label=str(d.get("label", "")),
        timezone=str(d.get("timezone", "")),
    )


def _loc_json(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"lat": loc.lat, "lon": loc.lon, "label": loc.label}
    if loc.timezone:
        out["timezone"] = loc.timezone
    return out


def _each(items: Any, kind: str, build):
    """Build every item of a JSON list, naming the item in any error (``ProblemError``)."""
    if not isinstance(items, list):
        raise ProblemError(f"{kind}s must be a list.")
    out = []
    for index, item in enumerate(items):
        name = item.get("id", item.get("request_id", index)) if isinstance(item, dict) else index
        try:
            out.append(build(item))
        except ProblemError:
            raise
        except KeyError as exc:
            raise ProblemError(f"{kind} {name}: missing field {exc.args[0]!r}.") from exc
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise ProblemError(_sentence(f"{kind} {name}: {exc}")) from exc
    return tuple(out)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!", ")")) else f"{text}."


def _list(value: Any, name: str) -> list[Any]:
    """A JSON list (``"fellow_ids": "ana"`` is refused, not read letter by letter)."""
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list, not {value!r}")
    return value


def problem_from_json(data: dict[str, Any]) -> Problem:
    """The ``Problem`` in ``data``; ``ProblemError`` names the first malformed item."""
    if not isinstance(data, dict) or "teams" not in data or "requests" not in data:
        raise ProblemError("A problem is an object with 'teams' and 'requests'.")
    try:
        _known(data, PROBLEM_FIELDS, "the problem")
    except ValueError as exc:
        raise ProblemError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc
    teams = _each(data["teams"], "Team", _team_from_json)
    requests = _each(data["requests"], "Request", _request_from_json)
    locked = _each(data.get("locked", []), "Locked event", _locked_from_json)
    weights = ValueWeights()
    if "weights" in data:
        try:
            w = _known(data["weights"], WEIGHT_FIELDS, "weights")
            given = w.get("priority", {})
            if not isinstance(given, dict):
                raise ValueError(f"priority must be an object, not {given!r}")
            for name in given:
                if name not in weights.priority:
                    known = ", ".join(sorted(weights.priority))
                    raise ValueError(f"unknown priority {name!r} (one of {known})")
            weights = ValueWeights(
                # Priorities given are changed; the others keep their defaults.
                priority={
                    **weights.priority,
                    **{k: _number(v, f"priority {k!r}") for k, v in given.items()},
                },
                minimum_audience=_whole(
                    w.get("minimum_audience", weights.minimum_audience), "minimum_audience"
                ),
            )
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise ProblemError(_sentence(f"Weights: {exc}")) from exc
    problem = Problem(teams=teams, requests=requests, locked=locked, weights=weights)
    check_problem(problem)
    return problem


def _locked_from_json(x: Any) -> LockedEvent:
    x = _known(x, LOCKED_FIELDS, "the locked event")
    return LockedEvent(
        _identifier(x["request_id"], "request_id"),
        _identifier(x["team_id"], "team_id"),
        _instant(x["start"]),
    )


def _team_from_json(t: Any) -> Team:
    t = _known(t, TEAM_FIELDS, "the team")
    return Team(
        id=_identifier(t["id"], "id"),
        fellow_ids=tuple(
            _identifier(f, "fellow_ids") for f in _list(t.get("fellow_ids", []), "fellow_ids")
        ),
        start_location=_location(t["start_location"], "start_location"),
        first_day=_date(t["first_day"], "first_day"),
        last_day=_date(t["last_day"], "last_day"),
        timezone=t["timezone"],
        work_start=_clock(t.get("work_start", "08:00"), "work_start"),
        work_end=_clock(t.get("work_end", "21:00"), "work_end"),
        earliest_departure=(
            _clock(t["earliest_departure"], "earliest_departure")
            if t.get("earliest_departure") is not None
            else None
        ),
        max_events_per_day=_whole(t.get("max_events_per_day", 3), "max_events_per_day"),
        min_gap_minutes=_whole(t.get("min_gap_minutes", 30), "min_gap_minutes"),
        rest_weekdays=frozenset(
            _whole(x, "rest_weekdays") for x in _list(t.get("rest_weekdays", [6]), "rest_weekdays")
        ),
        max_driving_minutes_per_day=_whole(
            t.get("max_driving_minutes_per_day", 360), "max_driving_minutes_per_day"
        ),
        unavailability=tuple(
            _unavailability_from_json(u)
            for u in _list(t.get("unavailability", []), "unavailability")
        ),
        commitments=tuple(
            _commitment_from_json(c) for c in _list(t.get("commitments", []), "commitments")
        ),
        end_location=(
            _location(t["end_location"], "end_location") if t.get("end_location") else None
        ),
        costs=_costs_from_json(t.get("costs", {})),
        max_flights_per_week=_optional_int(t.get("max_flights_per_week", 1)),
        region_states=frozenset(
            str(x).upper() for x in _list(t.get("region_states", []), "region_states")
        ),
        region_radius_km=(
            _number(t["region_radius_km"], "region_radius_km")
            if t.get("region_radius_km") is not None
            else None
        ),
    )


def _unavailability_from_json(u: Any) -> Unavailability:
    u = _known(u, UNAVAILABILITY_FIELDS, "an unavailability")
    return Unavailability(
        str(u["fellow_id"]), _instant(u["start"], "start"), _instant(u["end"], "end")
    )


def _commitment_from_json(c: Any) -> Commitment:
    c = _known(c, COMMITMENT_FIELDS, "a commitment")
    return Commitment(
        str(c["fellow_id"]),
        _instant(c["start"], "start"),
        _instant(c["end"], "end"),
        _location(c["location"], "the commitment's location") if c.get("location") else None,
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else _whole(value, "max_flights_per_week")


def _state(value: Any, where: str) -> str:
    check_state_code(str(value), where)
    return str(value)


def _identifier(value: Any, name: str) -> str:
    """An id given as text or a whole number ("12" and 12 name the same request); null, an
    empty text, true/false, a fraction, a list or an object is refused, not turned into
    "None" or "[]"."""
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"{name} must be text or a whole number, not {json.dumps(value)}")


def _whole(value: Any, name: str) -> int:
    """A whole number given as a JSON number: "60" (a string), 1.5, NaN or infinity is
    refused, not guessed."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())
    ):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, not {value!r}")
    return float(value)


def _costs_from_json(data: Any) -> CostModel:
    data = _known(data, CostModel.__dataclass_fields__, "costs")
    return CostModel(**{k: _number(v, k) for k, v in data.items()})


def _request_from_json(r: Any) -> Request:
    r = _known(r, REQUEST_FIELDS, "the request")
    return Request(
        id=_identifier(r["id"], "id"),
        location=_location(r["location"]),
        timezone=r["timezone"],
        duration_minutes=_whole(r["duration_minutes"], "duration_minutes"),
        windows=tuple(_window_from_json(w) for w in _list(r["windows"], "windows")),
        expected_audience=_whole(r.get("expected_audience", 0), "expected_audience"),
        priority=r.get("priority", "normal"),
        label=r.get("label", ""),
        state=_state(r.get("state", ""), f"Request {r.get('id')}"),
        city=str(r.get("city", "")),
    )


def _window_from_json(w: Any) -> RequestWindow:
    w = _known(w, WINDOW_FIELDS, "a window")
    return RequestWindow(
        first_date=_date(w["first_date"], "first_date"),
        last_date=_date(w.get("last_date", w["first_date"]), "last_date"),
        earliest_start=_clock(w["earliest_start"], "earliest_start"),
        latest_end=_clock(w["latest_end"], "latest_end"),
    )


def problem_to_json(problem: Problem) -> dict[str, Any]:
    return {
        "teams": [
            {
                "id": t.id,
                "fellow_ids": list(t.fellow_ids),
                "start_location": _loc_json(t.start_location),
                "first_day": t.first_day.isoformat(),
                "last_day": t.last_day.isoformat(),
                "timezone": t.timezone,
                "work_start": t.work_start.strftime("%H:%M"),
                "earliest_departure": (
                    t.earliest_departure.strftime("%H:%M") if t.earliest_departure else None
                ),
                "work_end": t.work_end.strftime("%H:%M"),
                "max_events_per_day": t.max_events_per_day,
                "min_gap_minutes": t.min_gap_minutes,
                "rest_weekdays": sorted(t.rest_weekdays),
                "max_driving_minutes_per_day": t.max_driving_minutes_per_day,
                "unavailability": [
                    {"fellow_id": u.fellow_id, "start": _utc(u.start), "end": _utc(u.end)}
                    for u in t.unavailability
                ],
                "commitments": [
                    {
                        "fellow_id": c.fellow_id,
                        "start": _utc(c.start),
                        "end": _utc(c.end),
                        "location": _loc_json(c.location) if c.location else None,
                    }
                    for c in t.commitments
                ],
                "end_location": _loc_json(t.end_location) if t.end_location else None,
                "costs": asdict(t.costs),
                "max_flights_per_week": t.max_flights_per_week,
                "region_states": sorted(t.region_states),
                "region_radius_km": t.region_radius_km,
            }
            for t in problem.teams
        ],
        "requests": [
            {
                "id": r.id,
                "label": r.label,
                "state": r.state,
                "city": r.city,
                "location": _loc_json(r.location),
                "timezone": r.timezone,
                "duration_minutes": r.duration_minutes,
                "expected_audience": r.expected_audience,
                "priority": r.priority,
                "windows": [
                    {
                        "first_date": w.first_date.isoformat(),
                        "last_date": w.last_date.isoformat(),
                        "earliest_start": w.earliest_start.strftime("%H:%M"),
                        "latest_end": w.latest_end.strftime("%H:%M"),
                    }
                    for w in r.windows
                ],
            }
            for r in problem.requests
        ],
        "locked": [
            {"request_id": x.request_id, "team_id": x.team_id, "start": _utc(x.start)}
            for x in problem.locked
        ],
        "weights": {
            "priority": dict(problem.weights.priority),
            "minimum_audience": problem.weights.minimum_audience,
        },
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "total_value": plan.total_value,
        "total_km": plan.total_km,
        "driving_minutes": plan.driving_minutes,
        "seed": plan.seed,
        "seconds": plan.seconds,
        "stopped_by": plan.stopped_by,
        "total_cost": plan.total_cost,
        "net_value": round(plan.net_value, 1),
        "teams": [
            {
                "team_id": tp.team_id,
                **{name: getattr(tp, name) for name in _TEAM_FIGURES},
                "cost": round(tp.cost, 1),
                "net_value": round(tp.net_value, 1),
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "rest": d.rest,
                        "start_location": _loc_json(d.start_location),
                        "overnight_location": _loc_json(d.overnight_location),
                        "events": [
                            {
                                "request_id": e.request_id,
                                "start": _utc(e.start),
                                "end": _utc(e.end),
                                "location": _loc_json(e.location),
                                "value": e.value,
                                "locked": e.locked,
                            }
                            for e in d.events
                        ],
                        "legs": [
                            {
                                "origin": _loc_json(leg.origin),
                                "destination": _loc_json(leg.destination),
                                "depart": _utc(leg.depart),
                                "arrive": _utc(leg.arrive),
                                "km": leg.km,
                                "mode": leg.mode,
                                "driving_minutes": leg.driving_minutes,
                            }
                            for leg in d.legs
                        ],
                    }
                    for d in tp.days
                ],
            }
            for tp in plan.teams
        ],
        "left_out": [
            {"request_id": x.request_id, "reason": x.reason, "message": x.message}
            for x in plan.left_out
        ],
    }


_TEAM_FIGURES = (
    "value",
    "audience",
    "driving_cost",
    "flight_cost",
    "hotel_cost",
    "km_driven",
    "km_flown",
    "flights",
    "hotel_nights",
)


def plan_from_json(data: dict[str, Any]) -> Plan:
    return Plan(
        teams=tuple(
            TeamPlan(
                team_id=str(tp["team_id"]),
                days=tuple(
                    DayPlan(
                        day=date.fromisoformat(d["day"]),
                        rest=bool(d["rest"]),
                        start_location=_location(d["start_location"]),
                        overnight_location=_location(d["overnight_location"]),
                        events=tuple(
                            PlannedEvent(
                                request_id=str(e["request_id"]),
                                start=_instant(e["start"]),
                                end=_instant(e["end"], "end"),
                                location=_location(e["location"]),
                                value=float(e.get("value", 0.0)),
                                locked=bool(e.get("locked", False)),
                            )
                            for e in d.get("events", ())
                        ),
                        legs=tuple(
                            TravelLeg(
                                origin=_location(leg["origin"]),
                                destination=_location(leg["destination"]),
                                depart=_instant(leg["depart"], "depart"),
                                arrive=_instant(leg["arrive"], "arrive"),
                                km=float(leg["km"]),
                                mode=leg["mode"],
                                driving_minutes=int(leg["driving_minutes"]),
                            )
                            for leg in d.get("legs", ())
                        ),
                    )
                    for d in tp["days"]
                ),
                **{name: tp[name] for name in _TEAM_FIGURES if name in tp},
            )
            for tp in data["teams"]
        ),
        left_out=tuple(
            LeftOut(str(x["request_id"]), x["reason"], x.get("message", ""))
            for x in data.get("left_out", ())
        ),
        total_value=float(data.get("total_value", 0.0)),
        total_km=float(data.get("total_km", 0.0)),
        driving_minutes=int(data.get("driving_minutes", 0)),
        seed=int(data.get("seed", 0)),
        seconds=float(data.get("seconds", 0.0)),
        stopped_by=data.get("stopped_by", ""),
        total_cost=float(data.get("total_cost", 0.0)),
    )
