"""Import speaker requests from a CSV file, row by row, through the same rules as the form.

Used by `manage.py import_requests` and by the admin's "Import CSV" page. Each row is parsed
by the public API's serializer and saved by events.intake.submit_speaker_request, in its own
transaction: a bad row saves nothing of itself and does not stop the good rows. Rows are
identified by `external_id` (required), so importing the same file again creates no
duplicates: rows already imported are reported as skipped.

A header row is required, the column order is free, the text is UTF-8; empty cells take the
form's defaults. The columns and what each takes are declared in events.request_fields
(`CSV_COLUMNS`, `csv_help()`), which the admin's import page and the README's table show.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from events import intake, request_fields
from events.models import SpeakerRequest
from events.serializers import SpeakerRequestSubmissionSerializer

COLUMNS = request_fields.CSV_COLUMNS
_WINDOW = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2})(?:\.\.(?P<end>\d{4}-\d{2}-\d{2}))?\s+"
    r"(?P<from>\d{1,2}:\d{2})\s*-\s*(?P<to>\d{1,2}:\d{2})(?:\s+(?P<preference>\w+))?$"
)


@dataclass
class RowResult:
    line: int
    external_id: str
    outcome: str  # "created", "skipped" or "error"
    reference: str = ""
    messages: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def summary(self) -> str:
        return _("%(created)d created, %(skipped)d already imported, %(errors)d with errors.") % {
            "created": self.count("created"),
            "skipped": self.count("skipped"),
            "errors": self.count("error"),
        }


def parse_windows(text: str) -> list[dict[str, str]]:
    """'2027-03-01..2027-03-05 09:00-17:00 possible; …' → window dicts of strings."""
    windows = []
    for part in (p.strip() for p in (text or "").split(";")):
        if not part:
            continue
        match = _WINDOW.match(part)
        if not match:
            raise ValueError(
                _("“%(window)s” is not like “2027-03-01..2027-03-05 09:00-17:00 preferred”.")
                % {"window": part}
            )
        windows.append(
            {
                "start_date": match["start"],
                "end_date": match["end"] or match["start"],
                "earliest_start": match["from"],
                "latest_end": match["to"],
                "preference": match["preference"] or "preferred",
            }
        )
    return windows


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    """Nested serializer/intake errors → ["window 2, start_date: …", "zip_code: …"]."""
    if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
        errors = {index: e for index, e in enumerate(errors) if e}
    if isinstance(errors, dict):
        lines = []
        for key, value in errors.items():
            if isinstance(key, int) or str(key).isdigit():
                label = _("window %(number)d") % {"number": int(key) + 1}
            else:
                label = str(key)
            separator = ", " if isinstance(value, dict) else ": "
            lines += _flatten(value, f"{prefix}{label}{separator}")
        return lines
    if isinstance(errors, list):
        return [f"{prefix}{message}" for message in errors]
    return [f"{prefix}{errors}"]


def import_row(line: int, row: dict[str, str], *, acknowledge: bool) -> RowResult:
    values: dict[str, Any] = {
        k: (v or "").strip() for k, v in row.items() if k in COLUMNS and (v or "").strip()
    }
    external_id = values.get("external_id", "")
    result = RowResult(line=line, external_id=external_id, outcome="error")
    if not external_id:
        result.messages.append(_("external_id: needed, so that importing again is safe."))
        return result
    existing = SpeakerRequest.objects.filter(external_id=external_id).first()
    if existing is not None:
        result.outcome, result.reference = "skipped", existing.reference
        result.messages.append(_("Already imported as %(ref)s.") % {"ref": existing.reference})
        return result
    try:
        values["windows"] = parse_windows(values.get("windows", ""))
    except ValueError as exc:
        result.messages.append(f"windows: {exc}")
        return result
    parsed = SpeakerRequestSubmissionSerializer(data=values)
    if not parsed.is_valid():
        result.messages += _flatten(parsed.errors)
        return result
    data = {**parsed.validated_data, "external_id": external_id}
    try:
        submission = intake.submit_speaker_request(
            data=data, source=SpeakerRequest.Source.IMPORT, acknowledge=acknowledge
        )
    except intake.RequestRejected as rejected:
        result.messages += _flatten(rejected.as_nested())
        return result
    result.outcome, result.reference = "created", submission.speaker_request.reference
    return result


def import_requests(source: IO[str] | Iterable[str], *, acknowledge: bool = True) -> ImportReport:
    """Import every row of a CSV text stream; the report says what happened to each."""
    report = ImportReport()
    reader = csv.DictReader(source)
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in ("external_id", "organization_name", "windows") if c not in header]
    if missing:
        report.problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        return report
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        report.problems.append(
            _("Ignored unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}
        )
    for row in reader:
        # reader.line_num counts physical lines, right even when a cell holds a newline.
        report.rows.append(import_row(reader.line_num, row, acknowledge=acknowledge))
    return report


def import_requests_from_bytes(content: bytes, *, acknowledge: bool = True) -> ImportReport:
    """For uploads: UTF-8 with or without the byte-order mark spreadsheets add."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report = ImportReport()
        report.problems.append(_("The file is not UTF-8 text; export it as “CSV UTF-8”."))
        return report
    return import_requests(io.StringIO(text, newline=""), acknowledge=acknowledge)
