"""Writes for requests and events: booking, rescheduling, confirming and cancelling, tours'
changes, and the messages events call for (due reminders, a host contact's moved invites).

Each function runs in one transaction, checks the booking rules of events/rules.py, keeps the
EventAssignment rows in step with the event and returns the saved object. Views, the API,
admin actions, tasks and commands call these; none of them writes events on its own.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from common import local_times, time_display
from common.geocoding import UnknownZip, locate_zip
from events import lifecycle, selectors
from events.models import (
    LIVE_STATUSES,
    Event,
    EventAssignment,
    HostAnswer,
    RequestStatusChange,
    SpeakerRequest,
)
from events.rules import Finding, Slot, hard_rule_violations, soft_rule_warnings
from fellows import services as fellow_services
from fellows.models import Fellow, ItineraryItem, Tour
from notifications import services as notifications
from notifications.models import Notification
from planner.days import is_rest_day

logger = logging.getLogger(__name__)


class BookingRefused(ValidationError):
    """A booking broke a hard rule, or a soft one without an override reason."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        by_field: dict[str, list[str]] = {}
        for finding in self.findings:
            by_field.setdefault(finding.field, []).append(finding.message)
        super().__init__(by_field)


def _lock_fellows(fellows: Sequence[Fellow]) -> list[Fellow]:
    """Lock the fellows' rows in a fixed order so concurrent bookings queue instead of racing."""
    ids = sorted({f.pk for f in fellows})
    return list(Fellow.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def check_booking(
    *,
    slot: Slot,
    request: SpeakerRequest | None = None,
    timezone_name: str | None = None,
    override_reason: str = "",
) -> list[Finding]:
    """Raise BookingRefused for hard-rule violations or unexcused warnings; return warnings."""
    violations = hard_rule_violations(slot)
    if violations:
        raise BookingRefused(violations)
    warnings = soft_rule_warnings(slot, request=request, timezone=timezone_name)
    if warnings and not override_reason.strip():
        needs_reason = Finding(
            "override_required",
            "override_reason",
            _("Give a reason to book despite these warnings."),
        )
        raise BookingRefused([*warnings, needs_reason])
    return warnings


def _sync_assignments(event: Event, fellows: Sequence[Fellow]) -> None:
    active = event.status != Event.Status.CANCELLED
    EventAssignment.objects.filter(event=event).exclude(fellow__in=fellows).delete()
    for fellow in fellows:
        EventAssignment.objects.update_or_create(
            event=event,
            fellow=fellow,
            defaults={"starts_at": event.starts_at, "ends_at": event.ends_at, "active": active},
        )


def _save_checked(event: Event, fellows: Sequence[Fellow]) -> Event:
    event.full_clean(exclude=["fellows"])
    try:
        with transaction.atomic():
            event.save()
            _sync_assignments(event, fellows)
    except IntegrityError as exc:
        if "one_live_event_per_request" in str(exc):
            raise BookingRefused(
                [Finding("request_booked", "request", _("This request is booked already."))]
            ) from exc
        # The exclusion constraint caught a race the row locks did not (e.g. a fellow added
        # through another path); report it like any other overlap.
        raise BookingRefused(
            [Finding("overlap", "starts_at", _("A fellow is already booked at that time."))]
        ) from exc
    return event


def venue_zone(*, request: SpeakerRequest | None, tour: Tour, given: str | None = None) -> str:
    """The IANA zone an event's wall-clock times are read and shown in: the one staff gave,
    else its request's venue's, else (an event without a request) the tour's."""
    return given or (request.timezone if request is not None else "") or tour.timezone


@transaction.atomic
def book_event(
    *,
    tour: Tour,
    fellows: Sequence[Fellow],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    title: str = "",
    request: SpeakerRequest | None = None,
    status: str = Event.Status.TENTATIVE,
    override_reason: str = "",
    locked: bool = False,
    rewrite_itinerary: bool = True,
    **details,
) -> Event:
    """Create an event for fellows of a tour, after every booking rule agrees, and write the
    tour's itinerary for what is now booked (``rewrite_itinerary=False`` for a caller that
    rewrites it itself once it has booked several).

    Raises BookingRefused for a broken rule, a closed request or one that already has a live
    (tentative or confirmed) event anywhere.
    """
    fellows = _lock_fellows(fellows)
    location = {}
    if request is not None:
        request = SpeakerRequest.objects.select_for_update().get(pk=request.pk)
        _check_request_bookable(request)
        location = {
            "venue_name": request.organization.name,
            "street": request.street,
            "city": request.city,
            "state": request.state,
            "zip_code": request.zip_code,
            "latitude": request.latitude,
            "longitude": request.longitude,
            "timezone": request.timezone,
        }
    location.update(details)
    location["timezone"] = venue_zone(request=request, tour=tour, given=details.get("timezone"))
    # The tour's minimum gap holds after every arrival too (DESIGN: rules); the planner passes
    # its itinerary's own arrival instead.
    location.setdefault("arrival_minutes_before", tour.min_gap_minutes)
    event = Event(
        tour=tour,
        request=request,
        title=title or (request.organization.name if request else _("Event")),
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        locked=locked,
        window_override_reason=override_reason.strip(),
        **location,
    )
    _check_zone(event.timezone)
    slot = Slot(
        tour=tour,
        fellows=fellows,
        starts_at=starts_at,
        ends_at=ends_at,
        latitude=event.latitude,
        longitude=event.longitude,
        timezone=event.timezone,
    )
    check_booking(
        slot=slot, request=request, timezone_name=event.timezone, override_reason=override_reason
    )
    route_before = _route_problems(tour) if rewrite_itinerary else None
    event = _save_checked(event, fellows)
    if route_before is not None:
        _refuse_new_route_breaks(tour, route_before, override_reason)
        _follow_with_itinerary(tour)
    if request is not None and request.status in (
        SpeakerRequest.Status.SUBMITTED,
        SpeakerRequest.Status.IN_REVIEW,
    ):
        set_request_status(speaker_request=request, status=SpeakerRequest.Status.PROPOSED)
    if request is not None and event.status == Event.Status.TENTATIVE:
        _propose_to_host(event)
    return event


def _propose_to_host(event: Event, *, replaces: Event | None = None) -> None:
    """Ask the host of the event's request whether its tentative time works
    (events.selectors.host_url); ``replaces``, the event as it was before a move, names the
    time this one replaces when the host was asked about it."""
    assert event.request is not None, "only an event booked for a request is proposed"
    earlier = ""
    if (
        replaces is not None
        and event.notifications.filter(kind=Notification.Kind.PROPOSAL).exists()
    ):
        earlier = time_display.format_date_time(replaces.starts_at, replaces.timezone)
    notifications.queue_proposal(
        event=event, host_url=selectors.host_url(speaker_request=event.request), replaces=earlier
    )


# Fields a calendar shows: changing any of them (or the fellows) raises SEQUENCE and tells the
# host of a confirmed event what changed. Other fields (day-sheet notes, on-site contact,
# visibility, lock) reach the fellows' feeds through `updated_at` alone.
CALENDAR_FIELDS = (
    "tour",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "street",
    "city",
    "state",
    "zip_code",
    "latitude",
    "longitude",
)
# What staff set on an event, the one list: the admin's form and the API take their fields
# from it (tests/events/test_request_fields.py checks every Event field is placed).
EDITABLE_FIELDS = (
    *CALENDAR_FIELDS,
    "visibility",
    "locked",
    "onsite_contact_name",
    "onsite_contact_phone",
    "arrival_minutes_before",
    "day_sheet_notes",
    "attendance",
)
PLACE_FIELDS = ("venue_name", "street", "city", "state", "zip_code")


def _check_zone(zone: str) -> None:
    if not local_times.is_zone_name(zone):
        raise ValidationError({"timezone": _("Not a time zone; use a name like America/Chicago.")})


def with_located_venue(*, event: Event, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` plus the coordinates and time zone of a new ZIP code, when staff changed the
    address but not the coordinates: the travel-time rules must see where the venue now is.

    Raises ValidationError({"zip_code": …}) for a ZIP code that does not exist (in that state).
    """
    changes = dict(changes)
    new_zip = changes.get("zip_code")
    if (
        not new_zip
        or new_zip == event.zip_code
        or {"latitude", "longitude"}
        & {name for name in changes if changes[name] != getattr(event, name)}
    ):
        return changes
    try:
        place = locate_zip(new_zip, changes.get("state") or event.state or None)
    except UnknownZip as exc:
        raise ValidationError(
            {"zip_code": _("No such ZIP code in that state; check both, or give coordinates.")}
        ) from exc
    changes.update(latitude=place.latitude, longitude=place.longitude)
    if "timezone" not in changes or changes["timezone"] == event.timezone:
        changes["timezone"] = place.timezone
    return changes


_route_collector: ContextVar[list[Finding] | None] = ContextVar("route_collector", default=None)


class _CheckOnly(Exception):
    """Rolls back the savepoint of ``route_warnings``."""


def route_warnings(change: Callable[[str], object]) -> list[Finding]:
    """The route warnings (code "route") that ``change`` (a booking or a move, given an
    override reason) would bring, without keeping it: the change runs in a savepoint that is
    always rolled back, notifications and itinerary included. For the board's "Check"."""
    found: list[Finding] = []
    token = _route_collector.set(found)
    try:
        with transaction.atomic():
            change(_("(checking only)"))
            raise _CheckOnly
    except (_CheckOnly, BookingRefused, ValidationError):
        pass
    finally:
        _route_collector.reset(token)
    return found


def _route_problems(tour: Tour) -> set[str]:
    """What the route through the tour's booked events breaks now (events.proposals)."""
    from events.proposals import booked_itinerary, itinerary_problems  # they book through us

    try:
        return set(itinerary_problems(tour, booked_itinerary(tour)))
    except ValueError:  # a tour the planner cannot read (no fellows, no start)
        return set()


def _refuse_new_route_breaks(tour: Tour, before: set[str], override_reason: str) -> None:
    """Raise BookingRefused (a warning a reason covers) when the change just saved leaves the
    fellows' route unable to reach a talk that it reached before: the booking rules check an
    event against its neighbours, the route also knows working hours, unavailability and the
    driving limit between them. The caller's transaction rolls the change back."""
    new = sorted(_route_problems(tour) - before)
    collector = _route_collector.get()
    if collector is not None:  # route_warnings: report, the savepoint is rolled back anyway
        collector.extend(Finding("route", "starts_at", problem) for problem in new)
        return
    if new and not override_reason.strip():
        raise BookingRefused(
            [
                *(Finding("route", "starts_at", problem) for problem in new),
                Finding(
                    "override_required",
                    "override_reason",
                    _("Give a reason to book despite these warnings."),
                ),
            ]
        )


def _follow_with_itinerary(tour: Tour) -> None:
    """Rewrite the planner's travel, lodging and rest items of a tour after one of its events
    was booked, moved or cancelled, so fellows' feeds never route them to the old place and the
    board's route figures (``events.proposals.booked_itinerary``) are the items fellows get.

    Items staff wrote stay, and a tour whose travel staff write by hand (travel or lodging
    items of theirs, none of the planner's) is left to them. A planner that cannot route the
    tour as booked leaves the old items and logs why: the booking itself passed the rules.
    """
    from events.proposals import rewrite_itinerary  # the planner service books through us

    items = ItineraryItem.objects.filter(tour=tour)
    travel_by_hand = items.filter(
        source=ItineraryItem.Source.STAFF,
        kind__in=[ItineraryItem.Kind.TRAVEL, ItineraryItem.Kind.LODGING],
    )
    if travel_by_hand.exists() and not items.filter(source=ItineraryItem.Source.PLANNER).exists():
        return
    try:
        with transaction.atomic():
            rewrite_itinerary(tour=tour)
    except Exception:  # the planner's own errors are many; the change itself must stand
        logger.warning("Itinerary of tour %s not rewritten", tour.pk, exc_info=True)


def _local(moment: dt.datetime, zone: str) -> str:
    return time_display.format_date_time(moment, zone)


def describe_changes(
    *, before: Event, after: Event, fellows_before: Sequence[str], fellows_after: Sequence[str]
) -> list[str]:
    """What a host reads in an update: one "what: old → new" line per changed aspect."""
    lines = []
    if (before.starts_at, before.ends_at, before.timezone) != (
        after.starts_at,
        after.ends_at,
        after.timezone,
    ):
        lines.append(
            _("Time: %(old)s → %(new)s")
            % {
                "old": _local(before.starts_at, before.timezone),
                "new": _local(after.starts_at, after.timezone),
            }
        )
    if [getattr(before, f) for f in PLACE_FIELDS] != [getattr(after, f) for f in PLACE_FIELDS]:
        lines.append(
            _("Place: %(old)s → %(new)s")
            % {"old": before.location_text or "—", "new": after.location_text or "—"}
        )
    if before.title != after.title:
        lines.append(_("Title: %(old)s → %(new)s") % {"old": before.title, "new": after.title})
    if sorted(fellows_before) != sorted(fellows_after):
        lines.append(
            _("Speakers: %(old)s → %(new)s")
            % {
                "old": ", ".join(sorted(fellows_before)) or "—",
                "new": ", ".join(sorted(fellows_after)) or "—",
            }
        )
    return lines


@transaction.atomic
def update_event(
    *,
    event: Event,
    changes: Mapping[str, Any] | None = None,
    fellows: Sequence[Fellow] | None = None,
    override_reason: str = "",
    rewrite_itinerary: bool = True,
) -> Event:
    """Change an event's details and/or fellows: the one write path for every door.

    `changes` maps names in EDITABLE_FIELDS to new values. A change to anything a calendar
    shows (time, place, title, tour, fellows) re-checks every booking rule for the new slot,
    raises SEQUENCE and, for a confirmed event, queues the host's update saying what changed
    (old → new); the route is checked and the itinerary rewritten as in ``book_event``
    (``rewrite_itinerary=False`` for a caller that does it once for several). Raises
    BookingRefused for a broken rule and ValidationError for an unknown field or a cancelled or
    completed event.
    """
    changes = dict(changes or {})
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    event = Event.objects.select_for_update().get(pk=event.pk)
    changes = with_located_venue(event=event, changes=changes)
    before = copy.copy(event)
    current_fellows = list(event.fellows.all())
    changed = {name for name, value in changes.items() if getattr(event, name) != value}
    fellows_changed = fellows is not None and {f.pk for f in fellows} != {
        f.pk for f in current_fellows
    }
    calendar_change = fellows_changed or bool(changed & set(CALENDAR_FIELDS))
    if not changed and not fellows_changed:
        return event
    if calendar_change and event.status in (Event.Status.CANCELLED, Event.Status.COMPLETED):
        raise ValidationError({"status": _("A cancelled or completed event cannot be moved.")})
    for name in changed:
        setattr(event, name, changes[name])
    _check_zone(event.timezone)
    chosen = _lock_fellows(fellows if fellows is not None else current_fellows)
    if calendar_change:
        slot = Slot(
            tour=event.tour,
            fellows=chosen,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            latitude=event.latitude,
            longitude=event.longitude,
            exclude_event_id=event.pk,
            timezone=event.timezone,
        )
        check_booking(
            slot=slot,
            request=event.request,
            timezone_name=event.timezone,
            override_reason=override_reason,
        )
        if override_reason.strip():
            event.window_override_reason = override_reason.strip()
        event.sequence += 1
        if event.status == Event.Status.TENTATIVE:
            # The host answered about the old time; the new one needs its own answer.
            event.host_answer, event.host_answer_comment, event.host_answered_at = "", "", None
    route_before = _route_problems(event.tour) if calendar_change and rewrite_itinerary else None
    event = _save_checked(event, chosen)
    if route_before is not None:
        _refuse_new_route_breaks(event.tour, route_before, override_reason)
        _follow_with_itinerary(event.tour)
    if calendar_change and event.status == Event.Status.TENTATIVE and event.request_id:
        _propose_to_host(event, replaces=before)
    if calendar_change and event.status == Event.Status.CONFIRMED:
        notifications.queue_event_update(
            event=event,
            changes=describe_changes(
                before=before,
                after=event,
                fellows_before=[f.display_name for f in current_fellows],
                fellows_after=[f.display_name for f in chosen],
            ),
        )
    return event


def reschedule_event(
    *,
    event: Event,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    fellows: Sequence[Fellow] | None = None,
    override_reason: str = "",
) -> Event:
    """Move an event (and optionally change its fellows); see update_event."""
    return update_event(
        event=event,
        changes={"starts_at": starts_at, "ends_at": ends_at},
        fellows=fellows,
        override_reason=override_reason,
    )


@transaction.atomic
def confirm_event(*, event: Event, note: str = "") -> Event:
    """Confirm a tentative event; the host's invite is queued by the notifications app.

    Staff may confirm before the host answered the proposed time; after the host said it does
    not work, only with a `note` saying why (kept on the event). Raises ValidationError for an
    event that is not tentative, a closed request, or a missing note.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Event.Status.CONFIRMED:
        return event
    if event.status != Event.Status.TENTATIVE:
        raise ValidationError({"status": _("Only a tentative event can be confirmed.")})
    if event.request is not None:
        _check_request_bookable(event.request, exclude_event_id=event.pk)
    note = (note or "").strip()
    if event.host_answer == HostAnswer.DECLINED and not note:
        raise ValidationError(
            {
                "note": _(
                    "The host said this time does not work (“%(comment)s”). Move the event, "
                    "or add a note saying why you confirm it anyway."
                )
                % {"comment": event.host_answer_comment or "—"}
            }
        )
    event.status = Event.Status.CONFIRMED
    event.confirmation_note = note
    event.sequence += 1
    event.save(update_fields=["status", "confirmation_note", "sequence", "updated_at"])
    if event.request is not None:
        set_request_status(speaker_request=event.request, status=SpeakerRequest.Status.CONFIRMED)
    notifications.queue_event_confirmation(event=event)
    return event


@transaction.atomic
def cancel_event(
    *, event: Event, reason: str = "", rewrite_itinerary: bool = True, tell_host: bool = True
) -> Event:
    """Cancel an event; it stays in feeds as CANCELLED so calendars drop it.

    `reason` (optional) is told to the host in the cancellation, with METHOD:CANCEL.
    `rewrite_itinerary=False` for a caller that rewrites the tour's items itself afterwards,
    and `tell_host=False` for one that may propose the host a new time at once (accepting a
    proposal); it then calls tell_host_proposal_withdrawn for the hosts it did not rebook.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.status == Event.Status.CANCELLED:
        return event
    was_confirmed = event.status == Event.Status.CONFIRMED
    event.status = Event.Status.CANCELLED
    event.cancelled_at = timezone.now()
    event.cancellation_reason = (reason or "").strip()
    event.sequence += 1
    event.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "sequence", "updated_at"]
    )
    EventAssignment.objects.filter(event=event).update(active=False)
    if rewrite_itinerary:
        _follow_with_itinerary(event.tour)
    notifications.queue_event_cancellation(event=event, was_confirmed=was_confirmed)
    if not was_confirmed and tell_host:
        tell_host_proposal_withdrawn(event=event)
    if event.request is not None and event.request.status in (
        SpeakerRequest.Status.PROPOSED,
        SpeakerRequest.Status.CONFIRMED,
    ):
        set_request_status(speaker_request=event.request, status=SpeakerRequest.Status.IN_REVIEW)
    return event


def check_tour_changes(
    *,
    tour: Tour,
    changes: Mapping[str, Any],
    teams: Mapping[str, Sequence[Fellow]] | None = None,
) -> Tour:
    """The tour with `changes` applied (not saved), after re-checking its booked events.

    `teams` (team name → fellows), when given, is the tour's new membership: a fellow who
    would leave the tour while booked on one of its live events is a conflict too. Raises
    ValidationError naming each tentative or confirmed event that the new dates, limits or
    teams would break, or the model's own field errors.
    """
    before_rest_days = list(tour.rest_weekdays or [])
    original = tour
    tour = copy.copy(tour)
    for name, value in changes.items():
        setattr(tour, name, value)
    tour.full_clean()
    staying = None
    if teams is not None:
        fellow_services.check_teams(teams)
        staying = {fellow.pk for fellows in teams.values() for fellow in fellows}
    conflicts = []
    for event in tour.events.filter(status__in=LIVE_STATUSES).prefetch_related("fellows"):
        fellows = list(event.fellows.all())
        slot = Slot(
            tour=tour,
            fellows=fellows,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            latitude=event.latitude,
            longitude=event.longitude,
            exclude_event_id=event.pk,
            timezone=event.timezone,
        )
        problems = [finding.message for finding in hard_rule_violations(slot)]
        if "rest_weekdays" in changes:
            # A new rest day under a booked event is named, not slipped in: its booking had no
            # reason to override a rest day that did not exist yet.
            problems += [
                finding.message
                for finding in soft_rule_warnings(slot)
                if finding.code == "rest_day"
                and not is_rest_day(event.starts_at, event.timezone, before_rest_days)
            ]
        if staying is not None:
            problems += [
                _("%(name)s would no longer be on the tour.") % {"name": fellow.display_name}
                for fellow in fellows
                if fellow.pk not in staying
            ]
        for problem in problems:
            conflicts.append(
                _("%(event)s on %(when)s: %(problem)s")
                % {
                    "event": event.title,
                    "when": _local(event.starts_at, event.timezone),
                    "problem": problem,
                }
            )
    conflicts += _new_route_breaks(before=original, after=tour)
    if conflicts:
        raise ValidationError(
            [
                _("Booked events would break the tour's new rules; move or cancel them first."),
                *conflicts,
            ]
        )
    return tour


def _new_route_breaks(*, before: Tour, after: Tour) -> list[str]:
    """What the route through the tour's booked events (``_route_problems``) would break under
    the tour's new rules and did not break before: a flight cap it cannot keep, a talk it
    cannot reach in the new working hours..."""
    return sorted(_route_problems(after) - _route_problems(before))


@transaction.atomic
def update_tour(
    *,
    tour: Tour,
    changes: Mapping[str, Any],
    teams: Mapping[str, Sequence[Fellow]] | None = None,
) -> Tour:
    """Change a tour's dates, rules, details and (with `teams`) its fellows by team; see
    check_tour_changes for what is refused."""
    tour = Tour.objects.select_for_update().get(pk=tour.pk)
    tour = check_tour_changes(tour=tour, changes=changes, teams=teams)
    tour.save()
    if teams is not None:
        fellow_services.set_tour_teams(tour=tour, teams=teams)
    # New dates, hours, limits or teams change the route through what is booked.
    _follow_with_itinerary(tour)
    return tour


def tell_host_proposal_withdrawn(*, event: Event) -> None:
    """A host who was proposed this (now cancelled) tentative event's time hears it is off."""
    notifications.queue_proposal_withdrawn(event=event)


@transaction.atomic
def set_event_locked(*, event: Event, locked: bool) -> Event:
    """Pin an event where it is (or free it) for the next re-planning; no calendar changes.

    Raises ValidationError({"locked": …}) for a cancelled event.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.locked == locked:
        return event
    if locked and event.status == Event.Status.CANCELLED:
        raise ValidationError({"locked": _("A cancelled event cannot be locked.")})
    event.locked = locked
    event.save(update_fields=["locked", "updated_at"])
    return event


@transaction.atomic
def answer_proposal(*, speaker_request: SpeakerRequest, works: bool, comment: str = "") -> Event:
    """The host says whether the proposed time works (their private link).

    Saying it does not work needs a comment, so staff know what would. Raises
    ValidationError when nothing is proposed to this request.
    """
    event = (
        Event.objects.select_for_update()
        .filter(request=speaker_request, status=Event.Status.TENTATIVE)
        .first()
    )
    if event is None or speaker_request.status != SpeakerRequest.Status.PROPOSED:
        raise ValidationError({"answer": _("There is no proposed time to answer.")})
    comment = (comment or "").strip()
    if not works and not comment:
        raise ValidationError(
            {"comment": _("Tell us what does not work, or which times would, in a few words.")}
        )
    event.host_answer = HostAnswer.ACCEPTED if works else HostAnswer.DECLINED
    event.host_answer_comment = comment
    event.host_answered_at = timezone.now()
    event.save(
        update_fields=["host_answer", "host_answer_comment", "host_answered_at", "updated_at"]
    )
    return event


def remind_unanswered_proposals(*, now: dt.datetime | None = None) -> int:
    """Queue one reminder for each proposed time unanswered after
    NOTIFICATIONS_PROPOSAL_REMINDER_DAYS; returns how many were queued. Safe to run often:
    an event is reminded once."""
    now = now or timezone.now()
    due = list(
        selectors.proposals_due_reminder(
            now=now, days=settings.NOTIFICATIONS_PROPOSAL_REMINDER_DAYS
        )
    )
    with transaction.atomic():
        for event in due:
            assert event.request is not None  # the selector reads proposals to hosts only
            host_link = selectors.host_url(speaker_request=event.request)
            notifications.queue_proposal(event=event, host_url=host_link, reminder=True)
    return len(due)


def queue_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Beat (events.tasks.queue_reminders): queue every host reminder, fellow's day sheet and
    attendance request that is due; returns how many rows were new. Safe to run often: the
    outbox's dedupe keys make queuing one twice a no-op."""
    now = now or timezone.now()
    before = Notification.objects.count()
    with transaction.atomic():
        for event in selectors.events_due_host_reminder(
            now=now, days_before=settings.NOTIFICATIONS_HOST_REMINDER_DAYS
        ):
            notifications.queue_host_reminder(event=event)
        sheets: set[tuple[int, dt.date]] = set()
        for event in selectors.events_due_day_sheet(now=now):
            day = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
            for fellow in event.fellows.all():
                if (fellow.pk, day) in sheets:
                    continue
                sheets.add((fellow.pk, day))
                notifications.queue_fellow_day_sheet(
                    fellow=fellow,
                    day=day,
                    events=selectors.fellow_events_on(
                        fellow=fellow, day=day, zone_name=event.timezone
                    ),
                )
        for event in selectors.events_due_attendance_request(now=now):
            notifications.queue_attendance_request(event=event)
    return Notification.objects.count() - before


@transaction.atomic
def queue_host_contact_change(
    *,
    speaker_request: SpeakerRequest,
    previous_email: str,
    previous_name: str = "",
    host_url: str | None = None,
) -> list[Notification]:
    """Move the request's live invites from the previous host contact to the current one.

    Call it in the transaction that saved a new `contact_email` on the request, from every door
    (the host's page, the admin, the staff API). For each event not cancelled whose latest
    invite to the previous address is a REQUEST, SEQUENCE goes up once; the previous address
    gets METHOD:CANCEL for that UID (so the visit leaves that calendar) and the current one a
    METHOD:REQUEST (a confirmation with the invite). A proposed time the host has not answered
    yet is asked again of the current address (with `host_url`, the host's private link), or
    nobody who can answer would know of it. The same address in other letter case, or nothing
    live, queues nothing. Returns the messages queued.
    """
    current = (speaker_request.contact_email or "").strip()
    previous_email = (previous_email or "").strip()
    if not previous_email or previous_email.lower() == current.lower():
        return []
    queued = []
    for event in selectors.events_with_live_invite(
        speaker_request=speaker_request, email=previous_email
    ):
        # Both calendars must see a newer state than the invite the previous contact holds.
        event.sequence += 1
        event.save(update_fields=["sequence", "updated_at"])
        queued.append(
            notifications.queue_contact_replaced(
                event=event, email=previous_email, name=previous_name
            )
        )
        if current:
            queued.append(notifications.queue_event_confirmation(event=event))
    if current:
        for event in selectors.events_awaiting_host_answer(speaker_request=speaker_request):
            queued.append(
                notifications.queue_proposal(event=event, host_url=host_url, new_contact=True)
            )
    return [notification for notification in queued if notification is not None]


def set_request_status(
    *, speaker_request: SpeakerRequest, status: str, by_staff: bool = False
) -> SpeakerRequest:
    """Move a request along events.lifecycle, the one table of allowed transitions.

    `by_staff` for a move made by hand (only the table's manual moves are allowed then).
    Raises ValidationError({"status": …}) for any other move; the same status is a no-op.
    """
    if speaker_request.status == status:
        return speaker_request
    if not lifecycle.can_move(speaker_request.status, status, by_staff=by_staff):
        raise ValidationError(
            {
                "status": _("A %(current)s request cannot become %(new)s.")
                % {
                    "current": speaker_request.get_status_display().lower(),
                    "new": SpeakerRequest.Status(status).label.lower()
                    if status in SpeakerRequest.Status.values
                    else status,
                }
            }
        )
    previous = speaker_request.status
    speaker_request.status = status
    speaker_request.status_changed_at = timezone.now()
    speaker_request.save(update_fields=["status", "status_changed_at", "updated_at"])
    RequestStatusChange.objects.create(
        request=speaker_request,
        old_status=previous,
        new_status=status,
        changed_at=speaker_request.status_changed_at,
        changed_by=_signed_in_user(),
    )
    return speaker_request


def _signed_in_user():
    """The staff member behind the current web request, as the events' audit trail records it
    (simple_history's request middleware); None for hosts, tasks and commands."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated and user.is_staff else None


def _check_request_bookable(request: SpeakerRequest, *, exclude_event_id: int | None = None):
    """A request takes an event only while open, and has at most one live event at a time."""
    if request.status not in lifecycle.BOOKABLE:
        raise BookingRefused(
            [
                Finding(
                    "request_closed",
                    "request",
                    _("This request is %(status)s; reopen it before booking it.")
                    % {"status": request.get_status_display().lower()},
                )
            ]
        )
    live = request.events.filter(status__in=LIVE_STATUSES)
    if exclude_event_id is not None:
        live = live.exclude(pk=exclude_event_id)
    booked = live.select_related("tour").first()
    if booked is not None:
        raise BookingRefused(
            [
                Finding(
                    "request_booked",
                    "request",
                    _(
                        "This request already has a %(status)s event in %(tour)s; move or "
                        "cancel that one instead."
                    )
                    % {"status": booked.get_status_display().lower(), "tour": booked.tour},
                )
            ]
        )
