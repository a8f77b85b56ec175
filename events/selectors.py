"""Reads for speaker requests: the host's private link, what the host may see, and staff's
filtered lists (including distance from a point), and the staff board's reads: a tour's
day-by-day timeline, its route map and totals, the request queue, and impact per season; and
which events are due a message (a proposal or host reminder, a fellow's day sheet, an
attendance request) or hold a host's live invite.

Nothing here writes. Host-facing reads return only what that host's request needs; a fellow
appears by display name only, never by legal name or contact details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.tokens import derived_token, hash_token
from events import board_map
from events.models import (
    ACTIVE_STATUSES,
    AGREED_STATUSES,
    LIVE_STATUSES,
    OPEN_REQUEST_STATUSES,
    Event,
    PlanningRun,
    RequestWindow,
    SpeakerRequest,
)
from fellows.models import Fellow, ItineraryItem, Tour, TourMember
from notifications.invites import REQUEST
from notifications.models import Notification
from planner.jsonio import problem_from_json
from planner.model import Location, Plan, Team
from planner.reasons import WEEKDAY_NAMES, days_text, describe_region
from planner.travel import DEFAULT_MODEL, EARTH_RADIUS_KM, between_stops

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class Progress(TypedDict):
    progress: str  # a Tour.Status value, derived (with_progress)


class MeetsWindows(TypedDict):
    meets_windows: bool


HOST_LINK_LIFETIME = dt.timedelta(days=90)
# Statuses after which the host's link counts down from the status change.
CLOSED_STATUSES = (SpeakerRequest.Status.DECLINED, SpeakerRequest.Status.WITHDRAWN)


def host_event(*, speaker_request: SpeakerRequest) -> Event | None:
    """The event booked for the request (the latest one that is not cancelled), if any."""
    return (
        Event.objects.filter(request=speaker_request, status__in=ACTIVE_STATUSES)
        .prefetch_related("fellows")
        .order_by("-starts_at")
        .first()
    )


HOST_LINK_PURPOSE = "host-link"


def host_url(*, speaker_request: SpeakerRequest) -> str | None:
    """The host's private link, written again for a later message; None when it cannot be.

    Links are derived from the request's salt and SECRET_KEY (common.tokens.derived_token);
    requests of the first release (random links, no salt), revoked links and links made under
    another SECRET_KEY give None, and the message then points to the first email instead.
    """
    if not speaker_request.host_link_salt or speaker_request.host_token_revoked:
        return None
    token = derived_token(purpose=HOST_LINK_PURPOSE, salt=speaker_request.host_link_salt)
    if hash_token(token) != speaker_request.host_token_hash:
        return None
    return settings.SITE_URL + reverse("events:host-request", args=[token])


def proposals_due_reminder(*, now: dt.datetime, days: int) -> QuerySet[Event]:
    """Tentative events whose host was asked about the time `days` ago, has not answered and
    was not reminded yet."""
    asked_before = now - dt.timedelta(days=days)
    reminded = Notification.objects.filter(
        kind=Notification.Kind.PROPOSAL_REMINDER, event_id__isnull=False
    )
    return (
        Event.objects.exclude(pk__in=reminded.values("event_id"))
        .filter(
            status=Event.Status.TENTATIVE,
            host_answer="",
            request__status=SpeakerRequest.Status.PROPOSED,
            starts_at__gt=now,
            notifications__kind=Notification.Kind.PROPOSAL,
            notifications__created_at__lte=asked_before,
        )
        .select_related("request", "request__organization")
        .distinct()
    )


# Hosts report attendance within this many days of the event; older events are not asked.
ATTENDANCE_LOOKBACK = dt.timedelta(days=14)


def events_with_live_invite(*, speaker_request, email: str) -> list[Event]:
    """The request's events, locked, that sit in `email`'s calendar: not cancelled or over,
    and the latest invite sent to that address for them is a REQUEST, not a CANCEL."""
    events = (
        Event.objects.select_for_update()
        .filter(request=speaker_request, status__in=LIVE_STATUSES)
        .order_by("starts_at")
    )
    live = []
    for event in events:
        latest = (
            Notification.objects.filter(event=event, recipient_email__iexact=email)
            .exclude(ics_method="")
            .order_by("-pk")
            .values_list("ics_method", flat=True)
            .first()
        )
        if latest == REQUEST:
            live.append(event)
    return live


def events_awaiting_host_answer(*, speaker_request) -> QuerySet[Event]:
    """The request's tentative events whose proposed time was put to the host (a PROPOSAL
    message exists) and that the host has not answered yet."""
    return (
        Event.objects.filter(request=speaker_request, status=Event.Status.TENTATIVE, host_answer="")
        .filter(notifications__kind=Notification.Kind.PROPOSAL)
        .distinct()
        .order_by("starts_at")
    )


def events_due_host_reminder(*, now: dt.datetime, days_before: int) -> QuerySet[Event]:
    """Confirmed events with a host that start within the next `days_before` days."""
    return Event.objects.filter(
        status=Event.Status.CONFIRMED,
        request__isnull=False,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=days_before),
    ).select_related("request", "request__organization")


def events_due_day_sheet(*, now: dt.datetime) -> list[Event]:
    """Confirmed events starting tomorrow in their venue's own time zone."""
    # Any venue's "tomorrow" lies within the next 14–50 hours of UTC, so a coarse window in SQL
    # followed by the exact local-date test keeps the scan small.
    candidates = Event.objects.filter(
        status=Event.Status.CONFIRMED,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=50),
    ).prefetch_related("fellows")
    due = []
    for event in candidates:
        zone = ZoneInfo(event.timezone)
        tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
        if event.starts_at.astimezone(zone).date() == tomorrow:
            due.append(event)
    return due


def fellow_events_on(*, fellow, day: dt.date, zone_name: str) -> list[Event]:
    """The fellow's confirmed events on one local day, in order."""
    zone = ZoneInfo(zone_name)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return list(
        Event.objects.filter(
            fellows=fellow,
            status=Event.Status.CONFIRMED,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .prefetch_related("fellows")
        .order_by("starts_at")
    )


def events_due_attendance_request(*, now: dt.datetime) -> QuerySet[Event]:
    """Events that took place recently whose host has not reported attendance yet."""
    return Event.objects.filter(
        status__in=AGREED_STATUSES,
        request__isnull=False,
        request__attendance_count__isnull=True,
        ends_at__lte=now,
        ends_at__gt=now - ATTENDANCE_LOOKBACK,
    ).select_related("request", "request__organization")


def host_link_expires_at(*, speaker_request: SpeakerRequest) -> dt.datetime | None:
    """90 days after the event ends, or after the decline/withdrawal; None while open."""
    if speaker_request.status in CLOSED_STATUSES:
        closed_at = speaker_request.status_changed_at or speaker_request.updated_at
        return closed_at + HOST_LINK_LIFETIME
    event = host_event(speaker_request=speaker_request)
    if event is not None:
        return event.ends_at + HOST_LINK_LIFETIME
    return None


def request_for_host_token(*, token: str) -> SpeakerRequest | None:
    """The request a private link opens, or None for a wrong, revoked or expired token."""
    if not token:
        return None
    speaker_request = (
        SpeakerRequest.objects.select_related("organization")
        .filter(host_token_hash=hash_token(token), host_token_revoked=False)
        .first()
    )
    if speaker_request is None:
        return None
    expires_at = host_link_expires_at(speaker_request=speaker_request)
    if expires_at is not None and expires_at <= timezone.now():
        return None
    return speaker_request


def host_visible_fellow_names(*, event: Event | None) -> list[str]:
    """Display names of the event's fellows, once the event is confirmed; never legal names."""
    if event is None or event.status not in AGREED_STATUSES:
        return []
    return sorted(fellow.display_name for fellow in event.fellows.all())


def attendance_due(*, speaker_request: SpeakerRequest, now: dt.datetime | None = None) -> bool:
    """True once a confirmed (or completed) event of the request has ended."""
    return Event.objects.filter(
        request=speaker_request,
        status__in=AGREED_STATUSES,
        ends_at__lte=now or timezone.now(),
    ).exists()


def requests_for_staff() -> QuerySet[SpeakerRequest]:
    return SpeakerRequest.objects.select_related("organization").prefetch_related("windows")


def with_windows_between(
    queryset: QuerySet[SpeakerRequest],
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[SpeakerRequest]:
    """Requests with at least one window overlapping [date_from, date_to]."""
    condition = Q()
    if date_from is not None:
        condition &= Q(windows__end_date__gte=date_from)
    if date_to is not None:
        condition &= Q(windows__start_date__lte=date_to)
    if not condition:
        return queryset
    matching = SpeakerRequest.objects.filter(condition).values("pk")
    return queryset.filter(pk__in=matching)


def requests_near(
    queryset: QuerySet[SpeakerRequest],
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
) -> QuerySet[SpeakerRequest]:
    """Requests within radius_km great-circle kilometres of a point, nearest first, with the
    distance annotated as distance_km. Requests without coordinates (virtual) drop out."""
    lat0, lon0 = Radians(Value(latitude)), Radians(Value(longitude))
    lat, lon = Radians(F("latitude")), Radians(F("longitude"))
    # Haversine, the same formula as planner.travel.great_circle_km, in SQL so the
    # list stays a paginated queryset.
    haversine = Power(Sin((lat - lat0) / 2), 2) + Cos(lat0) * Cos(lat) * Power(
        Sin((lon - lon0) / 2), 2
    )
    distance = Value(2 * EARTH_RADIUS_KM) * ASin(Least(Value(1.0), Sqrt(haversine)))
    return (
        queryset.filter(latitude__isnull=False, longitude__isnull=False)
        .annotate(distance_km=ExpressionWrapper(distance, output_field=FloatField()))
        .filter(distance_km__lte=radius_km)
        .order_by("distance_km")
    )


# -- the staff board -------------------------------------------------------------------------

REQUEST_SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at",),
    "oldest": ("created_at",),
    "audience": ("-expected_audience", "-created_at"),
    "first_window": ("first_window", "-created_at"),
    "state": ("state", "city", "-created_at"),
}
# Stroke colours of the teams' routes on the map, in team order (distinct for colour blindness).
TEAM_COLOURS = ("#0b57d0", "#c2410c", "#15803d", "#7e22ce", "#a16207")


def request_queue(*, sort: str = "newest") -> QuerySet[SpeakerRequest]:
    """Every request for staff's queue, with its first window date and the host's answer to a
    proposed time ("accepted", "declined", "" unanswered, None nothing proposed), in the
    chosen order."""
    order = REQUEST_SORTS.get(sort, REQUEST_SORTS["newest"])
    proposed = Event.objects.filter(request=OuterRef("pk"), status=Event.Status.TENTATIVE)
    return (
        requests_for_staff()
        .annotate(
            first_window=Min("windows__start_date"),
            host_answer=Subquery(proposed.values("host_answer")[:1]),
        )
        .order_by(*order)
    )


def board_tours() -> QuerySet[WithAnnotations[Tour, Progress]]:
    """Tours for the board's front page, newest first, with their active event counts."""
    return with_progress(
        Tour.objects.annotate(
            active_events=Count("events", filter=Q(events__status__in=ACTIVE_STATUSES))
        )
    ).order_by("-start_date", "name")


def tour_events(*, tour: Tour) -> QuerySet[Event]:
    return (
        Event.objects.filter(tour=tour)
        .select_related("request__organization")
        .prefetch_related("fellows")
        .order_by("starts_at")
    )


def tour_fellows(*, tour: Tour) -> QuerySet[Fellow]:
    """The fellows on the tour, whatever their team."""
    return Fellow.objects.filter(tour_memberships__tour=tour)


def team_of_fellows(*, tour: Tour) -> dict[int, str]:
    """Fellow id → team name for the tour's fellows."""
    return dict(
        TourMember.objects.filter(tour=tour, role=TourMember.Role.FELLOW).values_list(
            "fellow_id", "team"
        )
    )


def _team_for(fellow_ids: list[int], teams: Mapping[int, str]) -> str:
    names = sorted({teams[f] for f in fellow_ids if f in teams})
    return names[0] if names else "—"


@dataclass
class TimelineEntry:
    """One row of a team's day: an event or an itinerary item, in its own local time."""

    kind: str  # "event" or an ItineraryItem kind: "travel", "lodging", "rest"
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    event: Event | None = None
    item: ItineraryItem | None = None


@dataclass
class TimelineDay:
    day: dt.date
    rest_weekday: bool
    teams: dict[str, list[TimelineEntry]] = field(default_factory=dict)


def tour_timeline(
    *, tour: Tour, events: list[Event] | None = None
) -> tuple[list[str], list[TimelineDay]]:
    """Team names and one TimelineDay per tour date, each team's events and items in order.

    Events appear on their venue's local date; items on theirs. Cancelled events stay visible
    (marked by the template) so staff can see what changed, except those whose request has a
    live event again (moved, as accepting a proposal does): the live one says where it is now.
    """
    teams = team_of_fellows(tour=tour)
    team_names = sorted(set(teams.values())) or ["A"]
    rest = set(tour.rest_weekdays or [])
    days: dict[dt.date, TimelineDay] = {}
    current = tour.start_date
    while current <= tour.end_date:
        days[current] = TimelineDay(
            day=current,
            rest_weekday=current.weekday() in rest,
            teams={name: [] for name in team_names},
        )
        current += dt.timedelta(days=1)

    def place(team: str, entry: TimelineEntry) -> None:
        day = days.get(entry.starts_at.date())
        if day is None:
            return  # outside the tour's dates: the booking rules never allow it for events
        day.teams.setdefault(team, []).append(entry)

    shown = list(events if events is not None else tour_events(tour=tour))
    moved = {e.request_id for e in shown if e.request_id and e.status in LIVE_STATUSES}
    for event in shown:
        if event.status == Event.Status.CANCELLED and event.request_id in moved:
            continue
        zone = ZoneInfo(event.timezone)
        team = _team_for([f.pk for f in event.fellows.all()], teams)
        place(
            team,
            TimelineEntry(
                "event",
                event.title,
                event.starts_at.astimezone(zone),
                event.ends_at.astimezone(zone),
                event=event,
            ),
        )
    items = (
        ItineraryItem.objects.filter(tour=tour).prefetch_related("fellows").order_by("starts_at")
    )
    for item in items:
        zone = ZoneInfo(item.timezone)
        team = _team_for([f.pk for f in item.fellows.all()], teams)
        place(
            team,
            TimelineEntry(
                item.kind,
                item.title,
                item.starts_at.astimezone(zone),
                item.ends_at.astimezone(ZoneInfo(item.end_zone)),
                item=item,
            ),
        )
    for day in days.values():
        for entries in day.teams.values():
            entries.sort(key=lambda e: e.starts_at)
    return sorted({*team_names, *(t for d in days.values() for t in d.teams)}), list(days.values())


@dataclass
class TeamRoute:
    team: str
    colour: str
    stops: list[Event]
    km: float = 0.0
    km_flown: float = 0.0  # of ``km``: the flights' (the rest is driven)
    driving_minutes: int = 0
    # From the booked itinerary (None when the tour has none to read: no start or fellows).
    flights: int | None = None
    hotel_nights: int | None = None
    points: list[tuple[float, float]] = field(default_factory=list)
    # One per point: {"x", "y", "label", "start"} for the map's dots and their tooltips.
    markers: list[dict] = field(default_factory=list)


def _start(tour: Tour) -> Location | None:
    if tour.start_latitude is None or tour.start_longitude is None:
        return None
    return Location(tour.start_latitude, tour.start_longitude, tour.start_label)


def tour_routes(
    *, tour: Tour, events: list[Event] | None = None, itinerary: Plan | None = None
) -> list[TeamRoute]:
    """Each team's route through its active events with coordinates, from the tour's start.

    With ``itinerary`` (``events.proposals.booked_itinerary``: the planner's route through the
    booked events, which the itinerary items are written from) a team's kilometres, driving
    time, flights and hotel nights are that plan's, trip home and visits home included, and the
    line on the map runs on to where the team ends. Without one (a tour with no start) they
    are the legs between the stops in the shared travel model.
    """
    team_plans = {t.team_id: t for t in itinerary.teams} if itinerary is not None else {}
    teams = team_of_fellows(tour=tour)
    routes: dict[str, TeamRoute] = {}
    for event in events if events is not None else tour_events(tour=tour):
        if event.status == Event.Status.CANCELLED or event.latitude is None:
            continue
        team = _team_for([f.pk for f in event.fellows.all()], teams)
        routes.setdefault(team, TeamRoute(team=team, colour="", stops=[])).stops.append(event)
    start = _start(tour)
    shape = board_map.outline()
    result = []
    for index, team in enumerate(sorted(routes)):
        route = routes[team]
        route.colour = TEAM_COLOURS[index % len(TEAM_COLOURS)]
        route.stops.sort(key=lambda e: e.starts_at)
        # Stops are located (see above): a venue's coordinates are set together.
        places = [
            Location(cast(float, e.latitude), cast(float, e.longitude), e.title)
            for e in route.stops
        ]
        if start is not None:
            places.insert(0, start)
        planned = team_plans.get(team)
        if planned is not None:
            legs = [leg for day in planned.days for leg in day.legs]
            # The sum of the legs as the day-by-day items show them (whole kilometres), so
            # the total and the rows add up the same on the page.
            route.km = sum(round(leg.km) for leg in legs)
            route.km_flown = sum(round(leg.km) for leg in legs if leg.mode == "flight")
            route.driving_minutes = sum(leg.driving_minutes for leg in legs)
            route.flights, route.hotel_nights = planned.flights, planned.hotel_nights
            home = planned.days[-1].overnight_location if planned.days else None
            if home is not None and legs and legs[-1].destination == home:
                points_to = [*places, home]  # the trip home, drawn as it is counted
            else:
                points_to = places
        else:
            points_to = places
            # As the planner travels: the first leg out keeps the model's mode; between stops
            # a tour that never flies drives (in stages), so its totals do not price flights.
            flies = tour.max_flights_per_week != 0
            for hop, (origin, destination) in enumerate(zip(places, places[1:], strict=False)):
                if hop == 0 and start is not None:
                    leg = DEFAULT_MODEL.leg(origin, destination)
                else:
                    leg = between_stops(DEFAULT_MODEL, origin, destination, flies=flies)
                route.km += leg.km
                route.driving_minutes += leg.driving_minutes
        route.km = round(route.km, 1)
        route.points = [board_map.project(p.lat, p.lon, shape) for p in points_to]
        # One dot per stop (and the start); the way home ends on the start's dot or, for a tour
        # ending elsewhere, on a line's end without a label.
        route.markers = [
            {"x": x, "y": y, "label": place.label, "start": start is not None and index == 0}
            for index, ((x, y), place) in enumerate(zip(route.points, places, strict=False))
        ]
        result.append(route)
    return result


@dataclass(frozen=True)
class TourTotals:
    events: int
    confirmed: int
    expected_audience: int
    reported_audience: int
    km: float
    driving_hours: float
    km_flown: float = 0.0
    flights: int | None = None  # None: no booked itinerary to count them from
    hotel_nights: int | None = None

    @property
    def km_driven(self) -> float:
        return round(self.km - self.km_flown, 1)


def reported_attendance(event: Event) -> int | None:
    """The event's own count if staff entered one, else what the host reported."""
    if event.attendance is not None:
        return event.attendance
    return event.request.attendance_count if event.request is not None else None


def tour_totals(*, events: list[Event], routes: list[TeamRoute]) -> TourTotals:
    active = [e for e in events if e.status in ACTIVE_STATUSES]
    return TourTotals(
        events=len(active),
        confirmed=sum(e.status == Event.Status.CONFIRMED for e in active),
        expected_audience=sum(e.request.expected_audience for e in active if e.request),
        reported_audience=sum(reported_attendance(e) or 0 for e in active),
        km=round(sum(r.km for r in routes), 1),
        driving_hours=round(sum(r.driving_minutes for r in routes) / 60, 1),
        km_flown=round(sum(r.km_flown for r in routes), 1),
        flights=_total_or_none([r.flights for r in routes]),
        hotel_nights=_total_or_none([r.hotel_nights for r in routes]),
    )


def _total_or_none(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def latest_proposal(*, tour: Tour) -> PlanningRun | None:
    return PlanningRun.objects.filter(tour=tour).order_by("-created_at", "-pk").first()


def latest_finished_proposal(*, tour: Tour) -> PlanningRun | None:
    return (
        PlanningRun.objects.filter(tour=tour, status=PlanningRun.Status.DONE)
        .order_by("-created_at", "-pk")
        .first()
    )


def proposed_events(*, run: PlanningRun) -> list[dict]:
    """The proposal's events for the accept-in-part checkboxes, soonest first, with the host's
    name, the venue's city and its time zone (rows show the time where the talk is)."""
    if not run.plan:
        return []
    planned = [
        (team["team_id"], event)
        for team in run.plan["teams"]
        for day in team["days"]
        for event in day["events"]
        if not event["locked"] and event["request_id"].isdigit()
    ]
    hosts = dict(
        SpeakerRequest.objects.filter(
            pk__in=[int(event["request_id"]) for _team, event in planned]
        ).values_list("pk", "organization__name")
    )
    live = {
        str(request_id): starts_at
        for request_id, starts_at in Event.objects.filter(
            tour=run.tour, status__in=LIVE_STATUSES, request__isnull=False
        ).values_list("request_id", "starts_at")
    }
    # Staff cancelled it on this tour before (and it is not booked now): the row says so, so
    # nobody rebooks it by accepting the whole proposal without noticing.
    cancelled = {
        str(request_id): cancelled_at
        for request_id, cancelled_at in Event.objects.filter(
            tour=run.tour, status=Event.Status.CANCELLED, request__isnull=False
        )
        .order_by("cancelled_at")
        .values_list("request_id", "cancelled_at")
    }
    rows = [
        {
            "team": team,
            "request_id": event["request_id"],
            "starts_at": dt.datetime.fromisoformat(event["start"]),
            "ends_at": dt.datetime.fromisoformat(event["end"]),
            "label": hosts.get(int(event["request_id"]), event["location"].get("label", "")),
            "city": event["location"].get("label", ""),
            "timezone": event["location"].get("timezone") or run.tour.timezone,
            # Booked: the request's live event on this tour is at the proposed time already;
            # moves_from: it is booked at another time, which accepting would change.
            "accepted": live.get(event["request_id"]) == dt.datetime.fromisoformat(event["start"]),
            "moves_from": live.get(event["request_id"]),
            "cancelled_at": (
                None if event["request_id"] in live else cancelled.get(event["request_id"])
            ),
        }
        for team, event in planned
    ]
    return sorted(rows, key=lambda row: row["starts_at"])


# -- the proposal's map and notes -----------------------------------------------------------


@dataclass
class ProposalStop:
    """A place where the team speaks, numbered in the order the route reaches it."""

    number: int
    city: str
    x: float
    y: float
    days: str  # "Fri 29 Jan", "1–2 Feb"
    events: int
    # Where the city's name goes, clear of nearby stops' names (board_map.place_labels).
    label: board_map.LabelSpot | None = None


@dataclass
class ProposalRoute:
    """One team's proposed route for the map: its region, its legs, its numbered stops."""

    team: str
    colour: str
    region: str  # in words ("IL, IN, WI and within 800 km of Chicago, IL"); "" for no limit
    region_shapes: list[str]  # SVG polygon points, one per state or radius circle
    segments: list[dict]  # {"x1", "y1", "x2", "y2", "flight"} in route order
    stops: list[ProposalStop]
    start: dict | None  # {"x", "y", "label"}
    home: dict | None


@dataclass
class ProposalMap:
    routes: list[ProposalRoute]
    view_box: str
    # Sizes in viewBox units, so that stops and labels keep one size on screen however far
    # the map is zoomed: a stop's radius, its number's size, a city name's size.
    dot: float
    number_font: float
    font: float


def _svg_points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in points)


def _region_shapes(team: Team, shape: dict) -> tuple[list[list[tuple[float, float]]], str]:
    """The team's region as projected polygons (its states, its radius) and in words."""
    polygons = []
    hulls = board_map.state_hulls()
    for state in sorted(team.region_states):
        if state in hulls:
            polygons.append([board_map.project(lat, lon, shape) for lat, lon in hulls[state]])
    if team.region_radius_km is not None:
        start = team.start_location
        polygons.append(
            [
                board_map.project(lat, lon, shape)
                for lat, lon in board_map.circle(start.lat, start.lon, team.region_radius_km)
            ]
        )
    return polygons, describe_region(team) if team.has_region else ""


def proposal_map(*, run: PlanningRun) -> ProposalMap | None:
    """Each team's proposed route (start, legs in order, numbered stops with their cities,
    the trip home) over the team's region, zoomed to both. None without a finished plan."""
    if not run.plan or not run.problem:
        return None
    shape = board_map.outline()
    teams = {team.id: team for team in problem_from_json(run.problem).teams}
    routes, every_point = [], []
    for index, team_plan in enumerate(run.plan["teams"]):
        team = teams.get(team_plan["team_id"])
        if team is None:
            continue
        polygons, region = _region_shapes(team, shape)
        segments: list[dict[str, Any]] = []
        stops: list[ProposalStop] = []
        stop_days: list[list[dt.date]] = []
        items = [
            (leg["depart"], 0, "leg", leg) for day in team_plan["days"] for leg in day["legs"]
        ] + [
            (event["start"], 1, day["day"], event)
            for day in team_plan["days"]
            for event in day["events"]
        ]
        for _at, _order, day, item in sorted(items, key=lambda x: (x[0], x[1])):
            if day == "leg":
                (x1, y1), (x2, y2) = (
                    board_map.project(item[end]["lat"], item[end]["lon"], shape)
                    for end in ("origin", "destination")
                )
                segments.append(
                    {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "flight": item["mode"] == "flight"}
                )
                every_point += [(x1, y1), (x2, y2)]
                continue
            place = item["location"]
            x, y = board_map.project(place["lat"], place["lon"], shape)
            every_point.append((x, y))
            on = dt.date.fromisoformat(day)
            if stops and (stops[-1].x, stops[-1].y) == (x, y):
                stops[-1].events += 1  # more talks in the same place: one stop on the map
                stop_days[-1].append(on)
                continue
            stops.append(ProposalStop(len(stops) + 1, place.get("label", ""), x, y, "", 1))
            stop_days.append([on])
        for stop, days in zip(stops, stop_days, strict=True):
            stop.days = days_text(days)
        start_x, start_y = board_map.project(
            team.start_location.lat, team.start_location.lon, shape
        )
        home_x, home_y = board_map.project(team.home.lat, team.home.lon, shape)
        routes.append(
            ProposalRoute(
                team=team.id,
                colour=TEAM_COLOURS[index % len(TEAM_COLOURS)],
                region=region,
                region_shapes=[_svg_points(polygon) for polygon in polygons],
                segments=segments,
                stops=stops,
                start={"x": start_x, "y": start_y, "label": team.start_location.label},
                home={"x": home_x, "y": home_y, "label": team.home.label},
            )
        )
        every_point += [(start_x, start_y), (home_x, home_y)]
        every_point += [p for polygon in polygons for p in polygon]
    left, top, width, height = board_map.view_box(every_point, shape)
    dot, font = round(width / 70, 2), round(width / 55, 2)
    every_stop = [stop for route in routes for stop in route.stops]
    spots = board_map.place_labels(
        [(stop.x, stop.y, stop.city) for stop in every_stop], dot=dot, font=font
    )
    for stop, spot in zip(every_stop, spots, strict=True):
        stop.label = spot
    return ProposalMap(
        routes=routes,
        view_box=f"{left} {top} {width} {height}",
        dot=dot,
        number_font=round(width / 58, 2),
        font=font,
    )


def _free_minutes(
    opens: dt.datetime, closes: dt.datetime, blocks: list[tuple[dt.datetime, dt.datetime]]
) -> int:
    """The longest stretch from ``opens`` to ``closes`` that no block covers, in minutes."""
    longest, cursor = 0.0, opens
    for start, end in sorted(blocks):
        if end <= cursor or start >= closes:
            continue
        longest = max(longest, (min(start, closes) - cursor).total_seconds())
        cursor = max(cursor, end)
    longest = max(longest, (closes - cursor).total_seconds())
    return int(longest // 60)


def _lost_preferred_days(
    speaker_request: SpeakerRequest, windows: list[RequestWindow], team: Team
) -> tuple[list[dt.date], list[dt.date]]:
    """The days of the host's preferred windows (inside the tour) that the team's rest weekdays
    and its fellows' blackouts take away: (rest days, blackout days)."""
    zone = ZoneInfo(speaker_request.timezone)
    blocks = [(u.start, u.end) for u in team.unavailability]
    rest, blackout = [], []
    for window in windows:
        day = max(window.start_date, team.first_day)
        while day <= min(window.end_date, team.last_day):
            if day.weekday() in team.rest_weekdays:
                rest.append(day)
            else:
                opens = dt.datetime.combine(day, window.earliest_start, tzinfo=zone)
                closes = dt.datetime.combine(day, window.latest_end, tzinfo=zone)
                if _free_minutes(opens, closes, blocks) < speaker_request.event_length_minutes:
                    blackout.append(day)
            day += dt.timedelta(days=1)
    return rest, blackout


def _in_windows(start: dt.datetime, zone: str, windows: list[RequestWindow]) -> bool:
    local = start.astimezone(ZoneInfo(zone))
    return any(
        w.start_date <= local.date() <= w.end_date and w.earliest_start <= local.time()
        for w in windows
    )


def preferred_window_notes(*, run: PlanningRun) -> dict[str, str]:
    """Per request of the proposal (booked or left out), a plain sentence when the tour's rest
    day or a fellow's unavailability took away the host's preferred window, so staff can tell
    the host why another time, or none, was proposed. Never a blackout's reason: only that a
    fellow is unavailable. Requests booked inside a preferred window need no note."""
    if not run.plan or not run.problem:
        return {}
    teams = {team.id: team for team in problem_from_json(run.problem).teams}
    placed = {
        event["request_id"]: (team_plan["team_id"], event["start"])
        for team_plan in run.plan["teams"]
        for day in team_plan["days"]
        for event in day["events"]
        if not event["locked"]
    }
    ids = [*placed, *(x["request_id"] for x in run.plan["left_out"])]
    ids = [int(rid) for rid in ids if rid.isdigit()]
    preferred: dict[int, list[RequestWindow]] = {}
    for window in RequestWindow.objects.filter(
        request_id__in=ids, preference=RequestWindow.Preference.PREFERRED
    ):
        preferred.setdefault(window.request_id, []).append(window)
    requests = SpeakerRequest.objects.in_bulk(list(preferred))
    notes = {}
    for request_id, windows in preferred.items():
        speaker_request = requests[request_id]
        where = placed.get(str(request_id))
        if where is not None:
            start = dt.datetime.fromisoformat(where[1])
            if _in_windows(start, speaker_request.timezone, windows):
                continue
            candidates = [teams[where[0]]] if where[0] in teams else []
        else:
            candidates = list(teams.values())
        if not candidates:
            continue
        # Left out: a day counts as taken away only when it is taken away for every team.
        losses = [_lost_preferred_days(speaker_request, windows, team) for team in candidates]
        rest = set.intersection(*(set(r) | set(b) for r, b in losses)) & set(losses[0][0])
        blackout = set.intersection(*(set(r) | set(b) for r, b in losses)) - rest
        if not rest and not blackout:
            continue
        parts = []
        if rest:
            names = sorted({WEEKDAY_NAMES[day.weekday()] for day in rest})
            parts.append(
                _("%(days)s falls on the tour's rest day (%(weekday)s)")
                % {"days": days_text(rest), "weekday": ", ".join(names)}
            )
        if blackout:
            parts.append(_("a fellow is unavailable on %(days)s") % {"days": days_text(blackout)})
        notes[str(request_id)] = _("The host's preferred time could not be used: %(why)s.") % {
            "why": "; ".join(parts)
        }
    return notes


def event_history(*, event: Event) -> list[dict]:
    """The event's audit trail, newest first: who, when, and which fields changed how."""
    records = list(event.history.select_related("history_user").order_by("-history_date"))
    trail = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            changes = [
                {"field": c.field, "old": c.old, "new": c.new}
                for c in delta.changes
                if c.field not in {"sequence"}
            ]
        trail.append(
            {
                "when": newer.history_date,
                "who": newer.history_user,
                "type": newer.get_history_type_display(),
                "changes": changes,
            }
        )
    return trail


@dataclass(frozen=True)
class Impact:
    """What a tour (or a season of tours) achieved, from events and the hosts' reports."""

    label: str
    events_held: int
    audience_reported: int
    first_time: int
    first_time_reported_audience: int
    declined: int
    left_out: int

    @property
    def first_time_share(self) -> float | None:
        """Share of attendees meeting a North Korean for the first time, over reports giving
        both numbers; None while no host has reported."""
        if not self.first_time_reported_audience:
            return None
        return self.first_time / self.first_time_reported_audience


def _impact_for(label: str, tours: list[Tour], now: dt.datetime) -> Impact:
    held = list(
        Event.objects.filter(
            tour__in=tours,
            status__in=AGREED_STATUSES,
            ends_at__lte=now,
        ).select_related("request")
    )
    # A request is reported once even if it had two events (e.g. a moved one kept its report).
    reports = {
        e.request_id: e.request
        for e in held
        if e.request is not None
        and e.request.attendance_count is not None
        and e.request.first_time_count is not None
    }
    left_out = 0
    declined_ids: set[int] = set()
    for tour in tours:
        run = latest_finished_proposal(tour=tour)
        if run is not None and run.plan:
            left_out += len(run.plan["left_out"])
        declined_ids.update(
            SpeakerRequest.objects.filter(
                status=SpeakerRequest.Status.DECLINED,
                windows__start_date__lte=tour.end_date,
                windows__end_date__gte=tour.start_date,
            ).values_list("pk", flat=True)
        )
    return Impact(
        label=label,
        events_held=len(held),
        audience_reported=sum(reported_attendance(e) or 0 for e in held),
        first_time=sum(r.first_time_count or 0 for r in reports.values()),
        first_time_reported_audience=sum(r.attendance_count or 0 for r in reports.values()),
        declined=len(declined_ids),
        left_out=left_out,
    )


def impact(
    *, season: int | None = None, now: dt.datetime | None = None
) -> tuple[Impact, list[Impact]]:
    """Totals for a season (tours starting in that year; every tour without one) and per tour.

    A declined request counts for a tour when one of its windows touches the tour's dates.
    """
    label = str(season) if season is not None else "all"
    return impact_of_tours(tours=season_tours(season=season), label=label, now=now)


def season_tours(*, season: int | None) -> list[Tour]:
    """Tours starting in that year (every tour for None), by start date."""
    tours = Tour.objects.order_by("start_date", "name")
    if season is not None:
        tours = tours.filter(start_date__year=season)
    return list(tours)


def impact_of_tours(
    *, tours: list[Tour], label: str, now: dt.datetime | None = None
) -> tuple[Impact, list[Impact]]:
    """Totals over the given tours (labelled `label`) and one Impact per tour, in their order."""
    now = now or timezone.now()
    per_tour = [_impact_for(t.name, [t], now) for t in tours]
    return _impact_for(label, tours, now), per_tour


def seasons() -> list[int]:
    return sorted({d.year for d in Tour.objects.values_list("start_date", flat=True)}, reverse=True)


def outbox_counts() -> dict[str, int]:
    """Notifications per status, for the outbox page's tabs."""
    rows = Notification.objects.values("status").annotate(n=Count("pk")).order_by()
    counts = dict.fromkeys(Notification.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


# -- the request page ------------------------------------------------------------------------


def request_for_board(*, pk: int) -> SpeakerRequest:
    """One request with what its board page shows (organization, windows); raises
    SpeakerRequest.DoesNotExist."""
    return (
        SpeakerRequest.objects.select_related("organization").prefetch_related("windows").get(pk=pk)
    )


def request_events(*, speaker_request: SpeakerRequest) -> QuerySet[Event]:
    """Every event ever booked for the request, across tours, newest first (cancelled too)."""
    return (
        Event.objects.filter(request=speaker_request)
        .select_related("tour")
        .prefetch_related("fellows")
        .order_by("-starts_at")
    )


@dataclass(frozen=True)
class StatusStep:
    """One line of a request's history: when, who (None: the host or the system), and the
    status it reached (`old` is None for the submission itself)."""

    when: dt.datetime
    who: object | None
    old: str | None
    new: StrOrPromise


def request_history(*, speaker_request: SpeakerRequest) -> list[StatusStep]:
    """The request's status changes, oldest first, starting with its submission."""
    steps = [
        StatusStep(
            when=speaker_request.created_at,
            who=None,
            old=None,
            new=SpeakerRequest.Status.SUBMITTED.label,
        )
    ]
    for change in speaker_request.status_changes.select_related("changed_by"):
        steps.append(
            StatusStep(
                when=change.changed_at,
                who=change.changed_by,
                old=change.get_old_status_display(),
                new=change.get_new_status_display(),
            )
        )
    return steps


def tours_for_booking(
    *, speaker_request: SpeakerRequest
) -> QuerySet[WithAnnotations[Tour, MeetsWindows]]:
    """Tours a request could be booked on from its page: not yet over, dates meeting one of its
    windows first, then the others by start date."""
    today = timezone.localdate()
    windows = speaker_request.windows.all()
    meets = Q(pk__in=[])
    for window in windows:
        meets |= Q(start_date__lte=window.end_date, end_date__gte=window.start_date)
    return (
        Tour.objects.filter(end_date__gte=today)
        .annotate(
            meets_windows=Case(When(meets, then=Value(True)), default=Value(False)),
        )
        .prefetch_related("members__fellow")
        .order_by("-meets_windows", "start_date", "name")
    )


# -- rest days against preferred windows -----------------------------------------------------


@dataclass(frozen=True)
class RestDayLoss:
    """A host's preferred window that falls wholly on a tour's rest weekdays: the planner and
    the booking rules (events.rules, soft) would not use it without staff overriding."""

    tour: Tour
    request: SpeakerRequest
    window: RequestWindow
    weekdays: tuple[str, ...]  # the rest weekdays it falls on, e.g. ("Sunday",)


def _lost_to_rest_days(tour: Tour, window) -> tuple[str, ...]:
    """Weekday names when every day the window shares with the tour is a rest day, else ()."""
    rest = set(tour.rest_weekdays or [])
    first, last = max(window.start_date, tour.start_date), min(window.end_date, tour.end_date)
    if not rest or first > last:
        return ()
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if any(day.weekday() not in rest for day in days):
        return ()
    return tuple(dict.fromkeys(date_format(day, "l") for day in days))


def rest_day_losses(
    *, tours: Sequence[Tour], requests: QuerySet[SpeakerRequest] | None = None
) -> list[RestDayLoss]:
    """Preferred windows of open requests that the tours' rest weekdays would exclude.

    `requests` defaults to every open request; a tour limited to states only looks at requests
    in those states (virtual ones everywhere). Staff are told, nothing is removed.
    """
    losses = []
    if requests is None:
        requests = SpeakerRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES)
    for tour in tours:
        if not tour.rest_weekdays:
            continue
        candidates = requests.filter(
            windows__preference="preferred",
            windows__start_date__lte=tour.end_date,
            windows__end_date__gte=tour.start_date,
        )
        if tour.region_states:
            candidates = candidates.filter(
                Q(state__in=tour.region_states) | Q(format=SpeakerRequest.Format.VIRTUAL)
            )
        for speaker_request in (
            candidates.distinct().select_related("organization").prefetch_related("windows")
        ):
            for window in speaker_request.windows.all():
                if window.preference != "preferred":
                    continue
                weekdays = _lost_to_rest_days(tour, window)
                if weekdays:
                    losses.append(RestDayLoss(tour, speaker_request, window, weekdays))
    return losses


def rest_day_losses_for_request(*, speaker_request: SpeakerRequest) -> list[RestDayLoss]:
    """The tours (not yet over) whose rest weekdays exclude one of this request's preferred
    windows."""
    if speaker_request.status not in OPEN_REQUEST_STATUSES:
        return []
    tours = [
        tour for tour in tours_for_booking(speaker_request=speaker_request) if tour.meets_windows
    ]
    return rest_day_losses(
        tours=tours, requests=SpeakerRequest.objects.filter(pk=speaker_request.pk)
    )


# -- tours: derived status and overlapping memberships ----------------------------------------


def with_progress(
    tours: QuerySet[Tour], *, today: dt.date | None = None
) -> QuerySet[WithAnnotations[Tour, Progress]]:
    """Tours annotated with `progress`, their status derived from the work, never tracked:
    completed after the end date; published once an event is confirmed (or held); planning
    once a proposal was asked for or an event is pencilled in; draft before that."""
    today = today or timezone.localdate()
    events = Event.objects.filter(tour=OuterRef("pk"))
    return tours.annotate(
        progress=Case(
            When(end_date__lt=today, then=Value(Tour.Status.COMPLETED.value)),
            When(
                Exists(events.filter(status__in=AGREED_STATUSES)),
                then=Value(Tour.Status.PUBLISHED.value),
            ),
            When(
                Exists(PlanningRun.objects.filter(tour=OuterRef("pk")))
                | Exists(events.filter(status=Event.Status.TENTATIVE)),
                then=Value(Tour.Status.PLANNING.value),
            ),
            default=Value(Tour.Status.DRAFT.value),
            output_field=CharField(),
        )
    )


def tour_progress(*, tour: Tour) -> str:
    """The tour's derived status (see with_progress), e.g. "published"; a tour read through
    with_progress already carries it."""
    if hasattr(tour, "progress"):
        return tour.progress
    return with_progress(Tour.objects.filter(pk=tour.pk)).get().progress


@dataclass(frozen=True)
class TourOverlap:
    fellow: Fellow
    tour: Tour


def overlapping_tours(
    *,
    fellows: Sequence[Fellow],
    start_date: dt.date,
    end_date: dt.date,
    exclude_tour_id: int | None = None,
) -> list[TourOverlap]:
    """Other tours whose dates meet these dates and that already have one of these fellows:
    the fellow would be on two tours at once."""
    members = TourMember.objects.filter(
        fellow__in=fellows, tour__start_date__lte=end_date, tour__end_date__gte=start_date
    )
    if exclude_tour_id is not None:
        members = members.exclude(tour_id=exclude_tour_id)
    members = members.select_related("fellow", "tour").order_by(
        "fellow__display_name", "tour__start_date"
    )
    return [TourOverlap(fellow=m.fellow, tour=m.tour) for m in members if m.fellow is not None]
