"""The plan verifier: checks any ``Plan`` against every hard rule and the request windows.

Written apart from the planner on purpose: it works on aware datetimes and the raw input, and
shares no feasibility code with ``tour.py`` (only the travel model, which is the definition of
travel time, the day rule in ``days.py``, and the dataclasses). A planner bug therefore shows
up here instead of being repeated here. Every planner test runs it; the CLI exposes it as
``verify``.

One checker per rule, each readable alone: a team checker takes the ``Facts`` of the run, a
team and that team's plan; a plan checker takes the facts and looks across teams. Each returns
the ``Violation``s of its one rule (its code is in its docstring); ``verify_plan`` runs them
all. To add a rule, write its checker and list it in ``TEAM_CHECKERS`` or ``PLAN_CHECKERS``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.days import event_day, working_hours
from planner.model import (
    REASONS,
    DayPlan,
    Location,
    Plan,
    PlannedEvent,
    Problem,
    Request,
    Team,
    TeamPlan,
    TravelLeg,
)
from planner.travel import (
    DEPARTURE_BUFFER_MINUTES,
    TravelCache,
    TravelModel,
    great_circle_km,
    in_region,
)

SAME_PLACE_KM = 0.1


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    team_id: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class Facts:
    """What every checker may read: the problem, the plan, and lookups built once."""

    problem: Problem
    plan: Plan
    travel: TravelCache
    requests: dict[str, Request]
    teams: dict[str, Team]


TeamChecker = Callable[[Facts, Team, TeamPlan], list[Violation]]
PlanChecker = Callable[[Facts], list[Violation]]


# -- helpers shared by the checkers (reading, not judging) ------------------------------------


def same_place(a: Location, b: Location) -> bool:
    return great_circle_km(a, b) < SAME_PLACE_KM


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def day_items(day: DayPlan) -> list[PlannedEvent | TravelLeg]:
    """The day's legs and events in time order (a leg before an event at the same minute)."""
    timed: list[tuple[datetime, int, PlannedEvent | TravelLeg]] = [
        (event.start, 1, event) for event in day.events
    ] + [(leg.depart, 0, leg) for leg in day.legs]
    return [item for _at, _order, item in sorted(timed, key=lambda x: (x[0], x[1]))]


def item_times(item: PlannedEvent | TravelLeg) -> tuple[datetime, datetime]:
    if isinstance(item, TravelLeg):
        return item.depart, item.arrive
    return item.start, item.end


def events_of(team_plan: TeamPlan) -> Iterator[tuple[DayPlan, PlannedEvent]]:
    for day in team_plan.days:
        for event in day.events:
            yield day, event


def final_location(team: Team, team_plan: TeamPlan) -> Location:
    """Where the team is after its last leg (the start when it never travels)."""
    here = team.start_location
    for day in team_plan.days:
        for item in day_items(day):
            if isinstance(item, TravelLeg):
                here = item.destination
    return here


def in_request_window(request: Request, event: PlannedEvent) -> bool:
    """Whether the event lies inside one of the host's windows, on the venue's wall clock."""
    zone = ZoneInfo(request.timezone)
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    for window in request.windows:
        day = start.date()
        if not window.first_date <= day <= window.last_date:
            continue
        opens = datetime.combine(day, window.earliest_start, tzinfo=zone)
        closes = datetime.combine(day, window.latest_end, tzinfo=zone)
        if opens <= start and end <= closes:
            return True
    return False


def known_events(
    facts: Facts, team_plan: TeamPlan
) -> Iterator[tuple[DayPlan, PlannedEvent, Request]]:
    """The team's events whose request the problem knows (``check_known_requests`` reports
    the others), with their request."""
    for day, event in events_of(team_plan):
        request = facts.requests.get(event.request_id)
        if request is not None:
            yield day, event, request


# -- team checkers: one rule each -------------------------------------------------------------


def check_tour_dates(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """outside_tour: nothing happens on a day outside the tour's first and last day."""
    return [
        Violation("outside_tour", f"{day.day.isoformat()} lies outside the tour's dates.", team.id)
        for day in team_plan.days
        if not team.first_day <= day.day <= team.last_day and (day.events or day.legs)
    ]


def check_rest_days(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """rest_day: a rest weekday has no events and no travel, unless staff hold an event there
    (a locked event: the booking rules let staff book a rest day with a reason), which keeps
    the travel it needs."""
    return [
        Violation(
            "rest_day", f"{day.day.isoformat()} is a rest day but has events or travel.", team.id
        )
        for day in team_plan.days
        if day.day.weekday() in team.rest_weekdays
        and (
            any(not event.locked for event in day.events)
            or (day.legs and not any(event.locked for event in day.events))
        )
    ]


def check_events_per_day(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """max_events: a day holds at most the tour's events per day."""
    return [
        Violation(
            "max_events",
            f"{day.day.isoformat()} has {len(day.events)} events, over the maximum "
            f"{team.max_events_per_day}.",
            team.id,
        )
        for day in team_plan.days
        if len(day.events) > team.max_events_per_day
    ]


def check_driving_limit(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """driving_limit: a day's driving (airport drives included) stays within the daily limit."""
    out = []
    for day in team_plan.days:
        driving = sum(leg.driving_minutes for leg in day.legs)
        if driving > team.max_driving_minutes_per_day:
            out.append(
                Violation(
                    "driving_limit",
                    f"{day.day.isoformat()} has {driving} driving minutes, over the limit "
                    f"{team.max_driving_minutes_per_day}.",
                    team.id,
                )
            )
    return out


def check_continuity(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """continuity: the team is where its plan says: each day starts where it slept, each leg
    leaves from where it is, each event is at its venue with the team there, and each night
    is spent where the day ended."""
    out = []
    here = team.start_location

    def broken(message: str, request_id: str = "") -> None:
        out.append(Violation("continuity", message, team.id, request_id))

    for day in team_plan.days:
        label = day.day.isoformat()
        if not same_place(day.start_location, here):
            broken(f"{label} starts somewhere other than where the team slept.")
        for item in day_items(day):
            if isinstance(item, TravelLeg):
                if not same_place(item.origin, here):
                    broken(f"{label}: a leg leaves from somewhere the team is not.")
                here = item.destination
                continue
            request = facts.requests.get(item.request_id)
            if request is None:
                continue
            if not same_place(item.location, request.location) or not same_place(
                item.location, here
            ):
                broken(f"{item.request_id}: the team is not at the venue.", item.request_id)
        if not same_place(day.overnight_location, here):
            broken(f"{label}: the overnight location is not where the day ended.")
    return out


def check_travel_times(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """travel_time: every leg lasts, and drives, what the travel model says."""
    out = []
    for day in team_plan.days:
        for leg in day.legs:
            expected = facts.travel.leg(leg.origin, leg.destination)
            if leg.arrive - leg.depart != timedelta(minutes=expected.minutes) or (
                leg.driving_minutes != expected.driving_minutes
            ):
                out.append(
                    Violation(
                        "travel_time",
                        f"{day.day.isoformat()}: a leg's duration does not match the travel model.",
                        team.id,
                    )
                )
    return out


def check_no_overlap(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """overlap: within a day, nothing starts before the previous leg or event has ended."""
    out = []
    for day in team_plan.days:
        busy_until: datetime | None = None
        for item in day_items(day):
            start, end = item_times(item)
            if busy_until is not None and start < busy_until:
                if isinstance(item, TravelLeg):
                    message = f"{day.day.isoformat()}: a leg starts before the previous event ends."
                    out.append(Violation("overlap", message, team.id))
                else:
                    message = f"{item.request_id} starts before the team has arrived."
                    out.append(Violation("overlap", message, team.id, item.request_id))
            busy_until = end
    return out


def check_arrival_buffer(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """arrival_buffer: an event after a leg starts at least the tour's minimum gap after the
    team arrives (an event that starts before arrival is an ``overlap`` instead)."""
    gap = timedelta(minutes=team.min_gap_minutes)
    out = []
    for day in team_plan.days:
        arrived: datetime | None = None
        for item in day_items(day):
            if isinstance(item, TravelLeg):
                arrived = item.arrive
                continue
            if arrived is not None and arrived <= item.start < arrived + gap:
                out.append(
                    Violation(
                        "arrival_buffer",
                        f"{item.request_id} starts less than {team.min_gap_minutes} minutes "
                        "after the team arrives.",
                        team.id,
                        item.request_id,
                    )
                )
            arrived = None
    return out


def check_departure_buffer(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """departure_buffer: a leg leaves at least ``DEPARTURE_BUFFER_MINUTES`` after the event
    before it on the same day ends (nobody drives off the minute a talk ends)."""
    buffer = timedelta(minutes=DEPARTURE_BUFFER_MINUTES)
    out = []
    for day in team_plan.days:
        ended: PlannedEvent | None = None
        for item in day_items(day):
            if isinstance(item, PlannedEvent):
                ended = item
                continue
            if ended is not None and ended.end <= item.depart < ended.end + buffer:
                out.append(
                    Violation(
                        "departure_buffer",
                        f"{day.day.isoformat()}: a leg leaves less than "
                        f"{DEPARTURE_BUFFER_MINUTES} minutes after {ended.request_id} ends.",
                        team.id,
                        ended.request_id,
                    )
                )
            ended = None
    return out


def check_known_requests(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """unknown_request: every event is for a request of the problem."""
    return [
        Violation(
            "unknown_request",
            f"{day.day.isoformat()}: unknown request {event.request_id}.",
            team.id,
            event.request_id,
        )
        for day, event in events_of(team_plan)
        if event.request_id not in facts.requests
    ]


def check_durations(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """duration: every event lasts exactly as long as its request asks."""
    return [
        Violation(
            "duration",
            f"{event.request_id} does not last {request.duration_minutes} minutes.",
            team.id,
            event.request_id,
        )
        for _day, event, request in known_events(facts, team_plan)
        if event.end - event.start != timedelta(minutes=request.duration_minutes)
    ]


def check_event_days(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """wrong_day: an event is listed on its own day, the local date at its venue."""
    return [
        Violation(
            "wrong_day",
            f"{event.request_id} is listed on {day.day.isoformat()} but is not on that day.",
            team.id,
            event.request_id,
        )
        for day, event, request in known_events(facts, team_plan)
        if event_day(event.start, request.timezone) != day.day
    ]


def check_region(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """outside_region: every planned (unlocked) event lies in the team's region."""
    return [
        Violation(
            "outside_region",
            f"{event.request_id} lies outside the team's region.",
            team.id,
            event.request_id,
        )
        for _day, event, request in known_events(facts, team_plan)
        if not event.locked and not in_region(team, request)
    ]


def check_request_windows(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """outside_window: every planned (unlocked) event lies inside one of the windows its host
    gave; staff may hold one elsewhere with a reason (the booking rules' warning)."""
    return [
        Violation(
            "outside_window",
            f"{event.request_id} at {event.start.isoformat()} is outside every window the host "
            "gave.",
            team.id,
            event.request_id,
        )
        for _day, event, request in known_events(facts, team_plan)
        if not event.locked and not in_request_window(request, event)
    ]


def check_event_working_hours(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """working_hours (events): a planned (unlocked) event keeps to the tour's working hours of
    its day at its venue (the same day rule as the booking rules, ``days.working_hours``, whose
    warning staff may override for an event they hold)."""
    out = []
    for day, event, request in known_events(facts, team_plan):
        if event.locked:
            continue
        opens, closes = working_hours(day.day, request.timezone, team.work_start, team.work_end)
        if event.start < opens or event.end > closes:
            out.append(
                Violation(
                    "working_hours",
                    f"{event.request_id} runs outside the working hours at its venue "
                    f"({event.start:%H:%M}Z-{event.end:%H:%M}Z).",
                    team.id,
                    event.request_id,
                )
            )
    return out


def check_travel_working_hours(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """working_hours (travel): a leg keeps to the tour's working hours in the tour's zone; the
    leg to the day's first talk may leave from the team's earliest departure (``leaves_from``)."""
    out = []
    for day in team_plan.days:
        opens, closes = working_hours(day.day, team.timezone, team.work_start, team.work_end)
        early, _closes = working_hours(day.day, team.timezone, team.leaves_from, team.work_end)
        first_talk = min((event.start for event in day.events), default=None)
        for leg in day.legs:
            morning = first_talk is not None and leg.arrive <= first_talk
            if leg.depart < (early if morning else opens) or leg.arrive > closes:
                out.append(
                    Violation(
                        "working_hours",
                        f"{day.day.isoformat()}: a leg runs outside the tour's working hours "
                        f"({leg.depart:%H:%M}Z-{leg.arrive:%H:%M}Z).",
                        team.id,
                    )
                )
    return out


def check_unavailability(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """unavailability: no event or leg overlaps a blackout of one of the team's fellows."""
    blackouts = [
        u for u in team.unavailability if not team.fellow_ids or u.fellow_id in team.fellow_ids
    ]
    out = []
    for day in team_plan.days:
        for item in day_items(day):
            start, end = item_times(item)
            for blackout in blackouts:
                if overlaps(start, end, blackout.start, blackout.end):
                    out.append(
                        Violation(
                            "unavailability",
                            f"{day.day.isoformat()}: scheduled while fellow "
                            f"{blackout.fellow_id} is unavailable.",
                            team.id,
                            getattr(item, "request_id", ""),
                        )
                    )
    return out


def check_flight_cap(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """flight_cap: flights per tour-week (7 days from the first day), the first leg out and
    the trip home aside, at most ``max_flights_per_week``."""
    if team.max_flights_per_week is None:
        return []
    legs = [(day.day, leg) for day in team_plan.days for leg in day.legs]
    if legs and same_place(legs[0][1].origin, team.start_location):
        legs = legs[1:]
    if legs and same_place(legs[-1][1].destination, team.home):
        legs = legs[:-1]
    weeks: dict[int, int] = defaultdict(int)
    for day, leg in legs:
        if leg.mode == "flight":
            weeks[(day - team.first_day).days // 7] += 1
    return [
        Violation(
            "flight_cap",
            f"Week {week + 1} of the tour has {count} flight{'' if count == 1 else 's'}, over "
            f"the cap of {team.max_flights_per_week} (first leg out and trip home aside).",
            team.id,
        )
        for week, count in sorted(weeks.items())
        if count > team.max_flights_per_week
    ]


def check_ends_at_home(facts: Facts, team: Team, team_plan: TeamPlan) -> list[Violation]:
    """not_home: a team that went anywhere ends the tour at its end location."""
    busy = any(day.events or day.legs for day in team_plan.days)
    if busy and not same_place(final_location(team, team_plan), team.home):
        where = team.home.label or "the end location"
        return [Violation("not_home", f"The tour ends away from {where}.", team.id)]
    return []


# -- plan checkers: rules across teams -------------------------------------------------------


def check_teams_known(facts: Facts) -> list[Violation]:
    """unknown_team: every team in the plan is a team of the problem."""
    return [
        Violation("unknown_team", f"Plan has unknown team {team_plan.team_id}.")
        for team_plan in facts.plan.teams
        if team_plan.team_id not in facts.teams
    ]


def planned_request_ids(facts: Facts) -> list[tuple[str, str]]:
    """(team, request) for every event of a known team with a known request, in plan order."""
    return [
        (team_plan.team_id, event.request_id)
        for team_plan in facts.plan.teams
        if team_plan.team_id in facts.teams
        for _day, event in events_of(team_plan)
        if event.request_id in facts.requests
    ]


def check_each_request_once(facts: Facts) -> list[Violation]:
    """duplicate: a request is planned at most once, across all teams."""
    seen: set[str] = set()
    out = []
    for team_id, request_id in planned_request_ids(facts):
        if request_id in seen:
            out.append(
                Violation("duplicate", f"{request_id} is planned twice.", team_id, request_id)
            )
        seen.add(request_id)
    return out


def check_fellow_double_booking(facts: Facts) -> list[Violation]:
    """double_booking: a fellow, on any team or commitment elsewhere, is never in two places
    at once: between two things the fellow does there is the travel between them plus the
    tour's minimum gap."""
    # (start, end, place or None, gap, team, request id; "" marks a commitment elsewhere)
    by_fellow: dict[str, list[tuple[datetime, datetime, Location | None, int, str, str]]] = (
        defaultdict(list)
    )
    for team in facts.problem.teams:
        for c in team.commitments:
            by_fellow[c.fellow_id].append(
                (c.start, c.end, c.location, team.min_gap_minutes, team.id, "")
            )
    for team_plan in facts.plan.teams:
        planned_team = facts.teams.get(team_plan.team_id)
        if planned_team is None:
            continue
        for _day, event in events_of(team_plan):
            for fellow in planned_team.fellow_ids or (f"team:{planned_team.id}",):
                by_fellow[fellow].append(
                    (
                        event.start,
                        event.end,
                        event.location,
                        planned_team.min_gap_minutes,
                        planned_team.id,
                        event.request_id,
                    )
                )
    out = []
    for fellow, items in by_fellow.items():
        items.sort(key=lambda x: x[0])
        for (_s0, e0, l0, gap0, t0, r0), (s1, _e1, l1, gap1, t1, r1) in zip(
            items, items[1:], strict=False
        ):
            if not r0 and not r1:
                continue  # two commitments: given, not planned
            travel = facts.travel.leg(l0, l1).minutes if l0 is not None and l1 is not None else 0
            if s1 < e0 + timedelta(minutes=travel + (gap0 if r0 else gap1)):
                first, second = r0 or "a commitment elsewhere", r1 or "a commitment elsewhere"
                out.append(
                    Violation(
                        "double_booking",
                        f"Fellow {fellow}: {second} starts {s1:%Y-%m-%d %H:%M}Z, less than travel "
                        f"plus the minimum gap after {first} ends {e0:%H:%M}Z.",
                        t1 if r1 else t0,
                        r1 or r0,
                    )
                )
    return out


def check_locked_events(facts: Facts) -> list[Violation]:
    """locked_moved: every locked event is in the plan, on its team, at its start."""
    placed = {
        (team_plan.team_id, event.request_id, event.start)
        for team_plan in facts.plan.teams
        for _day, event in events_of(team_plan)
    }
    return [
        Violation(
            "locked_moved",
            f"Locked event {lock.request_id} is not on team {lock.team_id} at "
            f"{lock.start.isoformat()}.",
            lock.team_id,
            lock.request_id,
        )
        for lock in facts.problem.locked
        if (lock.team_id, lock.request_id, lock.start.astimezone(UTC)) not in placed
    ]


def check_reason_codes(facts: Facts) -> list[Violation]:
    """bad_reason: every left-out request has one of the known reason codes."""
    return [
        Violation("bad_reason", f"Unknown reason {left.reason!r}.", "", left.request_id)
        for left in facts.plan.left_out
        if left.reason not in REASONS
    ]


def check_left_out_not_planned(facts: Facts) -> list[Violation]:
    """left_out_but_planned: a request is either planned or left out, not both."""
    planned = {request_id for _team, request_id in planned_request_ids(facts)}
    return [
        Violation(
            "left_out_but_planned",
            f"{left.request_id} is both planned and left out.",
            "",
            left.request_id,
        )
        for left in facts.plan.left_out
        if left.request_id in planned
    ]


def check_every_request_accounted(facts: Facts) -> list[Violation]:
    """unaccounted: every request of the problem is planned or left out with a reason."""
    accounted = {request_id for _team, request_id in planned_request_ids(facts)}
    accounted |= {left.request_id for left in facts.plan.left_out}
    return [
        Violation("unaccounted", f"{rid} is neither planned nor left out.", "", rid)
        for rid in facts.requests
        if rid not in accounted
    ]


TEAM_CHECKERS: tuple[TeamChecker, ...] = (
    check_tour_dates,
    check_rest_days,
    check_events_per_day,
    check_driving_limit,
    check_continuity,
    check_travel_times,
    check_no_overlap,
    check_departure_buffer,
    check_arrival_buffer,
    check_known_requests,
    check_durations,
    check_event_days,
    check_region,
    check_request_windows,
    check_event_working_hours,
    check_travel_working_hours,
    check_unavailability,
    check_flight_cap,
    check_ends_at_home,
)
PLAN_CHECKERS: tuple[PlanChecker, ...] = (
    check_teams_known,
    check_each_request_once,
    check_fellow_double_booking,
    check_locked_events,
    check_reason_codes,
    check_left_out_not_planned,
    check_every_request_accounted,
)


def verify_plan(problem: Problem, plan: Plan, travel: TravelModel | None = None) -> list[Violation]:
    """Every broken rule in ``plan``; an empty list means the plan may be booked as it is."""
    facts = Facts(
        problem=problem,
        plan=plan,
        travel=TravelCache(travel),
        requests={r.id: r for r in problem.requests},
        teams={t.id: t for t in problem.teams},
    )
    out: list[Violation] = []
    for team_plan in plan.teams:
        team = facts.teams.get(team_plan.team_id)
        if team is not None:
            for team_checker in TEAM_CHECKERS:
                out += team_checker(facts, team, team_plan)
    for plan_checker in PLAN_CHECKERS:
        out += plan_checker(facts)
    return out
