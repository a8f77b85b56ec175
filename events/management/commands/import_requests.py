"""manage.py import_requests FILE.csv: speaker requests from a spreadsheet.

The columns are described in events/csv_import.py and in the README. Each row is reported;
the command exits with status 1 when any row (or the file) has a problem, after importing
every good row.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from events import csv_import


class Command(BaseCommand):
    help = (
        "Import speaker requests from a CSV file (columns: see README, 'Importing requests'). "
        "Good rows are saved even when others fail; rows whose external_id was imported "
        "before are skipped, so running it again is safe."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row.")
        parser.add_argument(
            "--no-acknowledgement",
            action="store_false",
            dest="acknowledge",
            help="Do not email hosts their acknowledgement and private link.",
        )

    def handle(self, *args, file: Path, acknowledge: bool, **options) -> None:
        try:
            with file.open(encoding="utf-8-sig", newline="") as source:
                report = csv_import.import_requests(source, acknowledge=acknowledge)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        for problem in report.problems:
            self.stderr.write(problem)
        for row in report.rows:
            line = f"line {row.line} [{row.external_id or '-'}] {row.outcome}"
            if row.reference:
                line += f" {row.reference}"
            if row.messages:
                line += ": " + "; ".join(row.messages)
            style = {"created": self.style.SUCCESS, "skipped": self.style.WARNING}
            self.stdout.write(style.get(row.outcome, self.style.ERROR)(line))
        self.stdout.write(report.summary)
        if report.count("error") or (report.problems and not report.rows):
            raise CommandError(report.summary)
