"""CSV downloads of the impact app: consented contacts and figures. The file format (UTF-8 with a
byte-order mark, formula-safe cells) is events.exports', the one home of our spreadsheets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.http import HttpResponse

from events.exports import to_csv
from impact import selectors


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    text = to_csv(list(header), (list(row) for row in rows))
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def figure_rows(figures: selectors.Figures) -> list[tuple[str, str, object, object]]:
    """(section, name, value, answers behind it) rows: the figures CSV and the command."""
    rate = figures.response_rate

    def pct(share: selectors.Share) -> object:
        return "" if share.ratio is None else round(100 * share.ratio, 1)

    rows: list[tuple[str, str, object, object]] = [
        ("total", "events held", figures.events_held, ""),
        ("total", "events with attendance reported", figures.events_with_attendance, ""),
        ("total", "attendance reported", figures.attendance_reported, ""),
        ("total", "survey responses", figures.responses, ""),
        ("total", "response rate %", pct(rate), rate.answers),
        (
            "total",
            "first time meeting a North Korean %",
            pct(figures.first_time),
            figures.first_time.answers,
        ),
        (
            "total",
            "perspective changed (yes or somewhat) %",
            pct(figures.perspective_changed),
            figures.perspective_changed.answers,
        ),
        ("total", "consented contacts", figures.contacts, ""),
    ]
    for key, count in figures.perspective_counts.items():
        rows.append(("perspective changed", key, count, figures.perspective_changed.answers))
    for section, groups in (("organization kind", figures.by_kind), ("state", figures.by_state)):
        for group in groups:
            rows.append((section, f"{group.label}: events", group.events, ""))
            rows.append((section, f"{group.label}: attendance", group.attendance, ""))
            rows.append((section, f"{group.label}: responses", group.responses, ""))
    return rows
