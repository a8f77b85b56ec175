"""manage.py impact_figures --from 2027-01-01 --to 2027-06-30: a season's figures as text."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from impact import exports, selectors


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2027-03-01.") from exc


class Command(BaseCommand):
    help = (
        "Print the figures of the events that started between two dates (inclusive): events "
        "held, attendance hosts reported, survey responses and response rate, the shares "
        "meeting a North Korean for the first time and whose perspective changed (with the "
        "number of answers behind each), and audiences by kind of organization and by state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")

    def handle(self, *args, date_from: str, date_to: str, **options) -> None:
        start, end = _date(date_from), _date(date_to)
        if end < start:
            raise CommandError("--to is before --from.")
        figures = selectors.season_figures(date_from=start, date_to=end)
        self.stdout.write(f"Impact {figures.label}")
        section = ""
        for row_section, name, value, answers in exports.figure_rows(figures):
            if row_section != section:
                section = row_section
                self.stdout.write(f"\n[{section}]")
            behind = f"  (of {answers} answers)" if answers != "" else ""
            shown = "n/a" if value == "" else value
            self.stdout.write(f"  {name}: {shown}{behind}")
