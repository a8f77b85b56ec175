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

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from events import board_map, exports, intake, proposals, selectors, services
from events.board_forms import (
    AcceptForm,
    BulkRequestForm,
    EventChoiceForm,
    ExportScopeForm,
    ProposeForm,
    RescheduleForm,
    TourForm,
)
from events.filters import SpeakerRequestFilter
from events.models import Event, PlanningRun
from events.rules import Finding
from fellows import services as fellow_services
from fellows.models import Tour
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


def _tour_url(tour_id: int, anchor: str = "") -> str:
    return reverse("board:tour", args=[tour_id]) + (f"#{anchor}" if anchor else "")


# -- tours -----------------------------------------------------------------------------------


@require_safe
@board_access_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "events/board/home.html",
        {"tours": selectors.board_tours(), "section": "tours"},
    )


@board_access_required
def tour_create(request: HttpRequest) -> HttpResponse:
    form = TourForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tour = fellow_services.create_tour(tour=form.instance, teams=form.teams())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Tour “%(name)s” created.") % {"name": tour.name})
            return redirect(_tour_url(tour.pk))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "events/board/tour_form.html", {"form": form, "section": "tours"}, status=status
    )


def _map_box(routes: list[selectors.TeamRoute]) -> dict:
    left, top, width, height = board_map.view_box([p for r in routes for p in r.points])
    # Dots keep one size on screen however far the map is zoomed in.
    return {"view_box": f"{left} {top} {width} {height}", "dot": round(width / 160, 2)}


def _tour_context(tour: Tour) -> dict:
    events = list(selectors.tour_events(tour=tour))
    routes = selectors.tour_routes(tour=tour, events=events)
    team_names, days = selectors.tour_timeline(tour=tour, events=events)
    finished = selectors.latest_finished_proposal(tour=tour)
    proposed = selectors.proposed_events(run=finished) if finished else []
    return {
        "tour": tour,
        "team_names": team_names,
        "days": days,
        "routes": routes,
        "outline": board_map.outline(),
        "map_box": _map_box(routes),
        "totals": selectors.tour_totals(events=events, routes=routes),
        "latest": selectors.latest_proposal(tour=tour),
        "finished": finished,
        "summary": proposals.proposal_summary(finished) if finished else {},
        "proposed": proposed,
        "propose_form": ProposeForm(),
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
    for request_id, reasons in outcome.refused.items():
        messages.warning(
            request,
            _("Request %(id)s was not booked: %(reasons)s")
            % {"id": request_id, "reasons": " ".join(reasons)},
        )
    return _go(request, _tour_url(run.tour_id))


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
        form.add_error(None, exc)
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
