"""The multi-day tour layer: teams x days, nights and rest days on top of the shared search.

Owns how a ``Problem`` becomes routes and back: every team-day is a short route that starts
where the team slept (or at the destination of a travel day), inside the tour's working hours,
under the daily driving limit and the events-a-day cap, with rest weekdays and fellows'
unavailability removed. It plugs into ``search.iterated_ruin_recreate`` like the TOPTW core.

Time inside this module is integer minutes since ``epoch`` (UTC); local windows and working
hours are converted with zoneinfo per calendar day, so DST changes land on the right day.

Travel between two days with events happens as late as it can (see ``TourModel._incoming``):
that morning for a team at home, else on the last free working day in between ("travel on"),
else on the evening after the previous talk, else on the morning of the later day; so a team
always sleeps at home, where its last event of the day was or where its travel day ended.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any, cast
from zoneinfo import ZoneInfo

from planner.days import event_day, working_hours
from planner.model import (
    CostModel,
    DayPlan,
    LeftOut,
    Location,
    Plan,
    PlannedEvent,
    Problem,
    RoadStop,
    TeamPlan,
    TravelLeg,
)
from planner.neighbourhoods import (
    RELATED,
    STRETCH,
    choose_ruin,
    random_removal,
    related_removal,
    stretch_removal,
)
from planner.reasons import explain
from planner.search import Budget, iterated_ruin_recreate
from planner.travel import (
    DEPARTURE_BUFFER_MINUTES,
    Leg,
    TravelModel,
    great_circle_km,
    in_region,
    sleeps_at_home,
    waypoint,
)
from planner.validate import check_problem

Interval = tuple[int, int]
# Cost of one day evaluation in work units, for reproducible runs under a counted budget
# (``plan_tour(work_units=...)``; see search.Budget).
_EVAL_WORK = 320
# Events start on the quarter hour: a host plans "10:15", not "10:19". The epoch is midnight
# UTC and every US zone is a whole number of hours from UTC, so this is the local quarter hour.
START_STEP_MINUTES = 15
# Seconds kept back per request for building the answer after the search (see plan_tour).
ANSWER_SECONDS_PER_REQUEST = 0.002
# A trip that pays only as a whole (TourModel.insert_trips): a left-out request with up to two
# more within two and a half hours of travel of it.
TRIP_RADIUS_MINUTES = 150
TRIP_SIZE = 3
TRIP_SHARE_OF_TIME = 0.05
_ZONE_SPAN_MINUTES = 12 * 60
# A split drive's overnight stop takes the name of a known place (a venue's city, a team's
# start) when one lies this close to it (great circle); otherwise it is described by the road.
NEAR_KNOWN_PLACE_KM = 80.0
# A split drive starts on the evening after a talk only if that leaves this much driving.
MIN_EVENING_STAGE_MINUTES = 60
# A full stage of a split drive stays this far under the daily driving limit and this share of
# the longest single drive, as the leg's own minute and kilometre rounding may add a little.
FULL_STAGE_MARGIN_MINUTES = 10
FULL_STAGE_SHARE_OF_ROAD_LIMIT = 0.97
# A stage of a split drive: (day index it is driven on, from location, to location).
Stage = tuple[int, int, int]
# How a team reaches a day's first venue: (where it wakes up that day, the day that carries
# the leg there or None for that morning, the stages of a split drive).
Incoming = tuple[int, int | None, tuple[Stage, ...]]


def _minutes(moment: datetime, epoch: datetime) -> int:
    return int((moment - epoch).total_seconds() // 60)


def _local_minutes(day: date, at: time, zone: ZoneInfo, epoch: datetime) -> int:
    return _minutes(datetime.combine(day, at, tzinfo=zone).astimezone(UTC), epoch)


@dataclass(frozen=True)
class Limits:
    """Which of the relaxable rules a day evaluation applies: all of them when planning; the
    reasons lift one at a time to find out which one keeps a request out."""

    event_cap: bool = True  # at most max_events_per_day
    flight_cap: bool = True  # at most max_flights_per_week
    elsewhere: bool = True  # clear of the fellows' other teams and commitments


ALL_RULES = Limits()


@dataclass
class _Day:
    day: date
    work: Interval
    rest: bool
    blocks: tuple[Interval, ...]  # merged unavailability of any fellow, clipped to this day
    leaves_from: int = 0  # the earliest the day's first leg to a talk departs (Team.leaves_from)

    @property
    def first_leg(self) -> Interval:
        """When the morning's leg to the day's first talk may run."""
        return (min(self.leaves_from, self.work[0]), self.work[1])


@dataclass
class _TeamData:
    index: int
    days: list[_Day]
    start_loc: int
    home_loc: int  # where the team ends the tour (its start unless told otherwise)
    max_events: int
    gap: int
    max_drive: int
    costs: CostModel
    flight_cap: int | None  # flights per tour-week (day index // 7), first and last legs aside

    @property
    def drives_only(self) -> bool:
        """A team whose cap allows no flight drives between stops, however far (in stages)."""
        return self.flight_cap == 0


@dataclass
class _DaySchedule:
    events: tuple[int, ...]
    starts: tuple[int, ...]
    morning_loc: int  # where the team is when the day begins (after any travel day)
    travel_day: int | None  # day index on which the incoming leg was driven, if not this day
    driving: int
    home_day: int | None = None  # if this is the team's last busy day: when it travels home
    # A drive too long for one day, split: the stages driven on the days before this one
    # (``travel_day`` is then the first of them). Empty for a leg driven in one piece.
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class Insertion:
    """Where request ``request`` fits into the plan as it stands: at position ``slot`` of day
    ``day`` of team ``team``, for ``extra_cost`` attendees of travel and nights, with the new
    schedules of the days it changes (``TourModel.try_insert`` finds it, ``insert`` applies it).
    """

    request: int
    team: int
    day: int
    slot: int
    extra_cost: float
    schedules: tuple


class TourModel:
    """Mutable assignment of requests to team-days (a ``search.SearchModel``)."""

    def __init__(self, problem: Problem, travel: TravelModel) -> None:
        self.problem = problem
        self.travel_model = travel
        self.work = 0
        first = min(t.first_day for t in problem.teams)
        self.epoch = datetime.combine(first - timedelta(days=2), time(0), tzinfo=UTC)
        self.locations: list[Location] = []
        self._loc_index: dict[tuple[float, float], int] = {}
        self._legs: dict[tuple[int, int], Leg] = {}
        self._overland: dict[tuple[int, int], Leg] = {}
        self._stops_found: dict[tuple[int, int, tuple[float, ...]], list[int]] = {}
        # Stops of split drives: the drive that first made each (origin, destination, share),
        # and its name once a plan asked for it (see _place).
        self._stop_roads: dict[int, tuple[int, int, float]] = {}
        self._stop_names: dict[int, Location] = {}
        self._home_nights: dict[tuple[int, int], bool] = {}
        self.teams = [self._team_data(i) for i in range(len(problem.teams))]
        # One person, one place: teams that share a fellow keep clear of each other's events,
        # and every team keeps clear of its fellows' commitments outside this problem.
        fellows = [set(t.fellow_ids) for t in problem.teams]
        self.sharing: list[list[int]] = [
            [j for j in range(len(fellows)) if j != i and fellows[i] & fellows[j]]
            for i in range(len(fellows))
        ]
        self.commitments: list[list[tuple[int, int, int]]] = [
            sorted(
                (
                    _minutes(c.start, self.epoch),
                    _minutes(c.end, self.epoch),
                    self._loc(c.location) if c.location is not None else -1,
                )
                for c in t.commitments
            )
            for t in problem.teams
        ]
        self.req_loc = [self._loc(_zoned(r.location, r.timezone)) for r in problem.requests]
        self.req_dur = [r.duration_minutes for r in problem.requests]
        self.value = [problem.weights.value(r) for r in problem.requests]
        self.req_index = {r.id: i for i, r in enumerate(problem.requests)}
        # Places people know by name, for naming the overnight stops of split drives.
        self.known_places: list[tuple[Location, str, str]] = [
            (place, place.label, t.timezone)
            for t in problem.teams
            for place in (t.start_location, t.home)
        ] + [(r.location, r.city or r.location.label, r.timezone) for r in problem.requests]
        # windows[(request, team, day)] -> intervals clipped to that day's working hours
        self.windows: dict[tuple[int, int, int], list[Interval]] = {}
        self.candidates: list[list[tuple[int, int]]] = [[] for _ in problem.requests]
        self.raw_windows: list[list[Interval]] = [
            self._request_intervals(i) for i in range(len(problem.requests))
        ]
        for ri in range(len(problem.requests)):
            self._index_candidates(ri)
        self.plan: list[list[list[int]]] = [[[] for _ in t.days] for t in self.teams]
        self.sched: list[list[_DaySchedule | None]] = [[None for _ in t.days] for t in self.teams]
        self.locked_start: dict[int, int] = {}
        self.placed: dict[int, tuple[int, int]] = {}
        self._place_locked()
        self._dirty: set[tuple[int, int]] = set()
        self._ruined: set[int] = set()

    # -- set-up -----------------------------------------------------------------------------
    def _loc(self, loc: Location) -> int:
        key = (round(loc.lat, 6), round(loc.lon, 6))
        if key not in self._loc_index:
            self._loc_index[key] = len(self.locations)
            self.locations.append(loc)
        return self._loc_index[key]

    def leg(self, a: int, b: int) -> Leg:
        key = (a, b)
        found = self._legs.get(key)
        if found is None:
            found = self.travel_model.leg(self.locations[a], self.locations[b])
            self._legs[key] = found
        return found

    def hop(self, ti: int, a: int, b: int) -> Leg:
        """The leg team ti travels between two of its stops: the travel model's, except that a
        team that does not fly (``drives_only``) drives where the model would fly."""
        leg = self.leg(a, b)
        if leg.mode != "flight" or not self.teams[ti].drives_only:
            return leg
        return self._overland_leg(a, b)

    def _overland_leg(self, a: int, b: int) -> Leg:
        found = self._overland.get((a, b))
        if found is None:
            found = self.travel_model.overland(self.locations[a], self.locations[b])
            self._overland[(a, b)] = found
        return found

    def arrival(
        self, ti: int, a: int, b: int, sched: _DaySchedule | None
    ) -> tuple[float, int, bool]:
        """(cost in attendees, minutes, whether it flies) of getting from stop a to stop b on
        a later day as day b's schedule travels it: the legs of its stages (a split drive, or a
        night at home on the way) and the morning drive from the last of them, or else the
        team's ``hop``."""
        costs = self.teams[ti].costs
        if sched is not None and sched.stages:
            legs = [self.leg(x, y) for _day, x, y in sched.stages]
            if sched.morning_loc != b:
                legs.append(self.leg(sched.morning_loc, b))
            cost = sum(costs.leg_cost(leg.mode, leg.km, leg.minutes) for leg in legs)
            return cost, sum(leg.minutes for leg in legs), False
        leg = self.hop(ti, a, b)
        return costs.leg_cost(leg.mode, leg.km, leg.minutes), leg.minutes, leg.mode == "flight"

    def _leg_price(self, ti: int, leg: Leg) -> tuple[float, int, bool]:
        """(cost, minutes, whether it flies) of one leg, as ``arrival`` gives them."""
        cost = self.teams[ti].costs.leg_cost(leg.mode, leg.km, leg.minutes)
        return cost, leg.minutes, leg.mode == "flight"

    def _drive_first(self, ti: int, leg: Leg, overland: Leg) -> bool:
        """Whether driving ``overland`` in stages costs less than flying ``leg``: the drive's
        hours and km plus a hotel night for each day of driving beyond the first (a flight
        also has the team sleep at the destination the night before the talk)."""
        team = self.teams[ti]
        costs = team.costs
        days = max(1, math.ceil(overland.driving_minutes / max(1, team.max_drive)))
        drive = costs.leg_cost("drive", overland.km, overland.minutes)
        drive += (days - 1) * costs.hotel_night_attendees
        return drive < costs.leg_cost("flight", leg.km, leg.minutes)

    def _needs_stages(self, ti: int, leg: Leg) -> bool:
        """Whether a drive cannot be done in one day: over the daily driving limit, or longer
        than any single drive leg of the travel model (a team that does not fly)."""
        model = self.travel_model
        return leg.mode == "drive" and (
            leg.driving_minutes > self.teams[ti].max_drive
            or leg.km > model.flight_threshold_km * model.road_factor
        )

    def _split_drives(
        self, ti: int, p: int, d: int, origin: int, destination: int, leg: Leg
    ) -> Iterator[tuple[int, int, tuple[Stage, ...]]]:
        """A drive too long for one day, in stages of at most the daily limit on the working
        days after day p (the previous busy day, -1 for the tour's start) and before day d.

        The stops lie on the great circle, the stages of equal length. Tried in turn: every
        stage on a travel day of its own; the last stage on the morning of day d, before its
        events; and then the same with a first, shorter stage on the evening after day p's
        last talk (what is left of that day's hours and driving); last, full stages first and
        a short one on the morning of day d (for an early talk). Yields each that the days
        hold, in that order: (where the team wakes on day d, the first day that carries a
        stage, the stages); the day's evaluation takes the first its talks allow.
        """
        team = self.teams[ti]
        model = self.travel_model
        free = [x for x in range(p + 1, d) if not team.days[x].rest]
        heads = [0.0]  # the share of the drive done on the evening of day p
        room = self._evening_room(ti, p)
        if room >= MIN_EVENING_STAGE_MINUTES:
            # A couple of minutes' margin for the rounding of the stage's own leg.
            heads.append(min(0.9, (room - 2) / leg.driving_minutes))
        for head in heads:
            base = max(
                math.ceil(leg.driving_minutes * (1 - head) / team.max_drive),
                math.ceil(leg.km * (1 - head) / model.road_factor / model.flight_threshold_km),
            )
            if len(free) < base - 1:
                continue
            # Minute rounding can push a stage a minute over the limit; one more fixes it.
            for parts, full_days_first in ((base, False), (base + 1, False), (base, True)):
                cuts = [head] if head else []
                if full_days_first:
                    # Every stage but the last as long as a day allows, the last as short as
                    # it can be: a morning stage before an early talk (stages of equal
                    # length would make the team late for it).
                    share = min(
                        (team.max_drive - FULL_STAGE_MARGIN_MINUTES) / leg.driving_minutes,
                        FULL_STAGE_SHARE_OF_ROAD_LIMIT
                        * model.flight_threshold_km
                        * model.road_factor
                        / leg.km,
                    )
                    if head + share * (parts - 1) >= 1:
                        continue
                    cuts += [head + share * k for k in range(1, parts)]
                else:
                    cuts += [head + (1 - head) * k / parts for k in range(1, parts)]
                points = [origin, *self._stops(origin, destination, cuts), destination]
                portions = list(zip(points, points[1:], strict=False))
                if any(
                    self.leg(a, b).mode != "drive" or self._needs_stages(ti, self.leg(a, b))
                    for a, b in portions
                ):
                    continue
                evening: tuple[Stage, ...] = ()
                if head:
                    if not self._fits_evening(ti, p, self.leg(*portions[0])):
                        continue
                    evening = ((p, *portions[0]),)
                    portions = portions[1:]
                # Front-loaded stages are only worth it with the short one on the talk's morning.
                for before in (portions[:-1],) if full_days_first else (portions, portions[:-1]):
                    stages = self._stage_days(ti, free, before, latest=not evening)
                    if stages is not None and evening + stages:
                        morning = before[-1][1] if before else evening[-1][2]
                        yield morning, (evening + stages)[0][0], evening + stages

    def _evening_room(self, ti: int, p: int) -> int:
        """Minutes the team could still drive after day p's last talk: what is left of that
        day's driving limit and of its working hours (0 when day p has no talk)."""
        if p < 0:
            return 0
        before = self.sched[ti][p]
        if before is None or not before.events:
            return 0
        team = self.teams[ti]
        end = self._leaves_after(before)
        return max(0, min(team.max_drive - before.driving, team.days[p].work[1] - end))

    def _fits_evening(self, ti: int, p: int, leg: Leg) -> bool:
        """Whether ``leg`` can be driven after day p's last talk, as ``_team_plan`` will."""
        before = self.sched[ti][p]
        if before is None or not before.events:
            return False
        team = self.teams[ti]
        if before.driving + leg.driving_minutes > team.max_drive:
            return False
        day = team.days[p]
        return (
            self._first_free([day.work], leg.minutes, day.blocks, self._leaves_after(before))
            is not None
        )

    def _stage_days(
        self, ti: int, free: list[int], portions: list[tuple[int, int]], *, latest: bool = False
    ) -> tuple[Stage, ...] | None:
        """Each portion on the next of the ``free`` days whose working hours hold it; with
        ``latest``, on the last such days (a team on its way out leaves as late as it can)."""
        team = self.teams[ti]
        days = iter(reversed(free) if latest else free)
        stages: list[Stage] = []
        for a, b in reversed(portions) if latest else portions:
            minutes = self.leg(a, b).minutes
            for x in days:
                day = team.days[x]
                if self._first_free([day.work], minutes, day.blocks, day.work[0]) is not None:
                    stages.append((x, a, b))
                    break
            else:
                return None
        return tuple(reversed(stages)) if latest else tuple(stages)

    def _stops(self, origin: int, destination: int, cuts: list[float]) -> list[int]:
        """The overnight stops at the given shares (0 to 1) of the straight line from origin
        to destination. Remembered per run: a day evaluation asks again for the same drive
        many times. A stop is named only when a plan is written (``_place``): naming looks at
        every known place, and the search tries far more drives than a plan keeps.
        """
        key = (origin, destination, tuple(cuts))
        known = self._stops_found.get(key)
        if known is not None:
            return known
        a, b = self.locations[origin], self.locations[destination]
        out = []
        for cut in cuts:
            point = waypoint(a, b, cut)
            index = self._loc(Location(point.lat, point.lon))
            self._stop_roads.setdefault(index, (origin, destination, cut))
            out.append(index)
        self._stops_found[key] = out
        return out

    def _place(self, index: int) -> Location:
        """The location people read: a stop of a split drive named after a known place near
        it or by the road; any other place as it is."""
        road = self._stop_roads.get(index)
        if road is None:
            return self.locations[index]
        named = self._stop_names.get(index)
        if named is None:
            named = self._stop_names[index] = self._name_stop(*road)
        return named

    def _name_stop(self, origin: int, destination: int, cut: float) -> Location:
        """A stop named after a known place within ``NEAR_KNOWN_PLACE_KM``, else by the road.

        A stop is one place whichever way the team drives through it (out and home share
        it), so its road name counts from the end whose name sorts first.
        """
        ends = sorted(
            ((self.locations[origin], 0.0), (self.locations[destination], 1.0)),
            key=lambda end: self._place_name(end[0]),
        )
        (first, first_at), (second, _at) = ends
        point = waypoint(self.locations[origin], self.locations[destination], cut)
        place, name, zone = min(
            self.known_places, key=lambda known: great_circle_km(known[0], point)
        )
        if not name or great_circle_km(place, point) > NEAR_KNOWN_PLACE_KM:
            along = self.travel_model.overland(first, second).km * abs(cut - first_at)
            name = RoadStop(
                int(round(along, -1)),
                self._place_name(first) or "start",
                self._place_name(second) or "the next stop",
            ).label
        # The zone of the nearest known place: the team sleeps near the line between two of
        # them, and a wrong zone there only shifts the hours shown for the stop.
        return Location(point.lat, point.lon, name, zone)

    def _place_name(self, location: Location) -> str:
        for place, name, _zone in self.known_places:
            if great_circle_km(place, location) < 0.1 and name:
                return name
        return location.label

    def _team_data(self, index: int) -> _TeamData:
        team = self.problem.teams[index]
        zone = ZoneInfo(team.timezone)
        blocks = sorted(
            (_minutes(u.start, self.epoch), _minutes(u.end, self.epoch))
            for u in team.unavailability
            if u.fellow_id in team.fellow_ids or not team.fellow_ids
        )
        merged: list[list[int]] = []
        for lo, hi in blocks:
            if merged and lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        days = []
        day = team.first_day
        while day <= team.last_day:
            work = (
                _local_minutes(day, team.work_start, zone, self.epoch),
                _local_minutes(day, team.work_end, zone, self.epoch),
            )
            # Events keep to the working hours at their venue, which may lie a few zones
            # away: keep the blocks of the whole span any venue's hours can cover that day.
            span = (work[0] - _ZONE_SPAN_MINUTES, work[1] + _ZONE_SPAN_MINUTES)
            day_blocks = tuple(
                (max(lo, span[0]), min(hi, span[1]))
                for lo, hi in merged
                if lo < span[1] and hi > span[0]
            )
            leaves = _local_minutes(day, team.leaves_from, zone, self.epoch)
            rest = day.weekday() in team.rest_weekdays
            days.append(_Day(day, work, rest, day_blocks, leaves))
            day += timedelta(days=1)
        return _TeamData(
            index=index,
            days=days,
            start_loc=self._loc(_zoned(team.start_location, team.timezone)),
            home_loc=self._loc(_zoned(team.home, team.timezone)),
            max_events=team.max_events_per_day,
            gap=team.min_gap_minutes,
            max_drive=team.max_driving_minutes_per_day,
            costs=team.costs,
            flight_cap=team.max_flights_per_week,
        )

    def _request_intervals(self, ri: int) -> list[Interval]:
        req = self.problem.requests[ri]
        zone = ZoneInfo(req.timezone)
        out = []
        for w in req.windows:
            day = w.first_date
            while day <= w.last_date:
                lo = _local_minutes(day, w.earliest_start, zone, self.epoch)
                hi = _local_minutes(day, w.latest_end, zone, self.epoch)
                if hi > lo:
                    out.append((lo, hi))
                day += timedelta(days=1)
        return sorted(out)

    def _index_candidates(self, ri: int) -> None:
        dur = self.req_dur[ri]
        request = self.problem.requests[ri]
        for team in self.teams:
            if not in_region(self.problem.teams[team.index], request):
                continue
            team_rules = self.problem.teams[team.index]
            for di, day in enumerate(team.days):
                if day.rest:
                    continue
                # The same day rule as the booking rules (days.py): the tour's working hours
                # on this date at the venue.
                opens, closes = (
                    _minutes(moment, self.epoch)
                    for moment in working_hours(
                        day.day, request.timezone, team_rules.work_start, team_rules.work_end
                    )
                )
                clipped = [
                    (max(lo, opens), min(hi, closes))
                    for lo, hi in self.raw_windows[ri]
                    if min(hi, closes) - max(lo, opens) >= dur
                ]
                if clipped:
                    self.windows[(ri, team.index, di)] = clipped
                    first = self._first_free(
                        clipped, dur, day.blocks, clipped[0][0], START_STEP_MINUTES
                    )
                    if first is not None:
                        self.candidates[ri].append((team.index, di))

    def _place_locked(self) -> None:
        by_team_day: dict[tuple[int, int], list[tuple[int, int]]] = {}
        team_ids = {t.id: i for i, t in enumerate(self.problem.teams)}
        for lock in self.problem.locked:
            ri = self.req_index[lock.request_id]
            ti = team_ids[lock.team_id]
            team = self.problem.teams[ti]
            local_day = event_day(lock.start, self.problem.requests[ri].timezone)
            di = (local_day - team.first_day).days
            if not 0 <= di < len(self.teams[ti].days):
                raise ValueError(
                    f"Locked event {lock.request_id} on {local_day} lies outside the tour's days."
                )
            start = _minutes(lock.start.astimezone(UTC), self.epoch)
            self.locked_start[ri] = start
            by_team_day.setdefault((ti, di), []).append((start, ri))
        for (ti, di), items in by_team_day.items():
            self.plan[ti][di] = [ri for _, ri in sorted(items)]
            for _, ri in items:
                self.placed[ri] = (ti, di)
        for ti in range(len(self.teams)):
            self._refresh_team(ti)

    # -- evaluation ---------------------------------------------------------------------------
    @staticmethod
    def _first_free(
        intervals: list[Interval],
        dur: int,
        blocks: tuple[Interval, ...],
        earliest: int,
        step: int = 1,
    ) -> int | None:
        """Earliest start >= earliest, a multiple of `step`, with [start, start+dur] inside an
        interval and no block."""
        for lo, hi in intervals:
            s = -(-max(earliest, lo) // step) * step
            while s + dur <= hi:
                clash = next((b for b in blocks if b[0] < s + dur and b[1] > s), None)
                if clash is None:
                    return s
                s = -(-clash[1] // step) * step
        return None

    def _elsewhere_blocks(
        self, ti: int, d: int, here: int, limits: Limits = ALL_RULES
    ) -> tuple[Interval, ...]:
        """Times an event at ``here`` on day d cannot overlap, because a fellow of the team must
        be elsewhere: at another team's event or a commitment, plus travel and the gap."""
        commitments = self.commitments[ti]
        sharing = self.sharing[ti]
        if not limits.elsewhere or (not commitments and not sharing):
            return ()
        team = self.teams[ti]
        day = team.days[d]
        lo, hi = day.work[0] - 24 * 60, day.work[1] + 24 * 60
        out: list[Interval] = []
        for start, end, where in commitments:
            if end < lo or start > hi:
                continue
            to_it = self.leg(here, where).minutes if where >= 0 else 0
            from_it = self.leg(where, here).minutes if where >= 0 else 0
            out.append((start - to_it - team.gap, end + from_it + team.gap))
        for tj in sharing:
            other = self.teams[tj]
            gap = max(team.gap, other.gap)
            centre = (day.day - other.days[0].day).days
            for dj in range(max(0, centre - 1), min(len(other.days), centre + 2)):
                sched = self.sched[tj][dj]
                if sched is None:
                    continue
                for rj, sj in zip(sched.events, sched.starts, strict=True):
                    where = self.req_loc[rj]
                    out.append(
                        (
                            sj - self.leg(here, where).minutes - gap,
                            sj + self.req_dur[rj] + self.leg(where, here).minutes + gap,
                        )
                    )
        return tuple(out)

    def _incoming(
        self, ti: int, d: int, first_loc: int, *, no_flight: bool = False
    ) -> Iterator[Incoming]:
        """The ways the team can reach day d's first venue, best first: each is (where it wakes
        up on day d, which earlier day carries the leg there, the first of them for a split
        drive, and the stages of a split drive). ``_eval_day`` takes the first that works.

        A coordinator's order: a team that sleeps at home leaves on the morning of the talk
        when the leg fits before it; otherwise every team travels as late as it can, on the
        last free working day before day d, else on the evening after the previous talk, else
        that morning. So nobody moves right after a talk only to wait days in a hotel.

        Between two stops the model would fly, a team that may fly can also drive in stages
        (``_split_drives``): first when that costs less, last otherwise, and only that with
        ``no_flight`` (the week's flight cap is used up). A generator: the drive is worked
        out only when asked for.
        """
        team = self.teams[ti]
        p = d - 1
        while p >= 0 and not self.plan[ti][p]:
            p -= 1
        origin = self.plan[ti][p][-1] if p >= 0 else -1
        origin_loc = self.req_loc[origin] if origin >= 0 else team.start_loc
        # The first leg out keeps the travel model's mode (the flight cap leaves it aside).
        leg = self.hop(ti, origin_loc, first_loc) if p >= 0 else self.leg(origin_loc, first_loc)
        morning: Incoming = (origin_loc, None, ())
        if leg.minutes == 0:
            yield (first_loc, None, ())
            return
        if p >= 0 and d - p >= 2 and not self._at_home(ti, origin_loc):
            yield from self._home_visits(ti, p, d, origin_loc, first_loc, leg)
        if self._needs_stages(ti, leg):
            found = False
            for split in self._split_drives(ti, p, d, origin_loc, first_loc, leg):
                found = True
                yield split
            if not found:
                yield morning
            return
        if p < 0 or leg.mode != "flight":
            yield from self._flight_options(ti, p, d, leg, morning, first_loc)
            return
        overland = self._overland_leg(origin_loc, first_loc)
        drive_first = no_flight or self._drive_first(ti, leg, overland)
        if not drive_first:
            yield from self._flight_options(ti, p, d, leg, morning, first_loc)
        yield from self._split_drives(ti, p, d, origin_loc, first_loc, overland)
        if drive_first and not no_flight:
            yield from self._flight_options(ti, p, d, leg, morning, first_loc)

    def _home_visits(
        self, ti: int, p: int, d: int, origin: int, first: int, direct: Leg
    ) -> Iterator[Incoming]:
        """Nights at home between two stops away, when the days between are free and home is
        a day's drive from both: the team drives home on the evening after day p's last talk
        (else the next free working day) and out again on the morning of day d (else the last
        free working day before it), as two stages. Offered only when the hotel nights saved
        are worth more than the extra driving."""
        team = self.teams[ti]
        home = team.home_loc
        out, back = self.leg(origin, home), self.leg(home, first)
        if any(leg.mode != "drive" or leg.driving_minutes > team.max_drive for leg in (out, back)):
            return
        free = [
            x
            for x in range(p + 1, d)
            if not team.days[x].rest
            and self._first_free(
                [team.days[x].work],
                max(out.minutes, back.minutes),
                team.days[x].blocks,
                team.days[x].work[0],
            )
            is not None
        ]
        leave = p if self._fits_evening(ti, p, out) else (free[0] if free else None)
        if leave is None:
            return
        costs = team.costs
        extra = (
            costs.leg_cost(out.mode, out.km, out.minutes)
            + costs.leg_cost(back.mode, back.km, back.minutes)
            - costs.leg_cost(direct.mode, direct.km, direct.minutes)
        )
        gone: Stage = (leave, origin, home)
        # Back on the morning of day d: every night from ``leave`` on is spent at home.
        if (d - leave) * costs.hotel_night_attendees > extra:
            yield (home, leave, (gone,))
        later = [x for x in free if x > leave]
        if later and (later[-1] - leave) * costs.hotel_night_attendees > extra:
            yield (first, leave, (gone, (later[-1], home, first)))

    def _flight_options(
        self, ti: int, p: int, d: int, leg: Leg, morning: Incoming, first_loc: int
    ) -> list[Incoming]:
        """The ways to travel ``leg`` in one piece (a drive within a day, or a flight), in the
        coordinator's order (see ``_incoming``)."""
        team = self.teams[ti]
        origin_loc = morning[0]
        options: list[Incoming] = []
        if leg.driving_minutes <= team.max_drive:
            if self._at_home(ti, origin_loc):
                options.append(morning)
            for x in range(d - 1, p, -1):
                day = team.days[x]
                if day.rest or (leg.mode == "flight" and x // 7 != d // 7):
                    # A flight is counted in the week of the day it reaches; keep it there.
                    continue
                start = self._first_free([day.work], leg.minutes, day.blocks, day.work[0])
                if start is not None:
                    options.append((first_loc, x, ()))
                    break
            if p >= 0 and self._evening_departure(ti, p, leg) is not None:
                # Travel on the evening after the last event of day p.
                options.append((first_loc, p, ()))
        if morning not in options:
            options.append(morning)
        return options

    def _at_home(self, ti: int, loc: int) -> bool:
        """Whether a night at ``loc`` is spent at home (``travel.sleeps_at_home``)."""
        key = (ti, loc)
        found = self._home_nights.get(key)
        if found is None:
            team = self.teams[ti]
            found = self._home_nights[key] = sleeps_at_home(
                self.locations[loc],
                self.locations[team.start_loc],
                self.locations[team.home_loc],
            )
        return found

    def _evening_departure(self, ti: int, p: int, leg: Leg) -> int | None:
        """When the team can leave after day p's last event for ``leg``, in the same working
        hours and driving limit (a flight only inside the week it lands in)."""
        team = self.teams[ti]
        before = self.sched[ti][p]
        if before is None or not before.events:
            return None
        if before.driving + leg.driving_minutes > team.max_drive:
            return None
        q = self._next_busy(ti, p)
        if leg.mode == "flight" and (q is None or p // 7 != q // 7):
            return None
        day = team.days[p]
        return self._first_free([day.work], leg.minutes, day.blocks, self._leaves_after(before))

    def _leaves_after(self, sched: _DaySchedule) -> int:
        """The earliest a leg can leave after the day's last talk: its end and the departure
        buffer (``travel.DEPARTURE_BUFFER_MINUTES``)."""
        return sched.starts[-1] + self.req_dur[sched.events[-1]] + DEPARTURE_BUFFER_MINUTES

    def _eval_day(
        self,
        ti: int,
        d: int,
        events: list[int],
        *,
        lenient: bool = False,
        limits: Limits = ALL_RULES,
        no_flight: bool = False,
    ) -> _DaySchedule | None:
        """Day d's schedule with ``events`` in this order, or None if a rule breaks; with
        ``no_flight`` the team does not fly to the day's first venue from an earlier stop
        (it drives in stages or the day fails)."""
        self.work += _EVAL_WORK
        team = self.teams[ti]
        day = team.days[d]
        if not events:
            return _DaySchedule((), (), -1, None, 0)
        # A rest day takes no planned talk; one staff hold there (locked) keeps its day.
        rest = day.rest and not any(e in self.locked_start for e in events)
        if not lenient and ((limits.event_cap and len(events) > team.max_events) or rest):
            return None
        first: Incoming | None = None
        for option in self._incoming(ti, d, self.req_loc[events[0]], no_flight=no_flight):
            first = first or option
            found = self._eval_from(ti, d, events, option, lenient=False, limits=limits)
            if found is not None:
                return found
        if lenient and first is not None:
            return self._eval_from(ti, d, events, first, lenient=True, limits=limits)
        return None

    def _eval_from(
        self,
        ti: int,
        d: int,
        events: list[int],
        incoming: Incoming,
        *,
        lenient: bool,
        limits: Limits,
    ) -> _DaySchedule | None:
        """Day d's schedule when the team arrives as ``incoming`` says (see ``_incoming``)."""
        team = self.teams[ti]
        day = team.days[d]
        morning, travel_day, stages = incoming
        # Leaving the tour's start keeps the model's mode; between stops, the team's own.
        from_start = not stages and self._previous_busy(ti, d) is None
        loc = morning
        t = day.work[0]
        driving = 0
        starts: list[int] = []
        prev_end: int | None = None
        for ri in events:
            if from_start and not starts:
                leg = self.leg(loc, self.req_loc[ri])
            else:
                leg = self.hop(ti, loc, self.req_loc[ri])
            if self._needs_stages(ti, leg) and not lenient:
                return None  # a drive that takes days, with no days before this one to hold it
            driving += leg.driving_minutes
            ready = t if prev_end is None else prev_end
            if leg.minutes:
                hours = day.work
                if prev_end is not None:
                    ready += DEPARTURE_BUFFER_MINUTES  # nobody leaves the minute a talk ends
                else:  # the morning's leg may leave before the working day starts
                    hours = day.first_leg
                    ready = hours[0]
                depart = self._first_free([hours], leg.minutes, day.blocks, ready)
                if depart is None and not lenient:
                    return None
                ready = (depart if depart is not None else ready) + leg.minutes
            if prev_end is not None or leg.minutes:
                # The gap follows every arrival and every event: time to park, find the room,
                # set up, or to leave the last venue.
                ready += team.gap
            if ri in self.locked_start:
                start = self.locked_start[ri]
                if start < ready and not lenient:
                    return None
            else:
                intervals = self.windows.get((ri, ti, d))
                blocks = day.blocks
                if intervals and not lenient:
                    elsewhere = self._elsewhere_blocks(ti, d, self.req_loc[ri], limits)
                    if elsewhere:
                        blocks = blocks + elsewhere
                found = (
                    self._first_free(intervals, self.req_dur[ri], blocks, ready, START_STEP_MINUTES)
                    if intervals
                    else None
                )
                if found is None:
                    if not lenient:
                        return None
                    found = ready
                start = found
            starts.append(start)
            prev_end = start + self.req_dur[ri]
            loc = self.req_loc[ri]
        if driving > team.max_drive and not lenient:
            return None
        home_day = None
        if self._next_busy(ti, d) is None:
            leaves = (prev_end or day.work[0]) + DEPARTURE_BUFFER_MINUTES
            home = self._home_trip(ti, d, loc, leaves, driving)
            if home is None and not lenient:
                return None
            home_day = home[0] if home is not None else None
        return _DaySchedule(
            tuple(events), tuple(starts), morning, travel_day, driving, home_day, stages
        )

    def _home_trip(
        self, ti: int, d: int, here: int, free_from: int, driving: int
    ) -> tuple[int, int] | None:
        """(day index, departure) of the trip home after the team's last event, at ``here``
        from ``free_from`` on day d: that evening if it fits, else the first working day that
        holds the whole leg; for a drive too long for one day, the day of its last stage (see
        ``_home_stages``) and the first stage's opening hour; None if no day of the tour does."""
        team = self.teams[ti]
        leg = self.leg(here, team.home_loc)
        if leg.minutes == 0:
            return d, free_from
        day = team.days[d]
        if driving + leg.driving_minutes <= team.max_drive:
            depart = self._first_free([day.work], leg.minutes, day.blocks, free_from)
            if depart is not None:
                return d, depart
        if self._needs_stages(ti, leg):
            stages = self._home_stages(ti, d, here)
            # The day it is home: the last stage's (the hotel nights run until then).
            return None if stages is None else (stages[-1][0], team.days[stages[0][0]].work[0])
        for x in range(d + 1, len(team.days)):
            later = team.days[x]
            if later.rest:
                continue
            depart = self._first_free([later.work], leg.minutes, later.blocks, later.work[0])
            if depart is not None:
                return x, depart
        return None

    def _home_stages(self, ti: int, d: int, here: int) -> tuple[Stage, ...] | None:
        """A trip home too long for one day, in stages on the working days after day d."""
        team = self.teams[ti]
        leg = self.leg(here, team.home_loc)
        free = [x for x in range(d + 1, len(team.days)) if not team.days[x].rest]
        base = math.ceil(leg.driving_minutes / team.max_drive)
        for parts in (base, base + 1):
            cuts = [k / parts for k in range(1, parts)]
            points = [here, *self._stops(here, team.home_loc, cuts), team.home_loc]
            portions = list(zip(points, points[1:], strict=False))
            if not any(self._needs_stages(ti, self.leg(a, b)) for a, b in portions):
                return self._stage_days(ti, free, portions)
        return None

    def _next_busy(self, ti: int, d: int) -> int | None:
        days = self.plan[ti]
        for q in range(d + 1, len(days)):
            if days[q]:
                return q
        return None

    def _previous_busy(self, ti: int, d: int) -> int | None:
        days = self.plan[ti]
        for p in range(d - 1, -1, -1):
            if days[p]:
                return p
        return None

    def _flights_by_week(self, ti: int) -> dict[int, int]:
        """Flights of a team per tour-week, the first leg out and the trip home aside."""
        counts: dict[int, int] = {}
        previous = -1
        for d, events in enumerate(self.plan[ti]):
            for k, ri in enumerate(events):
                here = self.req_loc[ri]
                if previous >= 0:
                    flies = (
                        self.arrival(ti, previous, here, self.sched[ti][d])[2]
                        if k == 0
                        else self.hop(ti, previous, here).mode == "flight"
                    )
                    if flies:
                        counts[d // 7] = counts.get(d // 7, 0) + 1
                previous = here
        return counts

    def _over_flight_cap(self, ti: int, added: dict[int, int], limits: Limits = ALL_RULES) -> bool:
        cap = self.teams[ti].flight_cap
        if cap is None or not limits.flight_cap or all(n <= 0 for n in added.values()):
            return False
        counts = self._flights_by_week(ti)
        return any(n > 0 and counts.get(w, 0) + n > cap for w, n in added.items())

    def _insertion_effect(
        self, ti: int, ri: int, d: int, k: int, scheds: tuple, limits: Limits
    ) -> tuple[int, bool]:
        """What inserting ri at slot k of day d (with the new schedules ``scheds``) does to
        the team's plan as it will be written: the hotel nights it adds (split-drive stops,
        travel days, nights at home, the trip home; ``hotel_nights``) and whether a week then
        has more flights than the cap allows (a later day's schedule may switch between flying
        and driving in stages, so the legs next to the insertion do not tell it all)."""
        cap = self.teams[ti].flight_cap
        check_cap = cap is not None and limits.flight_cap
        before = self.hotel_nights(ti)
        flights_before = self._flights_by_week(ti) if check_cap else {}
        old_plan = self.plan[ti][d]
        old_scheds = [(day, self.sched[ti][day]) for day, _sched in scheds]
        self.plan[ti][d] = [*old_plan[:k], ri, *old_plan[k:]]
        for day, sched in scheds:
            self.sched[ti][day] = sched
        try:
            over = check_cap and any(
                n > cap and n > flights_before.get(week, 0)  # type: ignore[operator]
                for week, n in self._flights_by_week(ti).items()
            )
            return self.hotel_nights(ti) - before, over
        finally:
            self.plan[ti][d] = old_plan
            for day, sched in old_scheds:
                self.sched[ti][day] = sched

    def _refresh_team(self, ti: int) -> None:
        for d in range(len(self.teams[ti].days)):
            self.sched[ti][d] = self._eval_day(ti, d, self.plan[ti][d], lenient=True)

    def _try_insert(
        self, ri: int, ti: int, d: int, k: int, limits: Limits = ALL_RULES
    ) -> tuple[float, tuple] | None:
        """Travel cost increase and the new schedules if request ri fits at slot k of day d.

        When the way there or on is a flight in a week whose flight cap is used up, the team
        tries again driving those legs in stages (``_eval_day(no_flight=True)``)."""
        found = self._try_insert_with(ri, ti, d, k, limits, no_flight=False)
        if found == "over_cap":
            found = self._try_insert_with(ri, ti, d, k, limits, no_flight=True)
        return None if isinstance(found, str) else found

    def _try_insert_with(
        self, ri: int, ti: int, d: int, k: int, limits: Limits, *, no_flight: bool
    ) -> tuple[float, tuple] | str | None:
        events = self.plan[ti][d]
        new_events = [*events[:k], ri, *events[k:]]
        old = self.plan[ti][d]
        self.plan[ti][d] = new_events
        try:
            sched_d = self._eval_day(ti, d, new_events, limits=limits, no_flight=no_flight)
            if sched_d is None:
                return None
            later = self._reevaluate_following(
                ti, d, sched_d, k == len(events), limits, no_flight=no_flight
            )
            if later is None:
                return None
        finally:
            self.plan[ti][d] = old
        prev_loc, from_start, next_loc, next_day = self._neighbours(ti, d, k)
        here = self.req_loc[ri]
        to_end = next_day is None
        new_next = dict(later).get(next_day) if next_day is not None else None
        # The first leg out and the trip home keep the model's mode; between stops the team's,
        # and a leg between days as that day's schedule travels it (flown or in stages).
        if from_start:
            into = self._leg_price(ti, self.leg(prev_loc, here))
        elif k > 0:
            into = self._leg_price(ti, self.hop(ti, prev_loc, here))
        else:
            into = self.arrival(ti, prev_loc, here, sched_d)
        if to_end:
            out_of = self._leg_price(ti, self.leg(here, next_loc))
        elif k < len(events):
            out_of = self._leg_price(ti, self.hop(ti, here, next_loc))
        else:
            old_next = self.sched[ti][next_day]  # type: ignore[index]
            out_of = self.arrival(ti, here, next_loc, new_next or old_next)
        if from_start or to_end:
            skipped = self._leg_price(ti, self.leg(prev_loc, next_loc))
        elif k == len(events):
            old_next = self.sched[ti][next_day]  # type: ignore[index]
            skipped = self.arrival(ti, prev_loc, next_loc, old_next)
        elif k == 0:
            skipped = self.arrival(ti, prev_loc, next_loc, self.sched[ti][d])
        else:
            skipped = self._leg_price(ti, self.hop(ti, prev_loc, next_loc))
        added: dict[int, int] = {}
        if not from_start and into[2]:
            added[d // 7] = added.get(d // 7, 0) + 1
        if not to_end and out_of[2]:
            added[next_day // 7] = added.get(next_day // 7, 0) + 1  # type: ignore[operator]
        if not from_start and not to_end and skipped[2]:
            added[next_day // 7] = added.get(next_day // 7, 0) - 1  # type: ignore[operator]
        if self._over_flight_cap(ti, added, limits):
            return None if no_flight else "over_cap"
        costs = self.teams[ti].costs
        scheds = ((d, sched_d), *later)
        nights, over_cap = self._insertion_effect(ti, ri, d, k, scheds, limits)
        if over_cap:
            return None if no_flight else "over_cap"
        delta = into[0] + out_of[0] - skipped[0] + nights * costs.hotel_night_attendees
        return delta, scheds

    def _reevaluate_following(
        self,
        ti: int,
        d: int,
        sched_d: _DaySchedule,
        last_changed: bool,
        limits: Limits,
        *,
        no_flight: bool = False,
    ) -> list[tuple[int, _DaySchedule]] | None:
        """New schedules of the busy days after d that a new schedule of d changes: the next
        one if it now starts from a new place (``last_changed``), and each one that leaves on
        the evening of the day before it, in a chain. None if one of them no longer works."""
        out: list[tuple[int, _DaySchedule]] = []
        saved: list[tuple[int, _DaySchedule | None]] = []
        day, sched = d, sched_d
        try:
            while True:
                q = self._next_busy(ti, day)
                if q is None:
                    return out
                current = self.sched[ti][q]
                if not (last_changed or (current is not None and current.travel_day == day)):
                    return out
                saved.append((day, self.sched[ti][day]))
                self.sched[ti][day] = sched  # the next day's evening leg reads this one
                new_q = self._eval_day(ti, q, self.plan[ti][q], limits=limits, no_flight=no_flight)
                if new_q is None:
                    return None
                out.append((q, new_q))
                day, sched, last_changed = q, new_q, False
        finally:
            for day_index, old in reversed(saved):
                self.sched[ti][day_index] = old

    def _neighbours(self, ti: int, d: int, k: int) -> tuple[int, bool, int, int | None]:
        """Around slot k of day d: the place before (and whether it is the tour's start), the
        place after and its day index (None when it is the trip home)."""
        events = self.plan[ti][d]
        from_start = False
        if k > 0:
            prev_loc = self.req_loc[events[k - 1]]
        else:
            p = self._previous_busy(ti, d)
            from_start = p is None
            prev_loc = self.teams[ti].start_loc if p is None else self.req_loc[self.plan[ti][p][-1]]
        if k < len(events):
            return prev_loc, from_start, self.req_loc[events[k]], d
        q = self._next_busy(ti, d)
        if q is None:
            return prev_loc, from_start, self.teams[ti].home_loc, None
        return prev_loc, from_start, self.req_loc[self.plan[ti][q][0]], q

    def try_insert(self, ri: int, ti: int, d: int, k: int) -> Insertion | None:
        """Whether request ri (an index, see ``req_index``) fits at position k of team ti's
        day d under every rule, nothing else moving; the plan is left as it was."""
        found = self._try_insert(ri, ti, d, k)
        return None if found is None else Insertion(ri, ti, d, k, found[0], found[1])

    def insert(self, insertion: Insertion) -> None:
        """Apply what ``try_insert`` found (valid until the plan changes otherwise)."""
        self._insert(
            insertion.request,
            insertion.team,
            insertion.day,
            insertion.slot,
            insertion.schedules,
        )

    def _insert(self, ri: int, ti: int, d: int, k: int, scheds: tuple) -> None:
        self.plan[ti][d].insert(k, ri)
        for day, sched in scheds:
            self.sched[ti][day] = sched
        self.placed[ri] = (ti, d)

    def _remove(self, ri: int) -> list[int]:
        """Take ri out; returns every request removed (a neighbour may have to go too)."""
        ti, d = self.placed.pop(ri)
        self.plan[ti][d].remove(ri)
        self._dirty.update((ti, x) for x in range(max(0, d - 1), d + 2))
        removed = [ri]
        after = self._next_busy(ti, d)
        for day in (d, after):
            if day is not None:
                removed += self._settle(ti, day)
        if after is None and not self.plan[ti][d]:
            # The team's last day moved earlier: that day must now hold the trip home.
            before = self._previous_busy(ti, d)
            if before is not None:
                removed += self._settle(ti, before)
        removed += self._keep_flight_cap(ti)
        return removed

    def _keep_flight_cap(self, ti: int) -> list[int]:
        """Removing a stop can turn two drives into a flight; drop stops until the cap holds."""
        cap = self.teams[ti].flight_cap
        if cap is None:
            return []
        removed: list[int] = []
        while True:
            counts = self._flights_by_week(ti)
            over = next((w for w, n in sorted(counts.items()) if n > cap), None)
            if over is None:
                return removed
            movable = [
                ri
                for x in range(over * 7, min(len(self.plan[ti]), over * 7 + 7))
                for ri in self.plan[ti][x]
                if ri not in self.locked_start and ri in self.placed
            ]
            if not movable:
                return removed
            victim = min(movable, key=lambda e: (self.value[e], e))
            removed += self._remove(victim)

    def _settle(self, ti: int, d: int) -> list[int]:
        """Re-time day d after a change nearby; drop movable events until it is feasible again.

        Removing a visit almost never breaks the next day (legs obey the triangle inequality up
        to rounding), but the flight threshold and minute rounding can, so this stays exact.
        """
        removed: list[int] = []
        while True:
            sched = self._eval_day(ti, d, self.plan[ti][d])
            movable = [e for e in self.plan[ti][d] if e not in self.locked_start]
            if sched is not None or not movable:
                break
            victim = min(movable, key=lambda e: (self.value[e], e))
            removed += self._remove(victim)
        self.sched[ti][d] = sched or self._eval_day(ti, d, self.plan[ti][d], lenient=True)
        following = self._next_busy(ti, d)
        after = self.sched[ti][following] if following is not None else None
        if after is not None and following is not None and after.travel_day == d:
            removed += self._settle(ti, following)  # it leaves on this day's evening
        return removed

    def best_insertion(self, ri: int, only: set[tuple[int, int]] | None = None):
        """The cheapest place for request ri (cost, team, day, slot, schedules), only where the
        talk is worth more than getting there costs; None if there is none."""
        best = self.cheapest_insertion(ri, only)
        return best if best is not None and best[0] < self.value[ri] else None

    def cheapest_insertion(self, ri: int, only: set[tuple[int, int]] | None = None):
        """Where request ri is cheapest to reach (travel and hotel cost, attendees), even when
        that is more than it is worth; on the days ``only`` when given."""
        best = None
        for ti, d in self.candidates[ri]:
            if only is not None and (ti, d) not in only:
                continue
            for k in range(len(self.plan[ti][d]) + 1):
                found = self._try_insert(ri, ti, d, k)
                if found is not None and (best is None or found[0] < best[0]):
                    best = (found[0], ti, d, k, found[1])
        return best

    # -- SearchModel protocol -------------------------------------------------------------
    def objective(self) -> tuple[float, float]:
        """(net value, minus travel minutes): the talks' value less travel and hotel costs."""
        value = sum(self.value[ri] for ri in self.placed)
        cost = 0.0
        minutes = 0
        for ti, team in enumerate(self.teams):
            leg_cost = team.costs.leg_cost
            loc = team.start_loc
            busy = [d for d, events in enumerate(self.plan[ti]) if events]
            if not busy:
                continue
            leaving = True  # the first leg out keeps the model's mode (see hop)
            for d in busy:
                for k, ri in enumerate(self.plan[ti][d]):
                    if k == 0 and not leaving:
                        paid, took, _flies = self.arrival(
                            ti, loc, self.req_loc[ri], self.sched[ti][d]
                        )
                        cost += paid
                        minutes += took
                    else:
                        if leaving:
                            leg = self.leg(loc, self.req_loc[ri])
                        else:
                            leg = self.hop(ti, loc, self.req_loc[ri])
                        cost += leg_cost(leg.mode, leg.km, leg.minutes)
                        minutes += leg.minutes
                    leaving = False
                    loc = self.req_loc[ri]
            leg = self.leg(loc, team.home_loc)
            cost += leg_cost(leg.mode, leg.km, leg.minutes)
            minutes += leg.minutes
            cost += self.hotel_nights(ti) * team.costs.hotel_night_attendees
        return round(value - cost, 6), -float(minutes)

    def snapshot(self) -> object:
        return (
            tuple(tuple(tuple(day) for day in team) for team in self.plan),
            tuple(tuple(team) for team in self.sched),
        )

    def restore(self, snap: object) -> None:
        plan, sched = cast(tuple[Any, Any], snap)  # what snapshot() returned
        self.plan = [[list(day) for day in team] for team in plan]
        self.sched = [list(team) for team in sched]
        self.placed = {
            ri: (ti, d)
            for ti, team in enumerate(self.plan)
            for d, day in enumerate(team)
            for ri in day
        }
        self._dirty = set()

    def ruin(self, rng: random.Random, strength: int) -> None:
        movable = [ri for ri in self.placed if ri not in self.locked_start]
        if not movable:
            # Nothing to move: count the look, so the work budget (not the clock) ends the search.
            self.work += _EVAL_WORK * (1 + len(self.value))
            return
        count = 1 + strength
        # The same neighbourhoods as the TOPTW core (planner.neighbourhoods); a team's route
        # is its requests in the order of its days.
        kind = choose_ruin(rng, stretch_share=0.4, related_share=0.4)
        if kind == STRETCH:
            # Consecutive events of one team: reshuffles who goes where and when.
            ti = self.placed[rng.choice(movable)][0]
            route = [ri for day in self.plan[ti] for ri in day if ri not in self.locked_start]
            victims = stretch_removal(rng, route, 3 + 2 * strength)
        elif kind == RELATED:
            # Geographically related requests across all teams.
            victims = related_removal(
                rng,
                movable,
                lambda a, b: self.leg(self.req_loc[a], self.req_loc[b]).minutes,
                count,
            )
        else:
            victims = random_removal(rng, sorted(movable), count)
        ruined: set[int] = set()
        for ri in sorted(set(victims)):
            if ri in self.placed:
                ruined.update(self._remove(ri))
        self._ruined = ruined

    def recreate(self, rng: random.Random) -> None:
        dirty = self._dirty
        only = None
        if dirty:
            # After a ruin only days near the ruined ones changed; look for insertions there.
            only = {(ti, x) for ti, d in dirty for x in range(max(0, d - 2), d + 3)}
        pending = [
            ri
            for ri in range(len(self.value))
            if ri not in self.placed
            and self.candidates[ri]
            and (only is None or any(c in only for c in self.candidates[ri]))
        ]
        noise = rng.choice((0.0, 0.1, 0.3))
        # Value first, or value per minute of the day it uses: both orders feed the search.
        per_minute = rng.random() < 0.5
        keyed = sorted(
            pending,
            key=lambda ri: (
                -self.value[ri]
                / ((self.req_dur[ri] + 60) if per_minute else 1)
                * (1.0 + noise * (rng.random() - 0.5)),
                ri,
            ),
        )
        order = keyed
        if rng.random() < 0.5:
            # Requests just removed go last, so others get a chance at the freed time.
            order = [ri for ri in keyed if ri not in self._ruined] + [
                ri for ri in keyed if ri in self._ruined
            ]
        for ri in order:
            best = self.best_insertion(ri, only)
            if best is not None:
                _, ti, d, k, scheds = best
                self._insert(ri, ti, d, k, scheds)
                if only is not None:
                    only |= {(ti, x) for x in range(max(0, d - 2), d + 3)}
        self._dirty = set()
        self._ruined = set()

    def fill_gaps(self) -> None:
        """Insert, highest value first, every request that still fits for less than it is
        worth, so that no left-out request is called "not worth the trip" while it was."""
        for ri in sorted(range(len(self.value)), key=lambda r: (-self.value[r], r)):
            if ri in self.placed or not self.candidates[ri]:
                continue
            best = self.best_insertion(ri)
            if best is not None:
                _, ti, d, k, scheds = best
                self._insert(ri, ti, d, k, scheds)

    def insert_trips(self, *, deadline: float | None = None) -> int:
        """Trips that pay together: a request not worth the trip alone goes in with the left-out
        requests near it (within ``TRIP_RADIUS_MINUTES`` of travel) when together they are worth
        more than the trip costs (the whole plan's net value rises); else nothing changes.

        One-at-a-time insertion never finds such a trip (each talk alone costs more than it
        brings: three talks around Boston from New York), while a coordinator plans it first.
        Stops at ``deadline`` (``perf_counter`` seconds); returns how many requests it placed.
        """
        placed = 0
        left_out = sorted(
            (ri for ri in range(len(self.value)) if ri not in self.placed and self.candidates[ri]),
            key=lambda r: (-self.value[r], r),
        )
        # Only requests with a left-out neighbour can lead a trip: the rest are not tried.
        places = {ri: self.locations[self.req_loc[ri]] for ri in left_out}

        def close(a: int, b: int) -> bool:
            # Two degrees of latitude (about 220 km) rule most pairs out before a leg is asked.
            pa, pb = places[a], places[b]
            if abs(pa.lat - pb.lat) > 2.0 or abs(pa.lon - pb.lon) > 3.0:
                return False
            return self.leg(self.req_loc[a], self.req_loc[b]).minutes <= TRIP_RADIUS_MINUTES

        near = {ri: [s for s in left_out if s != ri and close(ri, s)] for ri in left_out}
        for ri in (r for r in left_out if near[r]):
            if deadline is not None and perf_counter() > deadline:
                break
            if ri in self.placed:
                continue
            partners = sorted(
                (s for s in near[ri] if s not in self.placed), key=lambda s: (-self.value[s], s)
            )[: TRIP_SIZE - 1]
            if not partners:
                continue
            before = self.objective()[0]
            snap = self.snapshot()
            lead = self.cheapest_insertion(ri)
            if lead is None:
                continue
            _, ti, d, k, scheds = lead
            self._insert(ri, ti, d, k, scheds)
            joined = [ri]
            for s in partners:
                best = self.best_insertion(s)
                if best is not None:
                    _, ti, d, k, scheds = best
                    self._insert(s, ti, d, k, scheds)
                    joined.append(s)
            if len(joined) > 1 and self.objective()[0] > before + 1e-6:
                placed += len(joined)
            else:
                self.restore(snap)
        return placed

    # -- answer ---------------------------------------------------------------------------------
    def at(self, minutes: int) -> datetime:
        return self.epoch + timedelta(minutes=minutes)

    def build_plan(
        self,
        *,
        seed: int,
        seconds: float,
        stopped_by: str,
        left_out: tuple[LeftOut, ...] | None = None,
    ) -> Plan:
        """The plan as it stands; ``left_out`` given skips explaining the requests left out."""
        team_plans = []
        total_km = 0.0
        total_drive = 0
        for ti in range(len(self.teams)):
            tp, km, drive = self._team_plan(ti)
            team_plans.append(tp)
            total_km += km
            total_drive += drive
        if left_out is None:
            left_out = tuple(
                self._reason(ri) for ri in range(len(self.value)) if ri not in self.placed
            )
        return Plan(
            teams=tuple(team_plans),
            left_out=left_out,
            total_value=round(sum(self.value[ri] for ri in self.placed), 6),
            total_km=round(total_km, 1),
            driving_minutes=total_drive,
            seed=seed,
            seconds=round(seconds, 3),
            stopped_by=stopped_by,
            total_cost=round(sum(tp.cost for tp in team_plans), 1),
        )

    def _travel_leg(self, a: int, b: int, depart: int) -> TravelLeg:
        leg = self.leg(a, b)
        return TravelLeg(
            origin=self._place(a),
            destination=self._place(b),
            depart=self.at(depart),
            arrive=self.at(depart + leg.minutes),
            km=leg.km,
            mode=leg.mode,
            driving_minutes=leg.driving_minutes,
        )

    def _travel_days(self, ti: int) -> tuple[dict[int, tuple[int, int]], tuple[int, int] | None]:
        """The legs driven or flown away from the busy days' own routes: {day index: (from,
        to)} for travel days, evening legs and the stages of split drives, and (day, departure)
        of a trip home on the evening of the last busy day, if it goes then."""
        team = self.teams[ti]
        travel_days: dict[int, tuple[int, int]] = {}
        for d in range(len(team.days)):
            sched = self.sched[ti][d]
            if sched is not None and sched.events and sched.stages:
                for x, a, b in sched.stages:
                    travel_days[x] = (a, b)
            elif sched is not None and sched.events and sched.travel_day is not None:
                p = d - 1
                while p >= 0 and not self.plan[ti][p]:
                    p -= 1
                origin = self.req_loc[self.plan[ti][p][-1]] if p >= 0 else team.start_loc
                travel_days[sched.travel_day] = (origin, sched.morning_loc)
        # The trip home: the evening of the last busy day, or a later day on its own.
        last = self._previous_busy(ti, len(team.days))
        home_same_day: tuple[int, int] | None = None
        if last is not None:
            final = self.sched[ti][last]
            assert final is not None
            here = self.req_loc[final.events[-1]]
            trip = self._home_trip(ti, last, here, self._leaves_after(final), final.driving)
            if trip is not None and self.leg(here, team.home_loc).minutes:
                if trip[0] == last:
                    home_same_day = (last, trip[1])
                elif self._needs_stages(ti, self.leg(here, team.home_loc)):
                    for x, a, b in self._home_stages(ti, last, here) or ():
                        travel_days[x] = (a, b)
                else:
                    travel_days[trip[0]] = (here, team.home_loc)
        return travel_days, home_same_day

    def _overnights(self, ti: int) -> list[int]:
        """Where the team sleeps after each day of the tour, as ``_team_plan`` writes it."""
        team = self.teams[ti]
        travel_days, home_same_day = self._travel_days(ti)
        loc = team.start_loc
        out = []
        for d in range(len(team.days)):
            events = self.plan[ti][d]
            if events:
                loc = self.req_loc[events[-1]]
                if home_same_day is not None and home_same_day[0] == d:
                    loc = team.home_loc
                elif d in travel_days:
                    loc = travel_days[d][1]
            elif d in travel_days:
                loc = travel_days[d][1]
            out.append(loc)
        return out

    def hotel_nights(self, ti: int) -> int:
        """Nights the team sleeps away from home (``travel.sleeps_at_home``)."""
        return sum(not self._at_home(ti, loc) for loc in self._overnights(ti))

    def _team_plan(self, ti: int) -> tuple[TeamPlan, float, int]:
        team = self.teams[ti]
        loc = team.start_loc
        days_out: list[DayPlan] = []
        travel_days, home_same_day = self._travel_days(ti)
        km = 0.0
        drive = 0
        for d, day in enumerate(team.days):
            sched = self.sched[ti][d]
            start_loc = loc
            events: list[PlannedEvent] = []
            legs: list[TravelLeg] = []
            busy = sched is not None and bool(sched.events)
            if d in travel_days and not busy:
                a, b = travel_days[d]
                minutes = self.leg(a, b).minutes
                # A day of travel only: leave late enough to arrive as the working day ends
                # (nobody spends a whole day waiting in a hotel for tomorrow's talk), else at
                # the first hour a fellow's unavailability leaves free.
                late = day.work[1] - minutes
                depart = self._first_free([(late, day.work[1])], minutes, day.blocks, late)
                if depart is None:
                    depart = self._first_free([day.work], minutes, day.blocks, day.work[0])
                assert depart is not None
                legs.append(self._travel_leg(a, b, depart))
                loc = b
            elif sched is not None and sched.events:
                prev_end = day.first_leg[0]  # the morning's leg may leave before work starts
                for ri, start in zip(sched.events, sched.starts, strict=True):
                    here = self.req_loc[ri]
                    leg = self.leg(loc, here)
                    if leg.minutes:
                        # The departure buffer after a talk of this day.
                        earliest = prev_end + (DEPARTURE_BUFFER_MINUTES if events else 0)
                        gap = team.gap
                        # Leave as late as the event allows, so nobody waits hours at a venue.
                        late = start - gap - leg.minutes
                        depart = (
                            self._first_free(
                                [(late, late + leg.minutes)], leg.minutes, day.blocks, late
                            )
                            if late >= earliest
                            else None
                        )
                        if depart is None:
                            hours = day.work if events else day.first_leg
                            depart = self._first_free([hours], leg.minutes, day.blocks, earliest)
                            depart = earliest if depart is None else depart
                        legs.append(self._travel_leg(loc, here, depart))
                    events.append(
                        PlannedEvent(
                            request_id=self.problem.requests[ri].id,
                            start=self.at(start),
                            end=self.at(start + self.req_dur[ri]),
                            location=self.locations[here],
                            value=self.value[ri],
                            locked=ri in self.locked_start,
                        )
                    )
                    prev_end = start + self.req_dur[ri]
                    loc = here
                if home_same_day is not None and home_same_day[0] == d:
                    legs.append(self._travel_leg(loc, team.home_loc, home_same_day[1]))
                    loc = team.home_loc
                elif d in travel_days:
                    # Travel on the evening after the day's last event.
                    a, b = travel_days[d]
                    depart = self._first_free(
                        [day.work],
                        self.leg(a, b).minutes,
                        day.blocks,
                        prev_end + DEPARTURE_BUFFER_MINUTES,
                    )
                    assert depart is not None
                    legs.append(self._travel_leg(a, b, depart))
                    loc = b
            km += sum(leg.km for leg in legs)
            drive += sum(leg.driving_minutes for leg in legs)
            days_out.append(
                DayPlan(
                    day=day.day,
                    rest=day.rest,
                    start_location=self._place(start_loc),
                    overnight_location=self._place(loc),
                    events=tuple(events),
                    legs=tuple(legs),
                )
            )
        return self._priced(ti, tuple(days_out)), km, drive

    def _priced(self, ti: int, days: tuple[DayPlan, ...]) -> TeamPlan:
        """The team's days with what they are worth and cost, from the legs actually planned."""
        team = self.problem.teams[ti]
        costs = team.costs
        value = 0.0
        audience = 0
        driving_cost = flight_cost = km_driven = km_flown = 0.0
        flights = hotel_nights = 0
        for day in days:
            for ev in day.events:
                value += ev.value
                audience += self.problem.requests[self.req_index[ev.request_id]].expected_audience
            for leg in day.legs:
                minutes = int((leg.arrive - leg.depart).total_seconds() // 60)
                cost = costs.leg_cost(leg.mode, leg.km, minutes)
                if leg.mode == "flight":
                    flights += 1
                    flight_cost += cost
                    km_flown += leg.km
                else:
                    driving_cost += cost
                    km_driven += leg.km
            if not sleeps_at_home(day.overnight_location, team.start_location, team.home):
                hotel_nights += 1
        return TeamPlan(
            team_id=team.id,
            days=days,
            value=round(value, 1),
            audience=audience,
            driving_cost=round(driving_cost, 1),
            flight_cost=round(flight_cost, 1),
            hotel_cost=round(hotel_nights * costs.hotel_night_attendees, 1),
            km_driven=round(km_driven, 1),
            km_flown=round(km_flown, 1),
            flights=flights,
            hotel_nights=hotel_nights,
        )

    # -- questions the reasons ask (reasons.py) -------------------------------------------
    def insertions(
        self,
        ri: int,
        days: Iterable[tuple[int, int]] | None = None,
        *,
        event_cap: bool = True,
        flight_cap: bool = True,
        elsewhere: bool = True,
    ) -> list[tuple[float, int, int]]:
        """(cheapest extra cost, team, day) for each team-day where ri fits into the plan as it
        stands, under the rules asked for (each flag False lifts that rule)."""
        limits = Limits(event_cap=event_cap, flight_cap=flight_cap, elsewhere=elsewhere)
        out = []
        for ti, d in self.candidates[ri] if days is None else days:
            costs = [
                found[0]
                for k in range(len(self.plan[ti][d]) + 1)
                if (found := self._try_insert(ri, ti, d, k, limits)) is not None
            ]
            if costs:
                out.append((min(costs), ti, d))
        return out

    def fits_on_emptied_day(self, ri: int, ti: int, d: int) -> bool:
        """Whether ri fits on day d with that day's movable events taken out."""
        events = self.plan[ti][d]
        self.plan[ti][d] = [e for e in events if e in self.locked_start]
        try:
            return bool(self.insertions(ri, [(ti, d)]))
        finally:
            self.plan[ti][d] = events

    def fits_team_alone(self, ri: int, ti: int, d: int) -> bool:
        """Whether ri fits on day d if team ti had only its locked events."""
        saved = self.plan[ti]
        self.plan[ti] = [[e for e in events if e in self.locked_start] for events in saved]
        try:
            return bool(self.insertions(ri, [(ti, d)]))
        finally:
            self.plan[ti] = saved

    def _reason(self, ri: int) -> LeftOut:
        return explain(self, ri)


def _zoned(location: Location, zone: str) -> Location:
    """The location with its time zone, so plans say what time it is where the team is."""
    return location if location.timezone else replace(location, timezone=zone)


def _same_place(a: Location, b: Location) -> bool:
    return round(a.lat, 6) == round(b.lat, 6) and round(a.lon, 6) == round(b.lon, 6)


def plan_tour(
    problem: Problem,
    *,
    seconds: float = 10.0,
    seed: int = 0,
    travel: TravelModel | None = None,
    work_units: int | None = None,
) -> Plan:
    """Plan every team's days: maximise net value (talks' value less the cost of travel and
    hotel nights, ``Team.costs``), under every hard rule and each tour's flight cap.

    The whole call keeps to ``seconds`` of wall clock: the search runs until what is left
    after the set-up, less what the answer (reasons, legs) takes to build, or until it has
    stopped finding better plans (``Plan.stopped_by == "converged"``, see
    ``search.stalled_after``): a tour of a dozen requests is answered in well under a second.
    With ``work_units`` it stops after that much counted work instead, and the same problem,
    seed and budget give the same plan (see ``search.Budget``).
    """
    started = perf_counter()
    check_problem(problem)
    model = TourModel(problem, travel or TravelModel())
    left = seconds - (perf_counter() - started)
    # Explaining each left-out request re-tries it on its days: about 2 ms a request here.
    answer = min(left / 2, max(0.05 * seconds, ANSWER_SECONDS_PER_REQUEST * len(problem.requests)))
    # Trips that pay only together are looked for after the search, in time taken from it.
    trips = TRIP_SHARE_OF_TIME * seconds
    stats = iterated_ruin_recreate(
        model,
        rng=random.Random(seed),
        budget=Budget(wall_seconds=max(0.0, left - answer - trips), work_units=work_units),
        stop_when_stalled=True,
    )
    model.fill_gaps()
    if model.insert_trips(deadline=perf_counter() + trips if work_units is None else None):
        model.fill_gaps()
    return model.build_plan(seed=seed, seconds=stats.seconds, stopped_by=stats.stopped_by)
