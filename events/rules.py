"""The booking rules: the one place that decides whether fellows may be booked at a time.

Hard rules (never overridable): a fellow is never in two events at once, counting the travel
time between the venues plus the tour's minimum gap; never during an unavailability; never over
the tour's events per day; the event lies inside the tour's dates; fellows are active.
Soft rules (warnings staff may override with a reason): the time lies outside the host's
windows, on a rest weekday, or outside the tour's working hours.

Every write path (services, admin, API, planner acceptance, imports) reaches these functions
through events.services; nothing else re-implements them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from common import time_display
from events.models import ACTIVE_STATUSES, Event
from fellows.models import Fellow, Tour, Unavailability
from planner.days import event_day, is_rest_day, within_working_hours
from planner.model import Location
from planner.travel import travel_minutes, within_region

# No leg in the travel model takes longer than this, so events further apart cannot clash.
NEIGHBOUR_HORIZON = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Finding:
    """A broken rule: `code` for machines, `field` for forms and JSON, `message` for people."""

    code: str
    field: str
    message: str


@dataclass(frozen=True)
class Slot:
    """Where and when fellows would be booked."""

    tour: Tour
    fellows: Sequence[Fellow]
    starts_at: dt.datetime
    ends_at: dt.datetime
    latitude: float | None = None
    longitude: float | None = None
    exclude_event_id: int | None = None
    # The venue's zone: a day, for the tour's dates and the events-per-day limit, is the day
    # where the fellows are. None: the tour's zone.
    timezone: str | None = None

    @property
    def zone(self) -> str:
        return self.timezone or self.tour.timezone


def _local(moment: dt.datetime, zone: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(zone))


def _separation_minutes(tour: Tour, slot: Slot, other_lat, other_lon) -> float:
    """Minutes that must lie between two events of one fellow: travel plus the minimum gap."""
    travel = 0.0
    if (
        slot.latitude is not None
        and slot.longitude is not None
        and other_lat is not None
        and other_lon is not None
    ):
        travel = travel_minutes(slot.latitude, slot.longitude, other_lat, other_lon)
    return travel + tour.min_gap_minutes


def hard_rule_violations(slot: Slot) -> list[Finding]:
    """Every hard rule the slot would break; an empty list means it may be booked."""
    findings: list[Finding] = []
    tour = slot.tour
    if slot.ends_at <= slot.starts_at:
        return [Finding("bad_span", "ends_at", _("The event must end after it starts."))]

    first_day = event_day(slot.starts_at, slot.zone)
    last_day = event_day(slot.ends_at - dt.timedelta(microseconds=1), slot.zone)
    if first_day < tour.start_date or last_day > tour.end_date:
        findings.append(
            Finding(
                "outside_tour",
                "starts_at",
                _("The event must lie inside the tour's dates (%(start)s to %(end)s).")
                % {"start": tour.start_date.isoformat(), "end": tour.end_date.isoformat()},
            )
        )

    for fellow in slot.fellows:
        if not fellow.active:
            findings.append(
                Finding(
                    "inactive_fellow",
                    "fellows",
                    _("%(name)s is not active.") % {"name": fellow.display_name},
                )
            )
        findings.extend(_fellow_conflicts(slot, fellow, Event))
    return findings


def _fellow_conflicts(slot: Slot, fellow: Fellow, event_model) -> Iterable[Finding]:
    tour = slot.tour
    neighbours = (
        event_model.objects.filter(
            assignments__fellow=fellow,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=slot.ends_at + NEIGHBOUR_HORIZON,
            ends_at__gt=slot.starts_at - NEIGHBOUR_HORIZON,
        )
        .exclude(pk=slot.exclude_event_id)
        .select_related("tour")
        .order_by("starts_at")
    )
    day = event_day(slot.starts_at, slot.zone)
    same_day = 0
    for other in neighbours:
        if event_day(other.starts_at, other.timezone or slot.zone) == day:
            same_day += 1
        gap = dt.timedelta(minutes=_separation_minutes(tour, slot, other.latitude, other.longitude))
        if other.starts_at < slot.ends_at + gap and slot.starts_at < other.ends_at + gap:
            zone = ZoneInfo(other.timezone)
            yield Finding(
                "overlap",
                "starts_at",
                _(
                    "%(name)s is already booked at “%(title)s” %(start)s – %(end)s; with travel "
                    "and the tour's %(gap)d-minute minimum gap the events would overlap."
                )
                % {
                    "name": fellow.display_name,
                    "title": other.title,
                    "start": time_display.format_date_time(other.starts_at, zone),
                    "end": time_display.format_time(other.ends_at, zone),
                    "gap": tour.min_gap_minutes,
                },
            )
    if same_day + 1 > tour.max_events_per_day:
        yield Finding(
            "day_capacity",
            "starts_at",
            _("%(name)s already has %(count)d event(s) on %(day)s; the tour allows %(max)d a day.")
            % {
                "name": fellow.display_name,
                "count": same_day,
                "day": time_display.format_day(day),
                "max": tour.max_events_per_day,
            },
        )
    # The reason of an unavailability is private to the fellow; only the span is named.
    blocked = Unavailability.objects.filter(
        fellow=fellow, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at
    ).first()
    if blocked is not None:
        zone = ZoneInfo(tour.timezone)
        yield Finding(
            "unavailable",
            "fellows",
            _("%(name)s is unavailable from %(start)s to %(end)s.")
            % {
                "name": fellow.display_name,
                "start": time_display.format_date_time(blocked.starts_at, zone),
                "end": time_display.format_date_time(blocked.ends_at, zone),
            },
        )


def soft_rule_warnings(slot: Slot, *, request=None, timezone: str | None = None) -> list[Finding]:
    """Warnings staff may override with a reason: host windows, rest days, working hours."""
    tour = slot.tour
    warnings: list[Finding] = []
    venue_zone = timezone or (request.timezone if request is not None else tour.timezone)
    if request is not None and not fits_request_windows(
        request, slot.starts_at, slot.ends_at, venue_zone
    ):
        warnings.append(
            Finding(
                "outside_window",
                "starts_at",
                _("The time is outside every date window the host offered."),
            )
        )
    if not _in_tour_region(slot, request):
        warnings.append(
            Finding(
                "outside_region",
                "tour",
                _("The venue is outside the tour's region; the planner leaves it out."),
            )
        )
    if is_rest_day(slot.starts_at, venue_zone, tour.rest_weekdays or []):
        day_name = _local(slot.starts_at, venue_zone).strftime("%A")
        warnings.append(
            Finding("rest_day", "starts_at", _("The tour rests on %(day)s.") % {"day": day_name})
        )
    if not within_working_hours(
        slot.starts_at, slot.ends_at, venue_zone, tour.work_day_start, tour.work_day_end
    ):
        warnings.append(
            Finding(
                "working_hours",
                "starts_at",
                _("The event is outside the tour's working hours (%(start)s–%(end)s).")
                % {
                    "start": tour.work_day_start.strftime("%H:%M"),
                    "end": tour.work_day_end.strftime("%H:%M"),
                },
            )
        )
    return warnings


def _in_tour_region(slot: Slot, request) -> bool:
    """The planner's region rule (planner.travel.within_region) for one booking; a virtual
    talk is everywhere."""
    tour = slot.tour
    if getattr(request, "format", "") == "virtual":
        return True
    start = (
        Location(tour.start_latitude, tour.start_longitude)
        if tour.start_latitude is not None and tour.start_longitude is not None
        else None
    )
    place = (
        Location(slot.latitude, slot.longitude)
        if slot.latitude is not None and slot.longitude is not None
        else None
    )
    return within_region(
        states=tour.region_states or [] if request is not None else [],
        radius_km=tour.region_radius_km,
        start=start,
        state=getattr(request, "state", "") or "",
        place=place,
    )


def fits_request_windows(request, starts_at: dt.datetime, ends_at: dt.datetime, zone: str) -> bool:
    """True when the event lies inside one of the request's windows, in the venue's local time."""
    start_local = _local(starts_at, zone)
    end_local = _local(ends_at, zone)
    if start_local.date() != end_local.date():
        return False
    return any(
        window.start_date <= start_local.date() <= window.end_date
        and window.earliest_start <= start_local.time()
        and end_local.time() <= window.latest_end
        for window in request.windows.all()
    )
