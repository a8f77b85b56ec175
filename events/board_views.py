"""The staff tour board: request queue, tour pages, proposals, event changes, outbox, impact.

Thin adapters. Reads come from events.selectors (and proposals.proposal_summary); every action
calls the same services as the API (events.services, events.proposals, events.intake,
notifications.services), so no rule lives here. Actions are POST-only behind CSRF; a refused
action comes back as a message or as errors beside the fields, never as a server error.
Pages work without JavaScript; with htmx, the proposal's progress polls a small fragment and
the event panel opens beside the timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from common import time_display
from common.time_display import format_day
from events import board_map, exports, intake, lifecycle, proposals, selectors, services
from events.board_forms import (
    AcceptForm,
    BulkRequestForm,
    DeclineForm,
    EventChoiceForm,
    ExportScopeForm,
    FellowForm,
    ProposeForm,
    RequestBookingForm,
    RequestStatusForm,
    RescheduleForm,
    TourForm,
)
from events.feed_selectors import unavailability_conflicts
from events.feeds import DEFAULT_FEED_TIMEZONE
from events.filters import SpeakerRequestFilter
from events.models import LIVE_STATUSES, Event, PlanningRun, SpeakerRequest
from events.rules import Finding
from fellows import selectors as fellow_selectors
from fellows import services as fellow_services
from fellows.forms import UnavailabilityForm
from fellows.models import Fellow, Tour, Unavailability
from fellows.permissions import can_view_private_details
from notifications import selectors as notification_selectors
from notifications import services as notification_services
from notifications.models import Notification

PAGE_SIZE = 50


def can_use_board(request: HttpRequest) -> bool:
    """The board shows hosts' contacts and changes bookings: the admin's own test, so staff
    two-factor (OTP_REQUIRED_FOR_STAFF) guards both in the same way."""
    return admin.site.has_permission(request)


def board_access_required(view: Callable) -> Callable:
    """Anonymous visitors go to the login page; signed-in non-staff get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_use_board(request):
            if request.user.is_staff:  # staff whose session still lacks the second factor
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(_("The tour board is for staff."))
        return view(request, *args, **kwargs)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """After an action: a full-page redirect, also when htmx sent the form."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _add_errors(form, exc: ValidationError) -> None:
    """A service's refusal beside the form's fields it names, the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _tour_url(tour_id: int, anchor: str = "") -> str:
    return reverse("board:tour", args=[tour_id]) + (f"#{anchor}" if anchor else "")


# -- tours -----------------------------------------------------------------------------------


@require_safe
@board_access_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "events/board/home.html",
        {
            "tours": [(tour, Tour.Status(tour.progress).label) for tour in selectors.board_tours()],
            "section": "tours",
        },
    )


def _save_tour(request: HttpRequest, form: TourForm) -> HttpResponse | None:
    """Save a valid tour form through the tour services, or None to show the form again: a
    fellow already on an overlapping tour needs staff to say it is on purpose, and a change
    the booked events cannot take comes back as the form's errors."""
    tour = form.instance
    fellows = [fellow for team in form.teams().values() for fellow in team]
    overlaps = selectors.overlapping_tours(
        fellows=fellows,
        start_date=form.cleaned_data["start_date"],
        end_date=form.cleaned_data["end_date"],
        exclude_tour_id=tour.pk,
    )
    form.overlaps = overlaps
    if overlaps and not form.cleaned_data.get("accept_overlap"):
        return None
    try:
        if form.editing:
            tour = services.update_tour(tour=tour, changes=form.changes(), teams=form.teams())
        else:
            tour = fellow_services.create_tour(tour=tour, teams=form.teams())
    except ValidationError as exc:
        _add_errors(form, exc)
        return None
    done = _("Tour “%(name)s” saved.") if form.editing else _("Tour “%(name)s” created.")
    messages.success(request, done % {"name": tour.name})
    for overlap in overlaps:
        messages.warning(request, _overlap_text(overlap))
    for loss in selectors.rest_day_losses(tours=[tour]):
        messages.warning(request, _rest_day_text(loss))
    return redirect(_tour_url(tour.pk))


def _overlap_text(overlap: selectors.TourOverlap) -> str:
    return _("%(fellow)s is also on “%(tour)s” (%(start)s – %(end)s), at the same time.") % {
        "fellow": overlap.fellow.display_name,
        "tour": overlap.tour.name,
        "start": format_day(overlap.tour.start_date),
        "end": format_day(overlap.tour.end_date),
    }


def _rest_day_text(loss: selectors.RestDayLoss) -> str:
    return _(
        "%(tour)s rests on %(days)s: %(request)s (%(host)s) loses its preferred window "
        "%(window)s. Change the rest days, or book it with a reason."
    ) % {
        "tour": loss.tour.name,
        "days": ", ".join(loss.weekdays),
        "request": loss.request.reference,
        "host": loss.request.organization.name,
        "window": _window_text(loss.window),
    }


def _window_text(window) -> str:
    days = format_day(window.start_date)
    if window.end_date != window.start_date:
        days += " – " + format_day(window.end_date)
    start, end = (time_format(t, "g:i A") for t in (window.earliest_start, window.latest_end))
    return f"{days}, {start} – {end}"


def _tour_form_page(request: HttpRequest, form: TourForm, status: int) -> HttpResponse:
    tour = form.instance if form.editing else None
    return render(
        request,
        "events/board/tour_form.html",
        {
            "form": form,
            "tour": tour,
            "overlaps": form.overlaps,
            "rest_day_losses": selectors.rest_day_losses(tours=[tour]) if tour else [],
            "section": "tours",
        },
        status=status,
    )


@board_access_required
def tour_create(request: HttpRequest) -> HttpResponse:
    form = TourForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _save_tour(request, form)
        if saved is not None:
            return saved
    return _tour_form_page(request, form, _form_status(request, form))


@board_access_required
def tour_edit(request: HttpRequest, tour_id: int) -> HttpResponse:
    tour = get_object_or_404(Tour, pk=tour_id)
    form = TourForm(request.POST or None, instance=tour)
    if request.method == "POST" and form.is_valid():
        saved = _save_tour(request, form)
        if saved is not None:
            return saved
    elif request.method != "POST":
        # Said up front, so staff can tick "save anyway" before their first save.
        form.overlaps = selectors.overlapping_tours(
            fellows=list(selectors.tour_fellows(tour=tour)),
            start_date=tour.start_date,
            end_date=tour.end_date,
            exclude_tour_id=tour.pk,
        )
    return _tour_form_page(request, form, _form_status(request, form))


def _form_status(request: HttpRequest, form) -> int:
    """200 for a blank form or one waiting for a yes; 400 for one with errors."""
    if request.method != "POST":
        return 200
    return 400 if form.errors else 200


def _map_box(routes: list[selectors.TeamRoute]) -> dict:
    left, top, width, height = board_map.view_box([p for r in routes for p in r.points])
    # Dots keep one size on screen however far the map is zoomed in.
    return {"view_box": f"{left} {top} {width} {height}", "dot": round(width / 160, 2)}


def _tour_context(tour: Tour) -> dict:
    events = list(selectors.tour_events(tour=tour))
    fellows = list(selectors.tour_fellows(tour=tour))
    itinerary = proposals.booked_itinerary(tour)
    routes = selectors.tour_routes(tour=tour, events=events, itinerary=itinerary)
    team_names, days = selectors.tour_timeline(tour=tour, events=events)
    finished = selectors.latest_finished_proposal(tour=tour)
    proposed = selectors.proposed_events(run=finished) if finished else []
    summary = proposals.proposal_summary(finished) if finished else {}
    # Where a rest day or a blackout took the host's preferred time, the row says so.
    notes = selectors.preferred_window_notes(run=finished) if finished else {}
    for row in [*proposed, *summary.get("left_out", [])]:
        row["window_note"] = notes.get(row["request_id"], "")
    return {
        "tour": tour,
        "team_names": team_names,
        "days": days,
        "routes": routes,
        "itinerary_problems": proposals.itinerary_problems(tour, itinerary),
        "outline": board_map.outline(),
        "map_box": _map_box(routes),
        "totals": selectors.tour_totals(events=events, routes=routes),
        "latest": selectors.latest_proposal(tour=tour),
        "finished": finished,
        "summary": summary,
        "proposed": proposed,
        "cancelled_by_accepting_all": (
            proposals.cancelled_by_accepting_all(finished) if finished else []
        ),
        "proposal_map": selectors.proposal_map(run=finished) if finished else None,
        "propose_form": ProposeForm(),
        "progress": Tour.Status(selectors.tour_progress(tour=tour)).label,
        "overlaps": [
            _overlap_text(overlap)
            for overlap in selectors.overlapping_tours(
                fellows=fellows,
                start_date=tour.start_date,
                end_date=tour.end_date,
                exclude_tour_id=tour.pk,
            )
        ],
        "rest_day_losses": selectors.rest_day_losses(tours=[tour]),
        "section": "tours",
    }


@require_safe
@board_access_required
def tour_detail(request: HttpRequest, tour_id: int) -> HttpResponse:
    tour = get_object_or_404(Tour, pk=tour_id)
    return render(request, "events/board/tour.html", _tour_context(tour))


# -- proposals -------------------------------------------------------------------------------


@require_POST
@board_access_required
def tour_propose(request: HttpRequest, tour_id: int) -> HttpResponse:
    tour = get_object_or_404(Tour, pk=tour_id)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a planning time from 1 to 120 seconds."))
        return _go(request, _tour_url(tour.pk))
    try:
        # Checked here so staff hear at once, not from a failed run, that the tour lacks input.
        proposals.build_problem(tour)
    except ValueError as exc:
        messages.error(request, str(exc))
        return _go(request, _tour_url(tour.pk))
    run = proposals.request_proposal(
        tour=tour, by=request.user, seconds=form.cleaned_data["seconds"]
    )
    if is_htmx(request):
        return render(request, "events/board/_progress.html", {"run": run, "tour": tour})
    messages.info(request, _("The planner is working on a proposal."))
    return redirect(_tour_url(tour.pk, "proposal"))


@require_safe
@board_access_required
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(PlanningRun.objects.select_related("tour"), pk=run_id)
    return render(request, "events/board/_progress.html", {"run": run, "tour": run.tour})


@require_POST
@board_access_required
def run_accept(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(PlanningRun.objects.select_related("tour"), pk=run_id)
    choices = [(row["request_id"], row["label"]) for row in selectors.proposed_events(run=run)]
    form = AcceptForm(request.POST, choices=choices)
    if not form.is_valid():
        messages.error(request, " ".join(map(str, form.non_field_errors())) or _("Nothing chosen."))
        return _go(request, _tour_url(run.tour_id, "proposal"))
    try:
        outcome = proposals.accept_proposal(run=run, request_ids=form.chosen(), by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _go(request, _tour_url(run.tour_id, "proposal"))
    messages.success(
        request,
        ngettext(
            "%(count)d tentative event booked.",
            "%(count)d tentative events booked.",
            len(outcome.booked),
        )
        % {"count": len(outcome.booked)},
    )
    if outcome.cancelled:
        messages.warning(
            request,
            _("Cancelled, as the proposal leaves them out (their hosts were told): %(events)s")
            % {"events": "; ".join(_event_text(event) for event in outcome.cancelled)},
        )
    hosts = dict(
        SpeakerRequest.objects.filter(
            pk__in=[int(r) for r in outcome.refused if r.isdigit()]
        ).values_list("pk", "organization__name")
    )
    for request_id, reasons in outcome.refused.items():
        host = hosts.get(int(request_id)) if request_id.isdigit() else None
        messages.warning(
            request,
            _("%(host)s (request %(id)s) was not booked: %(reasons)s")
            % {"host": host or _("A host"), "id": request_id, "reasons": " ".join(reasons)},
        )
    return _go(request, _tour_url(run.tour_id))


def _event_text(event: Event) -> str:
    """ "Grace Church, Tue Mar 2, 2027, 7:00 PM EST" for staff messages."""
    return f"{event.title}, {time_display.format_date_time(event.starts_at, event.timezone)}"


# -- events ----------------------------------------------------------------------------------


@require_POST
@board_access_required
def tour_confirm(request: HttpRequest, tour_id: int) -> HttpResponse:
    tour = get_object_or_404(Tour, pk=tour_id)
    form = EventChoiceForm(request.POST, tour=tour)
    if not form.is_valid():
        messages.error(request, _("Tick the events to confirm."))
        return _go(request, _tour_url(tour.pk))
    confirmed = 0
    note = request.POST.get("note", "")
    for event in form.cleaned_data["event_ids"]:
        try:
            services.confirm_event(event=event, note=note)
        except ValidationError as exc:
            messages.error(request, f"{event.title}: {_error_text(exc)}")
        else:
            confirmed += 1
    if confirmed:
        messages.success(
            request,
            ngettext(
                "%(count)d event confirmed; the host's invite is in the outbox.",
                "%(count)d events confirmed; the hosts' invites are in the outbox.",
                confirmed,
            )
            % {"count": confirmed},
        )
    return _go(request, _tour_url(tour.pk))


def _event_or_404(event_id: int) -> Event:
    return get_object_or_404(
        Event.objects.select_related("tour", "request__organization").prefetch_related("fellows"),
        pk=event_id,
    )


def _render_event(
    request: HttpRequest,
    event: Event,
    form: RescheduleForm | None = None,
    findings: list[Finding] | None = None,
    checked: bool = False,
    blocking: bool = False,
    status: int = 200,
) -> HttpResponse:
    context = {
        "event": event,
        "form": form or RescheduleForm(event=event),
        "findings": findings or [],
        "checked": checked,
        "blocking": blocking,
        "section": "tours",
        "history": selectors.event_history(event=event),
    }
    template = "events/board/_event.html" if is_htmx(request) else "events/board/event.html"
    # htmx swaps only 2xx answers, so refusals it asked for come back as 200 with the errors.
    return render(request, template, context, status=200 if is_htmx(request) else status)


@require_safe
@board_access_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return _render_event(request, _event_or_404(event_id))


@require_POST
@board_access_required
def event_reschedule(request: HttpRequest, event_id: int) -> HttpResponse:
    """Check the new time (the "Check" button) or save it; findings show before anything saves."""
    event = _event_or_404(event_id)
    form = RescheduleForm(request.POST, event=event)
    if not form.is_valid():
        return _render_event(request, event, form, status=400)
    reason = form.cleaned_data["override_reason"]
    try:
        warnings = services.check_booking(
            slot=form.slot(),
            request=event.request,
            timezone_name=event.timezone,
            override_reason=reason,
        )
    except services.BookingRefused as refused:
        return _render_event(
            request, event, form, refused.findings, checked=True, blocking=True, status=409
        )
    if "check" in request.POST:
        warnings += services.route_warnings(
            lambda reason: services.reschedule_event(
                event=Event.objects.get(pk=event.pk),  # the page keeps the event as it is
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                override_reason=reason,
            )
        )
        return _render_event(request, event, form, warnings, checked=True)
    try:
        services.reschedule_event(
            event=event,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            override_reason=reason,
        )
    except services.BookingRefused as refused:  # something changed since the check
        return _render_event(
            request, event, form, refused.findings, checked=True, blocking=True, status=409
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render_event(request, event, form, status=400)
    messages.success(request, _("“%(title)s” moved.") % {"title": event.title})
    return _go(request, _tour_url(event.tour_id))


@require_POST
@board_access_required
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    if request.POST.get("really") != "yes":
        messages.error(request, _("Tick the box to confirm the cancellation."))
        return _go(request, reverse("board:event", args=[event.pk]))
    services.cancel_event(event=event, reason=request.POST.get("reason", "")[:2000])
    messages.success(
        request, _("“%(title)s” cancelled; the host is told if they knew.") % {"title": event.title}
    )
    return _go(request, _tour_url(event.tour_id))


@require_POST
@board_access_required
def event_lock(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(event_id)
    locked = request.POST.get("locked") == "1"
    try:
        services.set_event_locked(event=event, locked=locked)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        text = _("“%(title)s” locked.") if locked else _("“%(title)s” unlocked.")
        messages.success(request, text % {"title": event.title})
    return _go(request, _tour_url(event.tour_id))


# -- request queue ---------------------------------------------------------------------------


@require_safe
@board_access_required
def request_queue(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "newest")
    found = SpeakerRequestFilter(request.GET, queryset=selectors.request_queue(sort=sort))
    rows = found.qs if found.is_valid() else selectors.request_queue(sort=sort).none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "events/board/requests.html",
        {
            "filter": found,
            "page": page,
            "sort": sort,
            "sorts": selectors.REQUEST_SORTS,
            "query": query.urlencode(),
            "bulk_form": BulkRequestForm(),
            "section": "requests",
        },
    )


@require_POST
@board_access_required
def request_bulk(request: HttpRequest) -> HttpResponse:
    form = BulkRequestForm(request.POST)
    # Back to the same filtered list; re-encoding keeps whatever was posted a plain query.
    query = QueryDict(request.POST.get("query", "")).urlencode()
    back = reverse("board:requests") + (f"?{query}" if query else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    done = 0
    for speaker_request in form.cleaned_data["request_ids"]:
        try:
            if form.cleaned_data["action"] == BulkRequestForm.DECLINE:
                intake.decline_request(
                    speaker_request=speaker_request, reason=form.cleaned_data["reason"]
                )
            else:
                intake.change_request_status(
                    speaker_request=speaker_request, status=BulkRequestForm.IN_REVIEW
                )
        except ValidationError as exc:
            messages.error(request, f"{speaker_request.reference}: {_error_text(exc)}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d request updated.", "%(count)d requests updated.", done)
            % {"count": done},
        )
    return redirect(back)


# -- one request -----------------------------------------------------------------------------


def _request_or_404(request_id: int) -> SpeakerRequest:
    try:
        return selectors.request_for_board(pk=request_id)
    except SpeakerRequest.DoesNotExist:
        raise Http404 from None


def _request_url(request_id: int) -> str:
    return reverse("board:request", args=[request_id])


def _render_request(
    request: HttpRequest,
    speaker_request: SpeakerRequest,
    *,
    booking_form: RequestBookingForm | None = None,
    decline_form: DeclineForm | None = None,
    findings: list[Finding] | None = None,
    checked: bool = False,
    blocking: bool = False,
    status: int = 200,
) -> HttpResponse:
    tours = list(selectors.tours_for_booking(speaker_request=speaker_request))
    events = list(selectors.request_events(speaker_request=speaker_request))
    closed = speaker_request.status not in lifecycle.BOOKABLE
    bookable = not closed and not any(event.status in LIVE_STATUSES for event in events)
    context = {
        "req": speaker_request,
        "windows": speaker_request.windows.all(),
        "history": selectors.request_history(speaker_request=speaker_request),
        "events": events,
        "bookable": bookable,
        "closed": closed,
        "booking_form": booking_form
        or RequestBookingForm(speaker_request=speaker_request, tours=tours),
        "decline_form": decline_form or DeclineForm(),
        "status_form": RequestStatusForm(speaker_request=speaker_request),
        "can_decline": lifecycle.can_move(speaker_request.status, SpeakerRequest.Status.DECLINED),
        "rest_day_losses": [
            _rest_day_text(loss)
            for loss in selectors.rest_day_losses_for_request(speaker_request=speaker_request)
        ],
        "findings": findings or [],
        "checked": checked,
        "blocking": blocking,
        "section": "requests",
    }
    return render(request, "events/board/request.html", context, status=status)


@require_safe
@board_access_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _render_request(request, _request_or_404(request_id))


@require_POST
@board_access_required
def request_status(request: HttpRequest, request_id: int) -> HttpResponse:
    speaker_request = _request_or_404(request_id)
    form = RequestStatusForm(request.POST, speaker_request=speaker_request)
    if not form.is_valid():
        messages.error(request, _("That move is not open to this request now."))
        return _render_request(request, speaker_request, status=400)
    try:
        intake.change_request_status(
            speaker_request=speaker_request, status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _render_request(request, speaker_request, status=409)
    messages.success(
        request,
        _("%(ref)s is now %(status)s.")
        % {
            "ref": speaker_request.reference,
            "status": SpeakerRequest.Status(form.cleaned_data["status"]).label.lower(),
        },
    )
    return redirect(_request_url(speaker_request.pk))


@require_POST
@board_access_required
def request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    speaker_request = _request_or_404(request_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _render_request(request, speaker_request, decline_form=form, status=400)
    try:
        intake.decline_request(speaker_request=speaker_request, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        # The request moved on (declined or withdrawn meanwhile): the form may be gone.
        messages.error(request, _error_text(exc))
        return _render_request(request, speaker_request, decline_form=form, status=409)
    messages.success(
        request,
        _("%(ref)s declined; the host is told why.") % {"ref": speaker_request.reference},
    )
    return redirect(_request_url(speaker_request.pk))


@require_POST
@board_access_required
def request_book(request: HttpRequest, request_id: int) -> HttpResponse:
    """Check a time on a tour (the "Check" button) or book it; findings show before saving."""
    speaker_request = _request_or_404(request_id)
    tours = list(selectors.tours_for_booking(speaker_request=speaker_request))
    form = RequestBookingForm(request.POST, speaker_request=speaker_request, tours=tours)

    def again(findings=None, *, checked=False, blocking=False, status=200):
        return _render_request(
            request,
            speaker_request,
            booking_form=form,
            findings=findings,
            checked=checked,
            blocking=blocking,
            status=status,
        )

    if not form.is_valid():
        return again(status=400)
    reason = form.cleaned_data["override_reason"]
    try:
        warnings = services.check_booking(
            slot=form.slot(),
            request=speaker_request,
            timezone_name=speaker_request.timezone,
            override_reason=reason,
        )
        booking = {
            "tour": form.cleaned_data["tour"],
            "fellows": form.cleaned_data["fellows"],
            "starts_at": form.cleaned_data["starts_at"],
            "ends_at": form.cleaned_data["ends_at"],
            "request": speaker_request,
        }
        if "check" in request.POST:
            warnings += services.route_warnings(
                lambda why: services.book_event(**booking, override_reason=why)
            )
            return again(warnings, checked=True)
        event = services.book_event(**booking, override_reason=reason)
    except services.BookingRefused as refused:
        return again(refused.findings, checked=True, blocking=True, status=409)
    except ValidationError as exc:
        _add_errors(form, exc)
        return again(status=400)
    messages.success(
        request,
        _("“%(title)s” booked on %(tour)s as tentative; the host is asked whether the time works.")
        % {"title": event.title, "tour": event.tour.name},
    )
    return redirect(_request_url(speaker_request.pk))


# -- fellows ---------------------------------------------------------------------------------


@require_safe
@board_access_required
def fellow_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "events/board/fellows.html",
        {
            "fellows": fellow_selectors.board_fellows(),
            "show_private": can_view_private_details(request.user),
            "section": "fellows",
        },
    )


def _save_fellow_form(request: HttpRequest, form: FellowForm, fellow: Fellow) -> Fellow | None:
    try:
        return fellow_services.save_fellow(
            fellow=fellow,
            changes=form.changes(),
            home=form.cleaned_data.get("home") or None,
            by=cast(User, request.user),  # board_access_required: a signed-in staff member
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return None


@board_access_required
def fellow_create(request: HttpRequest) -> HttpResponse:
    show_private = can_view_private_details(request.user)
    form = FellowForm(request.POST or None, show_private=show_private)
    if request.method == "POST" and form.is_valid():
        fellow = _save_fellow_form(request, form, Fellow())
        if fellow is not None:
            messages.success(request, _("%(name)s added.") % {"name": fellow.display_name})
            return redirect(reverse("board:fellow", args=[fellow.pk]))
    return render(
        request,
        "events/board/fellow_form.html",
        {"form": form, "section": "fellows"},
        status=_form_status(request, form),
    )


def _fellow_page(
    request: HttpRequest,
    fellow: Fellow,
    form: FellowForm | None = None,
    away_form: UnavailabilityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    show_private = can_view_private_details(request.user)
    if away_form is None:
        away_form = UnavailabilityForm()
    if not show_private:
        away_form.fields.pop("reason", None)
    return render(
        request,
        "events/board/fellow.html",
        {
            "fellow": fellow,
            "form": form or FellowForm(instance=fellow, show_private=show_private),
            "away_form": away_form,
            "unavailabilities": fellow_selectors.fellow_unavailabilities(fellow=fellow),
            "tours": fellow_selectors.fellow_tours(fellow=fellow),
            # Unavailability has no zone of its own: shown where the fellow last toured.
            "zone": fellow_selectors.fellow_feed_timezone(
                fellow=fellow, default=DEFAULT_FEED_TIMEZONE
            ),
            "show_private": show_private,
            "section": "fellows",
        },
        status=status,
    )


@board_access_required
def fellow_detail(request: HttpRequest, fellow_id: int) -> HttpResponse:
    fellow = get_object_or_404(Fellow, pk=fellow_id)
    if request.method != "POST":
        return _fellow_page(request, fellow)
    form = FellowForm(
        request.POST, instance=fellow, show_private=can_view_private_details(request.user)
    )
    if form.is_valid():
        saved = _save_fellow_form(request, form, fellow)
        if saved is not None:
            messages.success(request, _("%(name)s saved.") % {"name": saved.display_name})
            return redirect(reverse("board:fellow", args=[saved.pk]))
    fellow.refresh_from_db()
    return _fellow_page(request, fellow, form=form, status=400)


@require_POST
@board_access_required
def fellow_unavailability_add(request: HttpRequest, fellow_id: int) -> HttpResponse:
    fellow = get_object_or_404(Fellow, pk=fellow_id)
    form = UnavailabilityForm(request.POST)
    if not can_view_private_details(request.user):
        form.fields.pop("reason", None)
    if not form.is_valid():
        return _fellow_page(request, fellow, away_form=form, status=400)
    try:
        away = fellow_services.add_unavailability(
            fellow=fellow,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        return _fellow_page(request, fellow, away_form=form, status=400)
    messages.success(request, _("Unavailability added."))
    for event in unavailability_conflicts(unavailability=away):
        messages.warning(
            request,
            _("%(name)s is booked at “%(event)s” (%(tour)s) then: move or cancel it.")
            % {"name": fellow.display_name, "event": event.title, "tour": event.tour.name},
        )
    return redirect(reverse("board:fellow", args=[fellow.pk]) + "#unavailability")


@require_POST
@board_access_required
def fellow_unavailability_remove(
    request: HttpRequest, fellow_id: int, unavailability_id: int
) -> HttpResponse:
    away = get_object_or_404(Unavailability, pk=unavailability_id, fellow_id=fellow_id)
    fellow_services.remove_unavailability(unavailability=away)
    messages.success(request, _("Unavailability removed."))
    return redirect(reverse("board:fellow", args=[fellow_id]) + "#unavailability")


# -- outbox and impact -----------------------------------------------------------------------


@require_safe
@board_access_required
def outbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Notification.Status.values:
        status = ""
    rows = notification_selectors.outbox(status=status or None).select_related(
        "event", "speaker_request"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "events/board/outbox.html",
        {
            "page": page,
            "status": status,
            "statuses": Notification.Status.choices,
            "counts": selectors.outbox_counts(),
            "retryable": (Notification.Status.FAILED, Notification.Status.DEAD),
            "show_fellow_contacts": can_view_private_details(request.user),
            "section": "outbox",
        },
    )


@require_POST
@board_access_required
def outbox_retry(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=notification_id)
    try:
        notification_services.retry_notification(notification=notification)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        hidden = notification_selectors.hides_fellow_contact(
            notification=notification, user=request.user
        )
        recipient = notification.recipient_name if hidden else notification.recipient_email
        messages.success(request, _("Sending to %(email)s again.") % {"email": recipient})
    status = request.POST.get("status", "")
    query = f"?status={status}" if status in Notification.Status.values else ""
    return redirect(reverse("board:outbox") + query)


@require_safe
@board_access_required
def impact(request: HttpRequest) -> HttpResponse:
    available = selectors.seasons()
    season: int | None
    try:
        season = int(request.GET["season"])
    except (KeyError, ValueError):
        season = available[0] if available else None
    total, per_tour = selectors.impact(season=season)
    year = season or timezone.localdate().year
    export_form = ExportScopeForm(
        initial={"date_from": dt.date(year, 1, 1), "date_to": dt.date(year, 12, 31)}
    )
    return render(
        request,
        "events/board/impact.html",
        {
            "season": season,
            "seasons": available,
            "total": total,
            "per_tour": per_tour,
            "tours": selectors.season_tours(season=season),
            "export_form": export_form,
            "export_kinds": exports.KINDS,
            "section": "impact",
        },
    )


@require_safe
@board_access_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """A CSV download (events.exports): ?tour=<id>, or ?date_from=&date_to= for a season."""
    if kind not in exports.KINDS:
        raise Http404
    form = ExportScopeForm(request.GET)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        scope = exports.make_scope(
            tour_id=form.cleaned_data["tour"],
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
    except ValidationError as exc:
        return render(
            request,
            "events/board/export_error.html",
            {"errors": exc.messages, "section": "impact"},
            status=400,
        )
    return exports.download(kind=kind, scope=scope)
