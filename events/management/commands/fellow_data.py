"""manage.py fellow_data export|delete <fellow id>: one fellow's personal data.

`export` writes everything held about the fellow as JSON (stdout, or --out FILE); `delete`
erases it under the policy in events/fellow_privacy.py and needs --yes. Deleting is refused, with
the events named, while the fellow has upcoming tentative or confirmed events.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from events import fellow_privacy as privacy
from fellows.models import Fellow


class Command(BaseCommand):
    help = (
        "Export (JSON) or delete one fellow's personal data. Delete removes legal name, "
        "contact details, unavailability, feed token and account link, renames the fellow "
        "'Former fellow <id>' and is refused while the fellow has upcoming events."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["export", "delete"])
        parser.add_argument("fellow_id", type=int, help="The fellow's id (see the admin).")
        parser.add_argument("--out", type=Path, help="export: write the JSON to this file.")
        parser.add_argument(
            "--yes", action="store_true", help="delete: confirm; without it nothing is erased."
        )

    def handle(self, *args, action: str, fellow_id: int, out: Path | None, yes: bool, **options):
        try:
            fellow = Fellow.objects.select_related("user").get(pk=fellow_id)
        except Fellow.DoesNotExist as exc:
            raise CommandError(f"No fellow with id {fellow_id}.") from exc
        if action == "export":
            text = json.dumps(
                privacy.export_fellow_data(fellow=fellow), indent=2, ensure_ascii=False
            )
            if out is None:
                self.stdout.write(text)
            else:
                out.write_text(text + "\n", encoding="utf-8")
                self.stderr.write(f"Wrote {out}.")
            return
        if not yes:
            raise CommandError(
                f"This erases the personal data of fellow {fellow_id} and cannot be undone; "
                "run again with --yes."
            )
        try:
            report = privacy.erase_fellow_data(fellow=fellow)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        account = f"; account {report.user_unlinked} unlinked" if report.user_unlinked else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased fellow {report.fellow_id}, now '{report.pseudonym}': "
                f"{report.unavailabilities} unavailability row(s) deleted, "
                f"{report.messages} message(s) redacted, {report.proposals} proposal(s) "
                f"withdrawn, {report.itinerary_items} itinerary item(s) redacted{account}."
            )
        )
