"""Staff pages of the impact app: figures per event, tour and season with SVG charts, the CSV
exports (consented contacts, figures), and publishing an event on the public page.

Thin adapters over impact.selectors and impact.services, behind the tour board's staff check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from events.board_views import board_access_required
from events.models import Event
from fellows.models import Tour
from impact import exports, selectors, services

CHART_WIDTH = 320  # px of the longest bar


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: int
    y: int


def bars(groups: list[selectors.Group], attribute: str = "attendance") -> dict:
    """Rows of a horizontal bar chart drawn as inline SVG by impact/_bars.html."""
    top = max((getattr(g, attribute) for g in groups), default=0) or 1
    rows = [
        Bar(
            g.label, getattr(g, attribute), round(CHART_WIDTH * getattr(g, attribute) / top), i * 26
        )
        for i, g in enumerate(groups)
    ]
    return {"rows": rows, "height": max(26, 26 * len(rows)), "chart_width": CHART_WIDTH}


def _year_before(day: dt.date) -> dt.date:
    """The day after the same date a year earlier (Nov 30, 2025 for Nov 29, 2026)."""
    try:
        return day.replace(year=day.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return dt.date(day.year - 1, 3, 1)


def _dates(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, default the twelve months up to today. ValueError when
    malformed."""
    # Twelve months, not the calendar year: in January a season of tours that ran over the
    # autumn still shows. Only held events count, so the window ends today.
    today = timezone.localdate()
    raw_from, raw_to = request.GET.get("from", ""), request.GET.get("to", "")
    date_to = dt.date.fromisoformat(raw_to) if raw_to else today
    date_from = dt.date.fromisoformat(raw_from) if raw_from else _year_before(date_to)
    if date_to < date_from:
        raise ValueError("to before from")
    return date_from, date_to


def _bad_dates() -> HttpResponse:
    return HttpResponseBadRequest(
        _("Dates must look like 2027-03-01, and the end must not be before the start.")
    )


def _page(request: HttpRequest, figures: selectors.Figures, **context) -> HttpResponse:
    return render(
        request,
        "impact/figures.html",
        {
            "figures": figures,
            "kind_chart": bars(figures.by_kind),
            "state_chart": bars(figures.by_state),
            "section": "impact",
            **context,
        },
    )


@require_safe
@board_access_required
def season(request: HttpRequest) -> HttpResponse:
    try:
        date_from, date_to = _dates(request)
    except ValueError:
        return _bad_dates()
    events = selectors.events_between(date_from=date_from, date_to=date_to)
    tours = [
        (tour, selectors.tour_figures(tour=tour))
        for tour in selectors.season_tours(date_from=date_from, date_to=date_to)
    ]
    query = f"from={date_from:%Y-%m-%d}&to={date_to:%Y-%m-%d}"
    return _page(
        request,
        selectors.season_figures(date_from=date_from, date_to=date_to),
        scope="season",
        date_from=date_from,
        date_to=date_to,
        tours=tours,
        export_query=query,
        comments=selectors.comments(events=events)[:50],
    )


@require_safe
@board_access_required
def tour(request: HttpRequest, tour_id: int) -> HttpResponse:
    the_tour = get_object_or_404(Tour, pk=tour_id)
    events = the_tour.events.order_by("starts_at")
    return _page(
        request,
        selectors.tour_figures(tour=the_tour),
        scope="tour",
        tour=the_tour,
        events=[(e, selectors.event_figures(event=e)) for e in events],
        export_query=f"tour={the_tour.pk}",
        comments=selectors.comments(events=events)[:50],
    )


@require_safe
@board_access_required
def event(request: HttpRequest, event_id: int) -> HttpResponse:
    the_event = get_object_or_404(Event.objects.select_related("request", "tour"), pk=event_id)
    has_survey = the_event.status in selectors.SURVEY_STATUSES
    return _page(
        request,
        selectors.event_figures(event=the_event),
        scope="event",
        event=the_event,
        survey_url=services.survey_url(event=the_event) if has_survey else "",
        survey_state=selectors.survey_state(event=the_event),
        published=selectors.is_published(the_event),
        listable=selectors.is_listable(the_event),
        export_query=f"event={the_event.pk}",
        comments=selectors.comments(events=Event.objects.filter(pk=the_event.pk)),
    )


@require_POST
@board_access_required
def publish(request: HttpRequest, event_id: int) -> HttpResponse:
    the_event = get_object_or_404(Event.objects.select_related("request"), pk=event_id)
    try:
        services.publish_event(event=the_event, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Listed on the public events page."))
    return redirect(reverse("impact:event", args=[the_event.pk]))


@require_POST
@board_access_required
def unpublish(request: HttpRequest, event_id: int) -> HttpResponse:
    the_event = get_object_or_404(Event, pk=event_id)
    if services.unpublish_event(event=the_event):
        messages.success(request, _("Taken off the public events page."))
    return redirect(reverse("impact:event", args=[the_event.pk]))


# -- exports ----------------------------------------------------------------------------------


def _scope(request: HttpRequest) -> tuple[str, QuerySet[Event]]:
    """?event=<id>, ?tour=<id> or ?from=&to= (default the twelve months up to today).
    ValueError when malformed."""
    if "event" in request.GET:
        the_event = get_object_or_404(Event, pk=int(request.GET["event"]))
        return f"event-{the_event.pk}", Event.objects.filter(pk=the_event.pk)
    if "tour" in request.GET:
        the_tour = get_object_or_404(Tour, pk=int(request.GET["tour"]))
        return f"tour-{the_tour.pk}", the_tour.events.all()
    date_from, date_to = _dates(request)
    label = f"{date_from:%Y-%m-%d}_{date_to:%Y-%m-%d}"
    return label, selectors.events_between(date_from=date_from, date_to=date_to)


@require_safe
@board_access_required
def contacts_csv(request: HttpRequest) -> HttpResponse:
    """Attendees who agreed to be kept informed, for the supporter database."""
    try:
        label, events = _scope(request)
    except ValueError:
        return _bad_dates()
    rows = (
        (
            c.email,
            c.language,
            c.consented_on.isoformat(),
            c.consent_text,
            c.event.starts_at.date().isoformat(),
            c.event.city,
            c.event.state,
            c.event.request.organization.name if c.event.request else "",
        )
        for c in selectors.consented_contacts(events=events)
    )
    return exports.csv_response(
        filename=f"supporter-contacts-{label}.csv",
        header=(
            "email",
            "language",
            "consented_on",
            "consent_text",
            "event_date",
            "city",
            "state",
            "organization",
        ),
        rows=rows,
    )


@require_safe
@board_access_required
def figures_csv(request: HttpRequest) -> HttpResponse:
    try:
        label, events = _scope(request)
    except ValueError:
        return _bad_dates()
    figures = selectors.figures(label=label, events=events)
    return exports.csv_response(
        filename=f"impact-figures-{label}.csv",
        header=("section", "figure", "value", "answers"),
        rows=exports.figure_rows(figures),
    )
