"""Spreadsheet exports (CSV) of requests, events and impact, per tour or per season.

Staff report to donors and boards from spreadsheets, so the files are made for Excel first:

- UTF-8 with a byte-order mark, which Excel needs to read Korean names as Korean (without it
  Excel guesses the legacy code page and garbles them); other tools ignore the mark.
- ZIP codes are written as ="02467", Excel's way to keep a text cell's leading zero (a bare
  02467 becomes the number 2467). Google Sheets and LibreOffice read it the same way.
- Any other cell starting with = + - @ (or a tab or carriage return) gets a leading apostrophe,
  so a host who typed "=HYPERLINK(...)" into a form field cannot make a formula run on a staff
  member's computer (CSV injection, OWASP).
- Dates are ISO (2027-03-02) and times 24-hour local times in their own column beside the IANA
  zone, so they sort and filter as data.

A fellow appears only by display name: nothing here reads a fellow's private fields. The host's
contact is included in the requests export: staff see it on the board as well.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _

from events import selectors
from events.models import Event, SpeakerRequest
from fellows.models import Tour

KINDS = ("requests", "events", "impact")
# Longest season one export may cover; a mistyped year (2207) is refused instead of scanned.
MAX_SEASON_DAYS = 3 * 366
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class ExportScope:
    """One tour, or a season: the tours starting and the events happening between two dates
    (both included). A tour's scope spans the tour's own dates."""

    date_from: dt.date
    date_to: dt.date
    tour: Tour | None = None

    @classmethod
    def for_tour(cls, tour: Tour) -> ExportScope:
        return cls(date_from=tour.start_date, date_to=tour.end_date, tour=tour)

    @property
    def slug(self) -> str:
        """For the file name: tour-12 or 2027-01-01_2027-12-31."""
        if self.tour is not None:
            return f"tour-{self.tour.pk}"
        return f"{self.date_from.isoformat()}_{self.date_to.isoformat()}"


def make_scope(
    *, tour_id: int | None, date_from: dt.date | None, date_to: dt.date | None
) -> ExportScope:
    """A scope from a tour id or a date range.

    Raises ValidationError (per field) when neither or both are given, the tour does not exist,
    the range ends before it starts or is longer than MAX_SEASON_DAYS.
    """
    if tour_id is not None:
        if date_from or date_to:
            raise ValidationError(_("Give a tour or a date range, not both."))
        tour = Tour.objects.filter(pk=tour_id).first()
        if tour is None:
            raise ValidationError({"tour": _("No such tour.")})
        return ExportScope.for_tour(tour)
    if date_from is None or date_to is None:
        raise ValidationError(_("Give a tour, or both the first and the last day of a season."))
    if date_to < date_from:
        raise ValidationError({"date_to": _("The last day is before the first.")})
    if (date_to - date_from).days > MAX_SEASON_DAYS:
        raise ValidationError({"date_to": _("A season export covers at most three years.")})
    return ExportScope(date_from=date_from, date_to=date_to)


# -- cells -------------------------------------------------------------------------------------


def safe_cell(value: object) -> object:
    """A value as a spreadsheet may show it, never as a formula it would run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def zip_cell(zip_code: str) -> str:
    """A ZIP code that keeps its leading zero in Excel (see the module docstring). ZIP codes
    are validated as digits (and a dash) on the way in; anything else goes through safe_cell."""
    if zip_code and all(c.isdigit() or c == "-" for c in zip_code):
        return f'="{zip_code}"'
    return str(safe_cell(zip_code))


def to_csv(header: list[str], rows: Iterable[list[object]]) -> str:
    """The whole file: BOM, header, rows, CRLF line ends (the csv module's default)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell if _is_zip_formula(cell) else safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _is_zip_formula(cell: object) -> bool:
    # zip_cell's own output is the one formula allowed through: ="<digits and dashes>".
    return (
        isinstance(cell, str)
        and cell.startswith('="')
        and cell.endswith('"')
        and all(c.isdigit() or c == "-" for c in cell[2:-1])
    )


# -- requests ----------------------------------------------------------------------------------

REQUEST_HEADER = [
    "reference",
    "received",
    "status",
    "organization",
    "organization_kind",
    "format",
    "city",
    "state",
    "zip_code",
    "timezone",
    "expected_audience",
    "audience_type",
    "event_length_minutes",
    "windows",
    "topics",
    "interpretation_needed",
    "honorarium_offered",
    "travel_support_offered",
    "notes",
    "source",
    "contact_name",
    "contact_email",
    "contact_phone",
    "attendance_reported",
    "first_time_reported",
]


def scoped_requests(scope: ExportScope) -> QuerySet[SpeakerRequest]:
    """Requests with a window touching the scope's dates, or an event on its tour."""
    touching = selectors.with_windows_between(
        SpeakerRequest.objects.all(), date_from=scope.date_from, date_to=scope.date_to
    ).values("pk")
    condition = Q(pk__in=touching)
    if scope.tour is not None:
        condition |= Q(events__tour=scope.tour)
    return (
        selectors.requests_for_staff()
        .filter(pk__in=SpeakerRequest.objects.filter(condition).values("pk"))
        .order_by("created_at", "pk")
    )


def _windows_text(speaker_request: SpeakerRequest) -> str:
    # The import format (README, "Importing requests"), so an export can be read back by eye.
    return "; ".join(
        f"{w.start_date.isoformat()}"
        f"{'' if w.end_date == w.start_date else '..' + w.end_date.isoformat()}"
        f" {w.earliest_start:%H:%M}-{w.latest_end:%H:%M} {w.preference}"
        for w in sorted(speaker_request.windows.all(), key=lambda w: w.start_date)
    )


def request_rows(scope: ExportScope) -> Iterator[list[object]]:
    for r in scoped_requests(scope):
        yield [
            r.reference,
            r.created_at.date().isoformat(),
            r.get_status_display(),
            r.organization.name,
            r.organization.get_kind_display(),
            r.get_format_display(),
            r.city,
            r.state,
            zip_cell(r.zip_code),
            r.timezone,
            r.expected_audience,
            r.get_audience_type_display(),
            r.event_length_minutes,
            _windows_text(r),
            r.topics,
            r.interpretation_needed,
            r.honorarium_offered,
            r.travel_support_offered,
            r.notes,
            r.get_source_display(),
            r.contact_name,
            r.contact_email,
            r.contact_phone,
            r.attendance_count,
            r.first_time_count,
        ]


# -- events ------------------------------------------------------------------------------------

EVENT_HEADER = [
    "tour",
    "title",
    "status",
    "date",
    "start",
    "end",
    "timezone",
    "venue",
    "city",
    "state",
    "zip_code",
    "fellows",
    "request",
    "organization",
    "expected_audience",
    "attendance_reported",
    "host_answer",
]


def scoped_events(scope: ExportScope) -> QuerySet[Event]:
    """The tour's events, or the events whose local start day falls in the season (the UTC
    query is widened by a day each side and the edges are cut in Python, per venue zone)."""
    events = Event.objects.select_related("tour", "request__organization").prefetch_related(
        "fellows"
    )
    if scope.tour is not None:
        return events.filter(tour=scope.tour).order_by("starts_at", "pk")
    start = dt.datetime.combine(scope.date_from - dt.timedelta(days=1), dt.time(), dt.UTC)
    end = dt.datetime.combine(scope.date_to + dt.timedelta(days=2), dt.time(), dt.UTC)
    return events.filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at", "pk")


def event_rows(scope: ExportScope) -> Iterator[list[object]]:
    for e in scoped_events(scope):
        zone = ZoneInfo(e.timezone)
        starts, ends = e.starts_at.astimezone(zone), e.ends_at.astimezone(zone)
        if scope.tour is None and not scope.date_from <= starts.date() <= scope.date_to:
            continue
        request = e.request
        yield [
            e.tour.name,
            e.title,
            e.get_status_display(),
            starts.date().isoformat(),
            f"{starts:%H:%M}",
            f"{ends:%H:%M}",
            e.timezone,
            e.venue_name,
            e.city,
            e.state,
            zip_cell(e.zip_code),
            # Display names only: legal names never leave the fellow's record.
            ", ".join(sorted(f.display_name for f in e.fellows.all())),
            request.reference if request else "",
            request.organization.name if request else "",
            request.expected_audience if request else "",
            selectors.reported_attendance(e),
            e.get_host_answer_display() if e.host_answer else "",
        ]


# -- impact ------------------------------------------------------------------------------------

IMPACT_HEADER = [
    "tour",
    "start_date",
    "end_date",
    "events_held",
    "audience_reported",
    "first_time",
    "first_time_share_percent",
    "requests_declined",
    "left_out_by_planner",
]


def _impact_row(row: selectors.Impact, tour: Tour | None) -> list[object]:
    share = row.first_time_share
    return [
        row.label,
        tour.start_date.isoformat() if tour else "",
        tour.end_date.isoformat() if tour else "",
        row.events_held,
        row.audience_reported,
        row.first_time,
        round(share * 100, 1) if share is not None else "",
        row.declined,
        row.left_out,
    ]


def impact_rows(scope: ExportScope) -> Iterator[list[object]]:
    """One row per tour (host-reported attendance), then the total when there are several."""
    if scope.tour is not None:
        tours = [scope.tour]
    else:
        tours = list(
            Tour.objects.filter(
                start_date__gte=scope.date_from, start_date__lte=scope.date_to
            ).order_by("start_date", "name")
        )
    total, per_tour = selectors.impact_of_tours(tours=tours, label=_("All tours"))
    for tour, row in zip(tours, per_tour, strict=True):
        yield _impact_row(row, tour)
    if len(tours) != 1:
        yield _impact_row(total, None)


EXPORTS = {
    "requests": (REQUEST_HEADER, request_rows),
    "events": (EVENT_HEADER, event_rows),
    "impact": (IMPACT_HEADER, impact_rows),
}


def export_csv(*, kind: str, scope: ExportScope) -> tuple[str, str]:
    """(file name, CSV text) for one kind of export. Raises KeyError for an unknown kind."""
    header, rows = EXPORTS[kind]
    return f"{kind}-{scope.slug}.csv", to_csv(header, rows(scope))


def download(*, kind: str, scope: ExportScope) -> HttpResponse:
    """The export as a file download (board and API)."""
    filename, text = export_csv(kind=kind, scope=scope)
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
