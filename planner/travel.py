"""The travel-time model: the one place that says how long it takes to get from A to B.

Great-circle distance times a road factor, driven at an average speed; past a threshold
distance the team flies instead (a fixed overhead for airports plus cruise time). The planner,
the verifier and the Django side all ask this module, so the numbers can never disagree.

Nothing here is memoised per process: each planner run remembers the legs between its own
places and drops them with the run (``TourModel`` keeps them by place index; the verifier
asks a ``TravelCache`` of its own), so a web or worker process keeps no table that grows with
every tour it ever planned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from planner.model import Location, Request, Team

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(a: Location, b: Location) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def in_region(team: Team, request: Request) -> bool:
    """Whether a request lies in the team's region (any state / any distance when unset)."""
    return within_region(
        states=team.region_states,
        radius_km=team.region_radius_km,
        start=team.start_location,
        state=request.state,
        place=request.location,
    )


def within_region(
    *,
    states: Iterable[str],
    radius_km: float | None,
    start: Location | None,
    state: str,
    place: Location | None,
) -> bool:
    """The region rule (one home, for the planner and the booking warnings): the place's state
    among `states` (upper-case postal codes; empty: any) and, with a radius, within
    `radius_km` great-circle km of `start`. What is not known is not held against a place:
    a place without a state passes the states (it is judged by the radius alone), an unknown
    place or start passes the radius."""
    wanted = {code.upper() for code in states}
    if wanted and state and state.upper() not in wanted:
        return False
    if radius_km is not None and start is not None and place is not None:
        return great_circle_km(start, place) <= radius_km
    return True


# A team that ends its day this close to the tour's start or end (great circle) sleeps at home:
# no hotel night, no overnight item. The drive home and back is not planned as a leg.
HOME_RADIUS_KM = 80.0
# A leg leaves at least this long after the talk before it ends: time to pack up, say goodbye
# and reach the car. The planner keeps it and the verifier checks it (``departure_buffer``).
DEPARTURE_BUFFER_MINUTES = 15


def sleeps_at_home(place: Location, *homes: Location) -> bool:
    """Whether a night at ``place`` is a night at home: within ``HOME_RADIUS_KM`` of one of
    ``homes`` (the tour's start and end). One rule for the planner's hotel nights, the
    verifier and the itinerary the board writes."""
    return any(great_circle_km(place, home) <= HOME_RADIUS_KM for home in homes)


@dataclass(frozen=True)
class Leg:
    minutes: int
    km: float
    mode: str  # "drive", "flight" or "none" when both ends are the same place
    driving_minutes: int


@dataclass(frozen=True)
class TravelModel:
    road_factor: float = 1.3
    drive_kmh: float = 80.0
    flight_threshold_km: float = 500.0  # great-circle; beyond this the team flies
    flight_overhead_minutes: int = 180  # to the airport, security, boarding, rental car
    flight_kmh: float = 700.0
    flight_ground_driving_minutes: int = 60  # airport drives, counted against the driving limit

    def leg(self, a: Location, b: Location) -> Leg:
        """The leg from ``a`` to ``b`` (computed afresh; a run memoises with ``TravelCache``)."""
        return _leg(self, round(a.lat, 6), round(a.lon, 6), round(b.lat, 6), round(b.lon, 6))

    def overland(self, a: Location, b: Location) -> Leg:
        """The drive from ``a`` to ``b`` whatever the distance (mode "drive", or "none").

        What a team that does not fly faces between two far stops. Past the flight threshold
        it is not one leg of this model: the planner drives it in stages along the great
        circle (``waypoints``), each stage an ordinary drive leg of ``leg``.
        """
        gc = great_circle_km(a, b)
        if gc < 0.05:
            return Leg(minutes=0, km=0.0, mode="none", driving_minutes=0)
        road = gc * self.road_factor
        minutes = math.ceil(road / self.drive_kmh * 60)
        return Leg(minutes=minutes, km=round(road, 1), mode="drive", driving_minutes=minutes)


def between_stops(model: TravelModel, a: Location, b: Location, *, flies: bool) -> Leg:
    """The leg between two stops of a tour (not its first leg out or trip home, which keep
    the model's mode): the model's, or for a tour that never flies (a flight cap of 0) the
    drive, in stages where longer than a day. One rule for the planner and the board."""
    leg = model.leg(a, b)
    return leg if flies or leg.mode != "flight" else model.overland(a, b)


class TravelCache:
    """The legs one planner run (or one verification) has asked for, keyed by the two places.

    Bounded by the run: it holds at most (places in the problem)² legs and is dropped with the
    run, so no process-wide table grows with every tour planned in a long-lived worker.
    """

    def __init__(self, model: TravelModel | None = None) -> None:
        self.model = model or TravelModel()
        self._legs: dict[tuple[float, float, float, float], Leg] = {}

    def __len__(self) -> int:
        return len(self._legs)

    def leg(self, a: Location, b: Location) -> Leg:
        key = (round(a.lat, 6), round(a.lon, 6), round(b.lat, 6), round(b.lon, 6))
        found = self._legs.get(key)
        if found is None:
            found = self._legs[key] = _leg(self.model, *key)
        return found


def _leg(model: TravelModel, lat1: float, lon1: float, lat2: float, lon2: float) -> Leg:
    gc = great_circle_km(Location(lat1, lon1), Location(lat2, lon2))
    if gc < 0.05:
        return Leg(minutes=0, km=0.0, mode="none", driving_minutes=0)
    if gc > model.flight_threshold_km:
        minutes = model.flight_overhead_minutes + math.ceil(gc / model.flight_kmh * 60)
        return Leg(
            minutes=minutes,
            km=round(gc, 1),
            mode="flight",
            driving_minutes=model.flight_ground_driving_minutes,
        )
    road = gc * model.road_factor
    minutes = math.ceil(road / model.drive_kmh * 60)
    return Leg(minutes=minutes, km=round(road, 1), mode="drive", driving_minutes=minutes)


def waypoint(a: Location, b: Location, fraction: float) -> Location:
    """The point ``fraction`` (0 to 1) of the way from ``a`` to ``b`` on the great circle.

    Coordinates only (no label, no zone): the caller names it. Where a split drive stops for
    the night; the road is assumed to follow the straight line, as the travel model does.
    """
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    angle = great_circle_km(a, b) / EARTH_RADIUS_KM
    if angle < 1e-9:
        return Location(a.lat, a.lon)
    wa = math.sin((1 - fraction) * angle) / math.sin(angle)
    wb = math.sin(fraction * angle) / math.sin(angle)
    x = wa * math.cos(lat1) * math.cos(lon1) + wb * math.cos(lat2) * math.cos(lon2)
    y = wa * math.cos(lat1) * math.sin(lon1) + wb * math.cos(lat2) * math.sin(lon2)
    z = wa * math.sin(lat1) + wb * math.sin(lat2)
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    lon = math.degrees(math.atan2(y, x))
    return Location(round(lat, 6), round(lon, 6))


DEFAULT_MODEL = TravelModel()


def travel_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Minutes from one point to another under the default model (used by events.rules)."""
    return DEFAULT_MODEL.leg(Location(lat1, lon1), Location(lat2, lon2)).minutes
