"""Proposals from the tour planner: build its input from a tour, run it, accept the result.

The engine in planner knows nothing of Django; this module translates both ways.
A proposal is stored on a PlanningRun and changes nothing until staff accept all or part of
it; accepting books tentative events through events.services (so every booking rule applies
again) and writes the travel legs, lodging nights and rest days as itinerary items.
Re-planning keeps confirmed and locked events where they are.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import planner as engine
from common.time_display import format_day
from events import services
from events.models import (
    AGREED_STATUSES,
    LIVE_STATUSES,
    OPEN_REQUEST_STATUSES,
    Event,
    HostAnswer,
    PlanningRun,
    SpeakerRequest,
)
from fellows.models import ItineraryItem, Tour, TourMember, Unavailability
from planner.jsonio import plan_from_json, plan_to_json, problem_to_json
from planner.travel import sleeps_at_home

SOFT_FINDINGS = {"outside_window", "rest_day", "working_hours", "override_required"}
STAFF_EVENT_PREFIX = "event-"

ProgressCallback = Callable[[int, str], None]


def _tour_teams(tour: Tour) -> dict[str, list]:
    teams: dict[str, list] = {}
    for member in TourMember.objects.filter(tour=tour, role=TourMember.Role.FELLOW).select_related(
        "fellow"
    ):
        if member.fellow is not None and member.fellow.active:
            teams.setdefault(member.team, []).append(member.fellow)
    return teams


def _start_location(tour: Tour, fellows: list) -> engine.Location:
    """The team sets out from the tour's start. Never from a fellow's home base: its name
    would be written into the travel legs every team-mate's feed shows."""
    if tour.start_latitude is not None and tour.start_longitude is not None:
        return engine.Location(
            tour.start_latitude, tour.start_longitude, tour.start_label, tour.timezone
        )
    raise ValueError(_("Give the tour a start location before asking for a proposal."))


def _end_location(tour: Tour) -> engine.Location | None:
    if tour.end_latitude is None or tour.end_longitude is None:
        return None
    return engine.Location(
        tour.end_latitude, tour.end_longitude, tour.end_location or _("Tour end"), tour.timezone
    )


def tour_costs(tour: Tour) -> engine.CostModel:
    """The tour's cost model in the planner's terms (attendees)."""
    return engine.CostModel(
        flight_attendees=tour.flight_worth_attendees,
        flight_attendees_per_1000_km=tour.flight_1000_km_worth_attendees,
        travel_hour_attendees=tour.travel_hour_worth_attendees,
        driving_attendees_per_100_km=tour.driving_100_km_worth_attendees,
        hotel_night_attendees=tour.hotel_night_worth_attendees,
    )


def _request_windows(
    speaker_request: SpeakerRequest, declined: Iterable[tuple[dt.datetime, dt.datetime]] = ()
) -> tuple[engine.RequestWindow, ...]:
    """The host's windows, less the times they turned down (``declined_times``): a proposal
    never offers a time that overlaps one of them again. Empty when nothing is left."""
    windows = [
        engine.RequestWindow(w.start_date, w.end_date, w.earliest_start, w.latest_end)
        for w in speaker_request.windows.all()
    ]
    zone = ZoneInfo(speaker_request.timezone)
    minutes = speaker_request.event_length_minutes
    for starts_at, ends_at in declined:
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        windows = [part for window in windows for part in _without(window, start, end, minutes)]
    return tuple(windows)


def _without(
    window: engine.RequestWindow, start: dt.datetime, end: dt.datetime, minutes: int
) -> list[engine.RequestWindow]:
    """``window`` less the local span start–end (one day's, in the request's zone): the other
    days whole, and on that day the hours before and after it that still hold a talk of
    ``minutes``."""
    day = start.date()
    if not window.first_date <= day <= window.last_date:
        return [window]
    ends = end.time() if end.date() == day else dt.time.max
    if ends <= window.earliest_start or start.time() >= window.latest_end:
        return [window]  # outside the window's hours: nothing to take out
    one_day = dt.timedelta(days=1)
    hours = (window.earliest_start, window.latest_end)
    parts = []
    if window.first_date < day:
        parts.append(engine.RequestWindow(window.first_date, day - one_day, *hours))
    if day < window.last_date:
        parts.append(engine.RequestWindow(day + one_day, window.last_date, *hours))
    talk = dt.timedelta(minutes=minutes)
    for first, last in ((window.earliest_start, start.time()), (ends, window.latest_end)):
        if dt.datetime.combine(day, last) - dt.datetime.combine(day, first) >= talk:
            parts.append(engine.RequestWindow(day, day, first, last))
    return parts


def declined_times(request_ids: Iterable[int]) -> dict[int, set[tuple[dt.datetime, dt.datetime]]]:
    """Per request, the times its host turned down ("This time does not work"), read from the
    events' history: moving the event forgets the answer, the history keeps it."""
    rows = (
        Event.history.model.objects.filter(
            request_id__in=list(request_ids), host_answer=HostAnswer.DECLINED
        )
        .values_list("request_id", "starts_at", "ends_at")
        .distinct()
    )
    out: dict[int, set[tuple[dt.datetime, dt.datetime]]] = {}
    for request_id, starts_at, ends_at in rows:
        out.setdefault(request_id, set()).add((starts_at, ends_at))
    return out


def _weighted_audience(speaker_request: SpeakerRequest) -> int:
    """The engine values a request as audience × a named priority weight; our priority is a
    free weight, so it is folded into the audience it multiplies."""
    return max(1, round(speaker_request.expected_audience * speaker_request.priority))


def _as_engine_request(
    speaker_request: SpeakerRequest, declined: Iterable[tuple[dt.datetime, dt.datetime]] = ()
) -> engine.Request:
    return engine.Request(
        id=str(speaker_request.pk),
        location=engine.Location(
            # Planned requests are in person and located (open_requests_for).
            cast(float, speaker_request.latitude),
            cast(float, speaker_request.longitude),
            _city(speaker_request.city, speaker_request.state) or speaker_request.organization.name,
            speaker_request.timezone,
        ),
        timezone=speaker_request.timezone,
        duration_minutes=speaker_request.event_length_minutes,
        windows=_request_windows(speaker_request, declined),
        expected_audience=_weighted_audience(speaker_request),
        label=speaker_request.organization.name,
        state=speaker_request.state,
        city=_city(speaker_request.city, speaker_request.state),
    )


def _city(city: str, state: str) -> str:
    return ", ".join(part for part in (city, state) if part)


def _fixed_event_request(event: Event) -> engine.Request:
    """A staff-made or confirmed event as a request that can only happen where it is."""
    zone = ZoneInfo(event.timezone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    request_id = str(event.request_id) if event.request_id else f"{STAFF_EVENT_PREFIX}{event.pk}"
    return engine.Request(
        id=request_id,
        location=engine.Location(
            event.latitude or 0.0,
            event.longitude or 0.0,
            _city(event.city, event.state) or event.title,
            event.timezone,
        ),
        timezone=event.timezone,
        duration_minutes=int((event.ends_at - event.starts_at).total_seconds() // 60),
        windows=(engine.RequestWindow(start.date(), start.date(), start.time(), end.time()),),
        # A host's talk counts its audience in the plan's value like a proposed one; a staff
        # event without a host counts as one attendee.
        expected_audience=_weighted_audience(event.request) if event.request else 1,
        label=event.title,
        state=event.state,
        city=_city(event.city, event.state),
    )


def open_requests_for(tour: Tour):
    """In-person requests still open whose windows touch the tour's dates.

    A request with a live (tentative or confirmed) event in another tour is not proposed again:
    staff move it explicitly. Tentative unlocked events of this tour stay movable.
    """
    booked_elsewhere = (
        Event.objects.filter(status__in=LIVE_STATUSES, request__isnull=False)
        .exclude(tour=tour)
        .values("request_id")
    )
    return (
        SpeakerRequest.objects.filter(
            status__in=OPEN_REQUEST_STATUSES,
            format=SpeakerRequest.Format.IN_PERSON,
            latitude__isnull=False,
            longitude__isnull=False,
            windows__start_date__lte=tour.end_date,
            windows__end_date__gte=tour.start_date,
        )
        .exclude(events__status__in=AGREED_STATUSES)
        .exclude(pk__in=booked_elsewhere)
        .select_related("organization")
        .prefetch_related("windows")
        .distinct()
    )


def _commitments_elsewhere(
    tour: Tour, fellow_ids: Iterable[int], span_start: dt.datetime, span_end: dt.datetime
) -> list[engine.Commitment]:
    """Every live event the tour's fellows have in other tours, as places they must be.

    A day's margin either side keeps the travel to and from them in view. Only time and place
    go to the planner: another tour's titles and hosts stay out of this tour's proposal.
    """
    margin = dt.timedelta(days=1)
    events = (
        Event.objects.filter(
            status__in=LIVE_STATUSES,
            fellows__in=list(fellow_ids),
            starts_at__lt=span_end + margin,
            ends_at__gt=span_start - margin,
        )
        .exclude(tour=tour)
        .prefetch_related("fellows")
        .distinct()
    )
    wanted = set(fellow_ids)
    return [
        engine.Commitment(
            str(fellow.pk),
            event.starts_at,
            event.ends_at,
            engine.Location(event.latitude, event.longitude)
            if event.latitude is not None and event.longitude is not None
            else None,
        )
        for event in events
        for fellow in event.fellows.all()
        if fellow.pk in wanted
    ]


def build_problem(tour: Tour, *, only_booked: bool = False) -> engine.Problem:
    """The planner's input for a tour: its teams, open requests and the events that stay.

    ``only_booked``: every live event of the tour, each held where it is, and no request: the
    problem whose plan is the itinerary (travel, nights, rest) of exactly what is booked.

    Raises ValueError (a message for staff) for a tour without fellows.
    """
    teams = _tour_teams(tour)
    if not teams:
        raise ValueError(_("Add fellows to the tour before asking for a proposal."))
    fellow_team = {f.pk: team for team, fellows in teams.items() for f in fellows}
    tz = ZoneInfo(tour.timezone)
    span_start = dt.datetime.combine(tour.start_date, dt.time.min, tzinfo=tz)
    span_end = dt.datetime.combine(tour.end_date + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    blackouts = Unavailability.objects.filter(
        fellow_id__in=fellow_team, starts_at__lt=span_end, ends_at__gt=span_start
    )
    commitments = _commitments_elsewhere(tour, fellow_team, span_start, span_end)
    engine_teams = []
    for team_id, fellows in sorted(teams.items()):
        ids = {f.pk for f in fellows}
        engine_teams.append(
            engine.Team(
                id=team_id,
                fellow_ids=tuple(str(f.pk) for f in fellows),
                start_location=_start_location(tour, fellows),
                first_day=tour.start_date,
                last_day=tour.end_date,
                timezone=tour.timezone,
                work_start=tour.work_day_start,
                work_end=tour.work_day_end,
                earliest_departure=tour.earliest_departure,
                max_events_per_day=tour.max_events_per_day,
                min_gap_minutes=tour.min_gap_minutes,
                rest_weekdays=frozenset(tour.rest_weekdays or []),
                max_driving_minutes_per_day=int(tour.max_driving_hours_per_day * 60),
                unavailability=tuple(
                    engine.Unavailability(str(b.fellow_id), b.starts_at, b.ends_at)
                    for b in blackouts
                    if b.fellow_id in ids
                ),
                commitments=tuple(c for c in commitments if int(c.fellow_id) in ids),
                end_location=_end_location(tour),
                costs=tour_costs(tour),
                max_flights_per_week=tour.max_flights_per_week,
                region_states=frozenset(s.upper() for s in tour.region_states or ()),
                region_radius_km=tour.region_radius_km,
            )
        )

    # Confirmed and locked events stay; tentative unlocked ones may move.
    stays = Q(status__in=AGREED_STATUSES) | Q(status=Event.Status.TENTATIVE, locked=True)
    if only_booked:
        stays = Q(status__in=LIVE_STATUSES)
    staying = (
        Event.objects.filter(tour=tour)
        .filter(stays)
        .select_related("request")
        .prefetch_related("fellows")
    )
    requests: dict[str, engine.Request] = {}
    locked: list[engine.LockedEvent] = []
    for event in staying:
        team_ids = {
            team for f in event.fellows.all() if (team := fellow_team.get(f.pk)) is not None
        }
        if not team_ids or event.latitude is None:
            continue  # outside this tour's teams, or virtual: it cannot shape the route
        if not tour.start_date <= event.starts_at.astimezone(tz).date() <= tour.end_date:
            continue  # outside the tour's days (they were changed): no route reaches it
        fixed = _fixed_event_request(event)
        requests[fixed.id] = fixed
        locked.append(engine.LockedEvent(fixed.id, sorted(team_ids)[0], event.starts_at))
    open_requests = [] if only_booked else list(open_requests_for(tour))
    declined = declined_times(r.pk for r in open_requests)
    for speaker_request in open_requests:
        request = _as_engine_request(speaker_request, declined.get(speaker_request.pk, ()))
        if request.windows:  # else the host turned down every time they offered
            requests.setdefault(request.id, request)
    return engine.Problem(
        teams=tuple(engine_teams), requests=tuple(requests.values()), locked=tuple(locked)
    )


# -- running ---------------------------------------------------------------------------------


@transaction.atomic
def request_proposal(*, tour: Tour, by=None, seconds: float = 10.0, seed: int = 0) -> PlanningRun:
    """Store a queued proposal and hand it to a worker once the transaction commits."""
    run = PlanningRun.objects.create(
        tour=tour, requested_by=by, seconds=seconds, seed=seed, message=_("Waiting for a worker")
    )

    def enqueue() -> None:
        from events.tasks import run_planning

        try:
            run_planning.delay(run.pk)
        except Exception as exc:  # broker down: say so on the run instead of failing silently
            PlanningRun.objects.filter(pk=run.pk).update(
                status=PlanningRun.Status.FAILED, error=f"Could not queue the planner: {exc}"
            )

    transaction.on_commit(enqueue)
    return run


def _report(run_id: int, percent: int, message: str) -> None:
    PlanningRun.objects.filter(pk=run_id).update(progress=percent, message=message)


def run_proposal(run_id: int, *, on_progress: ProgressCallback | None = None) -> PlanningRun:
    """Run the planner for a stored proposal, reporting percent and a message as it goes.

    Whatever fails (ValueError for a tour without fellows, RuntimeError for a plan the verifier
    refuses, or the planner's own errors) marks the run failed with its error, then is raised.
    """
    run = PlanningRun.objects.select_related("tour").get(pk=run_id)

    def report(percent: int, message: str) -> None:
        _report(run_id, percent, message)
        if on_progress is not None:
            on_progress(percent, message)

    PlanningRun.objects.filter(pk=run_id).update(
        status=PlanningRun.Status.RUNNING, started_at=timezone.now()
    )
    try:
        report(2, _("Reading the tour, its fellows and open requests"))
        problem = build_problem(run.tour)
        report(5, _("Planning %(count)d requests") % {"count": len(problem.requests)})
        plan = _solve_with_progress(problem, run.seconds, run.seed, report)
        report(97, _("Checking the plan against every rule"))
        violations = engine.verify_plan(problem, plan)
        if violations:
            raise RuntimeError(
                "The planner produced a plan that breaks rules: "
                + "; ".join(v.message for v in violations[:5])
            )
    except Exception as exc:
        PlanningRun.objects.filter(pk=run_id).update(
            status=PlanningRun.Status.FAILED,
            error=str(exc),
            message=_("Planning failed"),
            finished_at=timezone.now(),
        )
        raise
    events_proposed = sum(len(d.events) for t in plan.teams for d in t.days)
    done_message = _("%(events)d events proposed, %(left)d requests left out") % {
        "events": events_proposed,
        "left": len(plan.left_out),
    }
    PlanningRun.objects.filter(pk=run_id).update(
        status=PlanningRun.Status.DONE,
        progress=100,
        message=done_message,
        problem=problem_to_json(problem),
        plan=plan_to_json(plan),
        finished_at=timezone.now(),
    )
    if on_progress is not None:
        on_progress(100, done_message)
    run.refresh_from_db()
    return run


def _solve_with_progress(problem, seconds: float, seed: int, report: ProgressCallback):
    """The engine's search is bounded by time, so elapsed time is an honest progress measure."""
    outcome: dict = {}

    def solve() -> None:
        try:
            outcome["plan"] = engine.plan_tour(problem, seconds=seconds, seed=seed)
        except BaseException as exc:  # re-raised in the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=solve, daemon=True)
    started = time.monotonic()
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.5)
        fraction = min(1.0, (time.monotonic() - started) / max(seconds, 0.1))
        report(5 + int(fraction * 90), _("Searching for the best itinerary"))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["plan"]


# -- accepting -------------------------------------------------------------------------------


def proposal_summary(run: PlanningRun) -> dict:
    """Totals and left-out requests with their reasons, for pages and the API."""
    if not run.plan:
        return {}
    plan = run.plan
    names = dict(
        SpeakerRequest.objects.filter(
            pk__in=[int(x["request_id"]) for x in plan["left_out"] if x["request_id"].isdigit()]
        ).values_list("pk", "organization__name")
    )
    events = [e for t in plan["teams"] for d in t["days"] for e in d["events"]]
    return {
        "events": len(events),
        # Events the plan keeps where they are (confirmed or locked): not in the table to accept.
        "kept": sum(1 for e in events if e["locked"]),
        "total_value": plan["total_value"],
        "total_cost": plan.get("total_cost", 0.0),
        "net_value": plan.get("net_value", plan["total_value"]),
        "total_km": plan["total_km"],
        # Driven and flown apart, as the per-team table and the tour's totals show them.
        "km_driven": sum(team.get("km_driven", 0) for team in plan["teams"]),
        "km_flown": sum(team.get("km_flown", 0) for team in plan["teams"]),
        "driving_hours": round(plan["driving_minutes"] / 60, 1),
        "teams": [_team_figures(team) for team in plan["teams"]],
        "left_out": [
            {
                **x,
                "organization": names.get(int(x["request_id"]))
                if x["request_id"].isdigit()
                else None,
            }
            for x in plan["left_out"]
        ],
    }


def _team_figures(team: dict) -> dict:
    """Per team, what staff weigh a proposal by: talks and people reached against travel."""
    return {
        "team": team["team_id"],
        "events": sum(len(d["events"]) for d in team["days"]),
        **{
            name: team.get(name, 0)
            for name in (
                "audience",
                "km_driven",
                "km_flown",
                "flights",
                "hotel_nights",
                "value",
                "cost",
                "net_value",
            )
        },
    }


@dataclass
class Acceptance:
    """What accepting a proposal did: events booked or moved to the proposal's times, and
    requests refused with the reasons."""

    booked: list[Event] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)
    # Tentative events the acceptance took off and did not book again (their hosts are told).
    cancelled: list[Event] = field(default_factory=list)


def events_replaced(*, tour: Tour, starts: dict[str, dt.datetime], whole: bool) -> list[Event]:
    """The tour's tentative, unlocked events that accepting a proposal cancels: those it moves
    (`starts`: request id -> the proposal's start) and, when the whole proposal is accepted,
    those it leaves out. Locked and confirmed events are never touched."""
    movable = Event.objects.filter(tour=tour, status=Event.Status.TENTATIVE, locked=False)
    return [
        event
        for event in movable.select_related("request__organization").order_by("starts_at")
        if (str(event.request_id) in starts and starts[str(event.request_id)] != event.starts_at)
        or (whole and str(event.request_id) not in starts)
    ]


def cancelled_by_accepting_all(run: PlanningRun) -> list[Event]:
    """What "Accept the whole proposal" would cancel without booking again, for the page to
    name before staff press it (the events it leaves out)."""
    if not run.plan:
        return []
    plan = plan_from_json(run.plan)
    starts = {
        planned.request_id: planned.start
        for team_plan in plan.teams
        for day in team_plan.days
        for planned in day.events
    }
    return [
        event
        for event in events_replaced(tour=run.tour, starts=starts, whole=True)
        if str(event.request_id) not in starts
    ]


@transaction.atomic
def accept_proposal(
    *, run: PlanningRun, request_ids: Iterable[str] | None = None, by=None
) -> Acceptance:
    """Turn the proposal (or the chosen requests of it) into tentative events and items.

    Tentative, unlocked events the proposal moves are moved in place (the same event and UID,
    SEQUENCE raised; its host is asked about the new time); one that cannot be moved while the
    others stand is cancelled and booked again. With the whole proposal accepted, tentative
    events it left out are cancelled and their hosts told. A request whose booking is refused
    is listed in `Acceptance.refused`, not raised.

    Raises ValidationError({"run": …}) for a proposal that is not finished, or older than one
    already accepted for the tour.
    """
    run = PlanningRun.objects.select_for_update().select_related("tour").get(pk=run.pk)
    if run.status != PlanningRun.Status.DONE or not run.plan:
        raise ValidationError({"run": _("Only a finished proposal can be accepted.")})
    newer = (
        PlanningRun.objects.filter(tour=run.tour_id, created_at__gt=run.created_at)
        .exclude(accepted_request_ids=[])
        .exists()
    )
    if newer:
        # Accepting it would move events back to older times and ask their hosts again.
        raise ValidationError(
            {"run": _("A newer proposal for this tour was accepted; ask for a fresh proposal.")}
        )
    tour = run.tour
    plan = plan_from_json(run.plan)
    wanted = None if request_ids is None else {str(r) for r in request_ids}
    teams = _tour_teams(tour)
    chosen = sorted(
        (
            (planned, teams.get(team_plan.team_id, []))
            for team_plan in plan.teams
            for day in team_plan.days
            for planned in day.events
            if not planned.locked
            and not planned.request_id.startswith(STAFF_EVENT_PREFIX)
            and (wanted is None or planned.request_id in wanted)
        ),
        key=lambda pair: pair[0].start,
    )
    # Staff cancelled these on the board after the proposal was made: accepting it must not
    # quietly book them again (a fresh proposal can).
    cancelled_since = _cancelled_since(tour, run, {p.request_id for p, _f in chosen})
    chosen = [(p, f) for p, f in chosen if p.request_id not in cancelled_since]
    starts = {planned.request_id: planned.start for planned, _fellows in chosen}

    arrivals = _arrivals(plan)
    outcome = Acceptance()
    replaced = events_replaced(tour=tour, starts=starts, whole=wanted is None)
    planned_by_request = {p.request_id: (p, f) for p, f in chosen}
    moves = {
        event.pk: (event, *planned_by_request[str(event.request_id)])
        for event in replaced
        if str(event.request_id) in planned_by_request
    }
    outcome.booked.extend(_move_in_place(tour, moves, run, arrivals))
    withdrawn: list[Event] = []
    for event in replaced:
        if event.pk in moves and event in outcome.booked:
            continue  # moved in place: same event, same UID, a higher SEQUENCE
        # Rewritten below; the host hears only the new time, or else that it is off.
        withdrawn.append(
            services.cancel_event(event=event, rewrite_itinerary=False, tell_host=False)
        )

    for request_id in sorted(cancelled_since):
        outcome.refused[request_id] = [
            _("Cancelled after this proposal was made; it was not booked again.")
        ]
    still_open = {
        str(pk)
        for pk in SpeakerRequest.objects.filter(
            pk__in=[int(p.request_id) for p, _f in chosen], status__in=OPEN_REQUEST_STATUSES
        ).values_list("pk", flat=True)
    }
    for planned, fellows in chosen:
        if planned.request_id not in still_open and not _booked_here(tour, planned):
            # Declined or withdrawn since the proposal was made: nothing is booked or written.
            outcome.refused[planned.request_id] = [
                _("The host's request is no longer open; it was not booked.")
            ]
            continue
        try:
            booked = _book_planned(
                tour, fellows, planned, run, arrivals.get(planned.request_id, tour.min_gap_minutes)
            )
        except services.BookingRefused as refused:
            outcome.refused[planned.request_id] = [f.message for f in refused.findings]
            continue
        if booked is not None:
            outcome.booked.append(booked)
    rewrite_itinerary(tour=tour)
    rebooked = {e.request_id for e in outcome.booked}
    for event in withdrawn:
        if event.request_id not in rebooked:
            services.tell_host_proposal_withdrawn(event=event)
    outcome.cancelled = [e for e in withdrawn if e.request_id not in rebooked]
    run.accepted_request_ids = sorted(
        {*run.accepted_request_ids, *(str(e.request_id) for e in outcome.booked)}
    )
    run.save(update_fields=["accepted_request_ids"])
    return outcome


def _move_in_place(
    tour: Tour,
    moves: dict[int, tuple[Event, engine.PlannedEvent, list]],
    run: PlanningRun,
    arrivals: dict,
) -> list[Event]:
    """Move the tentative events the proposal moves to its times, keeping each event (its UID
    in the fellows' feeds, a higher SEQUENCE) instead of cancelling it and booking a new one.

    One event's new time may be another's old one, so moves that a not-yet-moved event blocks
    are tried again after the others, while any succeed; what still cannot move is left to the
    caller to cancel and book again. Returns the events moved."""
    moved: list[Event] = []
    pending = dict(moves)
    while pending:
        progress = False
        for pk, (event, planned, fellows) in list(pending.items()):
            changes = {
                "starts_at": planned.start,
                "ends_at": planned.end,
                "arrival_minutes_before": arrivals.get(planned.request_id, tour.min_gap_minutes),
            }
            try:
                with transaction.atomic():
                    moved_event = _update_planned(event, changes, fellows, run)
            except services.BookingRefused:
                continue
            moved.append(moved_event)
            del pending[pk]
            progress = True
        if not progress:
            break
    return moved


def _update_planned(event: Event, changes: dict, fellows: list, run: PlanningRun) -> Event:
    """``services.update_event`` for one planned move, without the route check and itinerary
    (accept_proposal writes the itinerary once)."""
    return _as_planned(
        run,
        lambda reason: services.update_event(
            event=event,
            changes=changes,
            fellows=fellows or None,
            override_reason=reason,
            rewrite_itinerary=False,
        ),
    )


def _as_planned(run: PlanningRun, write: Callable[[str], Event]) -> Event:
    """``write(override_reason)`` without a reason, and again noting the proposal when only
    soft rules refuse: the planner keeps to windows in its own terms."""
    try:
        return write("")
    except services.BookingRefused as refused:
        if not {f.code for f in refused.findings} <= SOFT_FINDINGS:
            raise
        return write(_("Accepted from proposal #%(run)d") % {"run": run.pk})


def _booked_here(tour: Tour, planned) -> bool:
    return Event.objects.filter(
        tour=tour, request_id=int(planned.request_id), status__in=LIVE_STATUSES
    ).exists()


def _arrivals(plan: engine.Plan) -> dict[str, int]:
    """Minutes between the team's arrival (the day's last leg before it) and each event."""
    out: dict[str, int] = {}
    for team_plan in plan.teams:
        for day in team_plan.days:
            for planned in day.events:
                before = [leg for leg in day.legs if leg.arrive <= planned.start]
                if before:
                    arrival = max(leg.arrive for leg in before)
                    out[planned.request_id] = int((planned.start - arrival).total_seconds() // 60)
    return out


def _book_planned(
    tour: Tour, fellows: list, planned, run: PlanningRun, arrive_minutes_before: int
) -> Event | None:
    speaker_request = SpeakerRequest.objects.select_related("organization").get(
        pk=int(planned.request_id)
    )
    current = speaker_request.events.filter(tour=tour).exclude(status=Event.Status.CANCELLED)
    if current.filter(starts_at=planned.start).exists():
        return None  # already booked where the planner wants it
    booking = {
        "tour": tour,
        "fellows": fellows,
        "starts_at": planned.start,
        "ends_at": planned.end,
        "request": speaker_request,
        # The day sheet's "arrive by" is the itinerary's own arrival.
        "arrival_minutes_before": arrive_minutes_before,
        "rewrite_itinerary": False,  # accept_proposal writes it once, for all it booked
    }
    return _as_planned(run, lambda reason: services.book_event(**booking, override_reason=reason))


def _cancelled_since(tour: Tour, run: PlanningRun, request_ids: set[str]) -> set[str]:
    """Of ``request_ids``, those whose event in the tour was cancelled after the run finished
    and that have no live event now."""
    if run.finished_at is None:
        return set()
    ids = [int(r) for r in request_ids if r.isdigit()]
    cancelled = Event.objects.filter(
        tour=tour,
        request_id__in=ids,
        status=Event.Status.CANCELLED,
        cancelled_at__gt=run.finished_at,
    ).values_list("request_id", flat=True)
    live = Event.objects.filter(request_id__in=ids, status__in=LIVE_STATUSES).values_list(
        "request_id", flat=True
    )
    return {str(r) for r in set(cancelled) - set(live)}


def rewrite_itinerary(*, tour: Tour) -> None:
    """Write the travel, lodging and rest items of exactly the tour's live events.

    The route is recomputed by the planner for the events booked now (each held where it is),
    and replaces the planner's earlier items; items staff wrote stay.
    """
    teams = _tour_teams(tour)
    if not teams:
        return
    plan = booked_itinerary(tour)
    if plan is None:
        return
    for team_plan in plan.teams:
        _replace_itinerary(tour, teams.get(team_plan.team_id, []), team_plan)


def booked_itinerary(tour: Tour) -> engine.Plan | None:
    """The planner's route through exactly the tour's live events, each held where it is: the
    plan the itinerary's travel, nights and rest are written from (``rewrite_itinerary``) and
    the board's route figures are read from, so the two agree. One ``Plan``, no search.

    None for a tour with no fellows or no start: there is nothing to route from.
    """
    try:
        problem = build_problem(tour, only_booked=True)
        return engine.plan_tour(problem, seconds=5, work_units=1)  # nothing to search: all held
    except ValueError:  # no fellows or start; or held events the planner refuses by name
        return None


def itinerary_problems(tour: Tour, plan: engine.Plan | None) -> list[str]:
    """What makes ``plan`` (``booked_itinerary``) impossible to run, in words for staff: the
    planner's verifier on the booked events, each named by its title ("Princeton Theological
    Seminary: starts before the team has arrived."). Empty when the route keeps every rule.

    Booking rules check each event against its neighbours; a route can still break where
    working hours, a fellow's unavailability or the driving limit leave no way to get there,
    and staff see it here instead of in a fellow's calendar."""
    if plan is None:
        return []
    problem = build_problem(tour, only_booked=True)
    titles = {
        (str(e.request_id) if e.request_id else f"{STAFF_EVENT_PREFIX}{e.pk}"): e.title
        for e in Event.objects.filter(tour=tour, status__in=LIVE_STATUSES)
    }
    fellows = {
        str(pk): name
        for pk, name in TourMember.objects.filter(tour=tour).values_list(
            "fellow_id", "fellow__display_name"
        )
    }
    out: list[str] = []
    for violation in engine.verify_plan(problem, plan):
        message = _readable_problem(violation.message, fellows)
        name = titles.get(violation.request_id)
        if name and message.startswith(f"{violation.request_id} "):
            message = message[len(violation.request_id) + 1 :]
        line = f"{name}: {message}" if name else message
        if line not in out:  # one line per problem, however many blackouts repeat it
            out.append(line)
    return out


def _readable_problem(message: str, fellows: dict[str, str]) -> str:
    """The verifier's words for staff: a day as the board writes days, a fellow by name."""
    day = re.match(r"(\d{4}-\d{2}-\d{2}): ", message)
    if day:
        message = f"{format_day(dt.date.fromisoformat(day.group(1)))}: {message[day.end() :]}"
    return re.sub(
        r"fellow (\S+) is unavailable",
        lambda found: _("%(fellow)s is unavailable") % {"fellow": fellows.get(found[1], found[1])},
        message,
    )


def _replace_itinerary(tour: Tour, fellows: list, team_plan) -> None:
    """Swap the planner's earlier items for this team with the ones of ``team_plan``."""
    ItineraryItem.objects.filter(
        tour=tour, source=ItineraryItem.Source.PLANNER, fellows__in=fellows
    ).delete()
    days = list(team_plan.days)
    busy = [index for index, day in enumerate(days) if day.events or day.legs]
    if not busy:
        return  # nothing booked for this team: no travel, no nights, no rest to write
    start, end = days[0].start_location, days[-1].overnight_location
    for index, day in enumerate(days):
        items: list[ItineraryItem] = []
        sleeps = day.overnight_location
        zone_name = sleeps.timezone or tour.timezone
        zone = ZoneInfo(zone_name)
        # A night near the tour's start or end is spent at home (the planner's one rule);
        # any other night is a hotel night.
        away = not sleeps_at_home(sleeps, start, end)
        if day.rest and busy[0] < index < busy[-1]:
            begins = dt.datetime.combine(day.day, dt.time.min, tzinfo=zone)
            items.append(
                ItineraryItem(
                    kind=ItineraryItem.Kind.REST,
                    # At home it is just a rest day: "Rest day near Chicago" for a Chicago tour
                    # would read as a trip.
                    title=(
                        _("Rest day near %(place)s") % {"place": sleeps.label or "—"}
                        if away
                        else _("Rest day")
                    ),
                    starts_at=begins,
                    ends_at=begins + dt.timedelta(days=1),
                    to_location=sleeps.label,
                    timezone=zone_name,
                )
            )
        for leg in day.legs:
            items.append(
                ItineraryItem(
                    kind=ItineraryItem.Kind.TRAVEL,
                    title=_("%(mode)s to %(place)s")
                    % {
                        "mode": _("Fly") if leg.mode == "flight" else _("Drive"),
                        "place": leg.destination.label or _("next stop"),
                    },
                    starts_at=leg.depart,
                    ends_at=max(leg.arrive, leg.depart + dt.timedelta(minutes=1)),
                    from_location=leg.origin.label,
                    to_location=leg.destination.label,
                    distance_km=round(leg.km),  # whole km, as the board's total adds them
                    mode=(
                        ItineraryItem.Mode.FLIGHT
                        if leg.mode == "flight"
                        else ItineraryItem.Mode.DRIVE
                    ),
                    timezone=leg.origin.timezone or tour.timezone,
                    end_timezone=leg.destination.timezone or "",
                )
            )
        if index + 1 < len(days) and away:
            night = dt.datetime.combine(day.day, tour.work_day_end, tzinfo=zone)
            # The night ends when the team may leave (a morning talk's leg leaves this early).
            leaves = min(tour.earliest_departure, tour.work_day_start)
            morning = dt.datetime.combine(days[index + 1].day, leaves, tzinfo=zone)
            items.append(
                ItineraryItem(
                    kind=ItineraryItem.Kind.LODGING,
                    title=_("Overnight near %(place)s") % {"place": sleeps.label or "—"},
                    starts_at=night,
                    ends_at=morning,
                    to_location=sleeps.label,
                    timezone=zone_name,
                )
            )
        for item in items:
            item.tour = tour
            item.source = ItineraryItem.Source.PLANNER
            item.save()
            item.fellows.set(fellows)
