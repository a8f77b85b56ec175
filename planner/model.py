"""Input and output dataclasses of the tour planner.

Owns the planner's vocabulary and nothing else: no search, no feasibility rules. A Django
service builds a ``Problem`` from a Tour, its team members, their Unavailability rows and the
SpeakerRequests with their RequestWindows, calls ``plan_tour`` and turns the ``Plan`` into
Events and ItineraryItems. All datetimes in the output are aware and in UTC; request windows
are local wall-clock times in the request's IANA zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    label: str = ""  # what people read: a city ("Naperville, IL"), never a private address
    timezone: str = ""  # the IANA zone of the place, when known (for times people read there)


@dataclass(frozen=True)
class RoadStop:
    """A night's stop on a long drive with no known place near it, named by the road: "a stop
    530 km from Denver, CO towards Chicago, IL". ``label`` is what the planner writes (English,
    as every name it makes); ``parse`` reads it back, so a product can say it in its reader's
    language."""

    km: int
    origin: str
    towards: str

    @property
    def label(self) -> str:
        return f"a stop {self.km} km from {self.origin} towards {self.towards}"

    @classmethod
    def parse(cls, label: str) -> RoadStop | None:
        """The stop a ``label`` names, or None for any other place name."""
        if not label.startswith("a stop ") or " km from " not in label:
            return None
        km, _sep, rest = label.removeprefix("a stop ").partition(" km from ")
        origin, sep, towards = rest.rpartition(" towards ")
        if not km.isdigit() or not sep or not origin or not towards:
            return None
        return cls(int(km), origin, towards)


@dataclass(frozen=True)
class Unavailability:
    """A fellow's blackout, aware datetimes; the reason stays private and out of the planner."""

    fellow_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CostModel:
    """What getting somewhere costs, in the planner's one currency: attendees.

    A talk is worth its expected audience times its priority weight; a leg, a flight or a hotel
    night is worth as many attendees as staff would give up to avoid it. The defaults (chosen
    and explained in docs/planning.md) say: one flight is worth 150 attendees, an hour on the
    road or in an airport 10, a hotel night 15.
    """

    flight_attendees: float = 150.0  # fixed, per flight
    flight_attendees_per_1000_km: float = 25.0
    travel_hour_attendees: float = 10.0  # driving, or a flight door to door with airport time
    driving_attendees_per_100_km: float = 5.0  # fuel, wear, rental
    hotel_night_attendees: float = 15.0

    def leg_cost(self, mode: str, km: float, minutes: int) -> float:
        """Attendees a leg costs: its hours, plus its km; a flight also its fixed price."""
        if mode == "none":
            return 0.0
        hours = minutes / 60 * self.travel_hour_attendees
        if mode == "flight":
            return self.flight_attendees + km / 1000 * self.flight_attendees_per_1000_km + hours
        return km / 100 * self.driving_attendees_per_100_km + hours


@dataclass(frozen=True)
class Commitment:
    """Somewhere a fellow already has to be, outside this problem: an event of another tour or
    proposal, tentative or confirmed. The team keeps travel time plus its minimum gap clear of
    it, as between two of its own events. Only the place and time enter the planner."""

    fellow_id: str
    start: datetime
    end: datetime
    location: Location | None = None  # None: a time block only (no place known)


@dataclass(frozen=True)
class Team:
    """Fellows who travel together for one tour, with the tour's rules.

    Days, working hours and rest weekdays are read in ``timezone`` (the tour's home zone), so
    "a day" means the same thing wherever the team is that day.
    """

    id: str
    fellow_ids: tuple[str, ...]
    start_location: Location
    first_day: date
    last_day: date
    timezone: str
    work_start: time = time(8, 0)
    work_end: time = time(21, 0)
    # The earliest the team leaves in the morning for the day's first talk, so that a talk at
    # 9:00 an hour away is reached that morning instead of the evening before; talks keep to
    # the working hours. None: at work_start.
    earliest_departure: time | None = None
    max_events_per_day: int = 3
    min_gap_minutes: int = 30
    rest_weekdays: frozenset[int] = frozenset({6})  # Monday is 0, as in date.weekday()
    max_driving_minutes_per_day: int = 360
    unavailability: tuple[Unavailability, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    end_location: Location | None = None  # where the team ends the tour; None: back at start
    costs: CostModel = field(default_factory=CostModel)
    # Hard cap per tour-week (7 days from first_day); the first leg out and the trip home are
    # not counted. None: no cap.
    max_flights_per_week: int | None = 1
    # The region: requests in one of these states (two-letter codes) and within this distance
    # of the start (great circle); an empty set or None leaves that side open.
    region_states: frozenset[str] = frozenset()
    region_radius_km: float | None = None

    @property
    def leaves_from(self) -> time:
        """The earliest time of day the day's first leg may leave (``earliest_departure``)."""
        return min(self.earliest_departure or self.work_start, self.work_start)

    @property
    def home(self) -> Location:
        """Where the team must be at the end of the tour."""
        return self.end_location or self.start_location

    @property
    def has_region(self) -> bool:
        return bool(self.region_states) or self.region_radius_km is not None


@dataclass(frozen=True)
class RequestWindow:
    """Any day from first_date to last_date, between earliest_start and latest_end local time."""

    first_date: date
    last_date: date
    earliest_start: time
    latest_end: time


@dataclass(frozen=True)
class Request:
    id: str
    location: Location
    timezone: str
    duration_minutes: int
    windows: tuple[RequestWindow, ...]
    expected_audience: int = 0
    priority: str = "normal"
    label: str = ""
    state: str = ""  # two-letter code, for tours limited to some states
    city: str = ""  # the place people read ("Naperville, IL"), as opposed to the venue label


@dataclass(frozen=True)
class LockedEvent:
    """An event already agreed: it stays on this team at this start whatever the planner finds."""

    request_id: str
    team_id: str
    start: datetime


@dataclass(frozen=True)
class ValueWeights:
    """A request's value is expected audience times the weight of its priority."""

    priority: dict[str, float] = field(
        default_factory=lambda: {"low": 0.5, "normal": 1.0, "high": 2.0, "critical": 4.0}
    )
    minimum_audience: int = 1  # so that a request with an unknown audience still counts a little

    def value(self, request: Request) -> float:
        weight = self.priority.get(request.priority, 1.0)
        return max(request.expected_audience, self.minimum_audience) * weight


@dataclass(frozen=True)
class Problem:
    teams: tuple[Team, ...]
    requests: tuple[Request, ...]
    locked: tuple[LockedEvent, ...] = ()
    weights: ValueWeights = field(default_factory=ValueWeights)


# -- output ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedEvent:
    request_id: str
    start: datetime
    end: datetime
    location: Location
    value: float
    locked: bool = False


@dataclass(frozen=True)
class TravelLeg:
    origin: Location
    destination: Location
    depart: datetime
    arrive: datetime
    km: float
    mode: str  # "drive" or "flight"
    driving_minutes: int


@dataclass(frozen=True)
class DayPlan:
    day: date
    rest: bool
    start_location: Location
    overnight_location: Location
    events: tuple[PlannedEvent, ...] = ()
    legs: tuple[TravelLeg, ...] = ()


@dataclass(frozen=True)
class TeamPlan:
    """A team's days and what they are worth: value of the talks against the cost of travel and
    hotel nights, all in attendees (``Team.costs``)."""

    team_id: str
    days: tuple[DayPlan, ...]
    value: float = 0.0
    audience: int = 0
    driving_cost: float = 0.0
    flight_cost: float = 0.0
    hotel_cost: float = 0.0
    km_driven: float = 0.0
    km_flown: float = 0.0
    flights: int = 0
    hotel_nights: int = 0

    @property
    def cost(self) -> float:
        return self.driving_cost + self.flight_cost + self.hotel_cost

    @property
    def net_value(self) -> float:
        return self.value - self.cost


REASONS: dict[str, str] = {
    "outside_region": "outside the tour's region",
    "no_window_in_tour": "none of the request's windows falls inside the tour's days and hours",
    "blackout": "every day that could work is blocked by a fellow's unavailability",
    "fellow_elsewhere": "a fellow is booked elsewhere (another team or tour) at every time "
    "that could work",
    "too_far": "too far to reach and return to the route in the time available",
    "day_capacity": "every day that could work already has the maximum number of events",
    "flight_cap": "reaching it needs more flights that week than the tour allows",
    "not_worth_trip": "it fits, but getting there costs more than the talk is worth",
    "lower_value": "lost to higher-value requests competing for the same days",
}


@dataclass(frozen=True)
class LeftOut:
    request_id: str
    reason: str  # one of REASONS
    message: str


@dataclass(frozen=True)
class Plan:
    teams: tuple[TeamPlan, ...]
    left_out: tuple[LeftOut, ...]
    total_value: float
    total_km: float
    driving_minutes: int
    seed: int
    seconds: float
    stopped_by: str  # "time", "budget" (work units) or "converged" (search.iterated_ruin_recreate)
    total_cost: float = 0.0

    @property
    def net_value(self) -> float:
        return self.total_value - self.total_cost
