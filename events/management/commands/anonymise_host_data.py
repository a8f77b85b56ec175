"""manage.py anonymise_host_data [--dry-run]: apply the host data retention policy now.

Beat runs the same thing daily (events.tasks.anonymise_host_data); the policy itself, what is
removed and what is kept, is described in events/retention.py and the README.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from events import retention


class Command(BaseCommand):
    help = (
        "Remove host contact data (name, email, phone, street, notes, comments, on-site "
        "contacts, sent messages, private link) from completed, declined and withdrawn "
        "requests closed more than HOST_DATA_RETENTION_DAYS ago. Audience numbers, city, "
        "state and dates stay for impact reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the requests that would be anonymised and change nothing.",
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        due = retention.requests_due_for_anonymisation()
        days = settings.HOST_DATA_RETENTION_DAYS
        if dry_run:
            for speaker_request in due:
                self.stdout.write(
                    f"{speaker_request.reference} {speaker_request.status} "
                    f"closed {speaker_request.closed_at:%Y-%m-%d}"
                )
            self.stdout.write(
                f"{due.count()} request(s) would be anonymised (retention {days} days); "
                "nothing was changed."
            )
            return
        report = retention.anonymise_due_requests()
        self.stdout.write(
            self.style.SUCCESS(
                f"Anonymised {report.requests} request(s), {report.events} event(s), "
                f"{report.notifications} message(s) (retention {days} days)."
            )
        )
