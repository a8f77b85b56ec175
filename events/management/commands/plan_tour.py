"""Ask the planner for a tour's itinerary from the command line, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from events import proposals
from events.models import PlanningRun
from fellows.models import Tour


class Command(BaseCommand):
    help = (
        "Propose an itinerary for TOUR (its id or exact name) with the tour planner and print "
        "the events proposed and every request left out with its reason. The proposal is "
        "stored for staff to review; --accept also books it as tentative events."
    )

    def add_arguments(self, parser):
        parser.add_argument("tour", help="Tour id or exact name.")
        parser.add_argument("--seconds", type=float, default=10.0, help="Time limit (default 10).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument(
            "--accept", action="store_true", help="Accept the whole proposal afterwards."
        )

    def handle(self, *args, tour: str, seconds: float, seed: int, accept: bool, **options):
        found = Tour.objects.filter(pk=int(tour)) if tour.isdigit() else Tour.objects.none()
        found = found or Tour.objects.filter(name=tour)
        if not found:
            raise CommandError(f"No tour with id or name {tour!r}.")
        run = PlanningRun.objects.create(tour=found[0], seconds=seconds, seed=seed)

        def bar(percent: int, message: str) -> None:
            filled = percent // 4
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (25 - filled)}] {percent:3d}% {message:<50}", ending=""
            )
            self.stdout.flush()

        try:
            run = proposals.run_proposal(run.pk, on_progress=bar)
        except Exception as exc:
            raise CommandError(f"Planning failed: {exc}") from exc
        self.stdout.write("")
        summary = proposals.proposal_summary(run)
        self.stdout.write(
            f"Proposal #{run.pk}: {summary['events']} events, value {summary['total_value']:.0f}, "
            f"cost {summary['total_cost']:.0f}, net {summary['net_value']:.0f} attendees; "
            f"{summary['total_km']:.0f} km, {summary['driving_hours']} h driving."
        )
        for team in summary["teams"]:
            self.stdout.write(
                f"  team {team['team']}: {team['events']} events, audience {team['audience']}, "
                f"{team['km_driven']:.0f} km driven, {team['flights']} flight(s), "
                f"{team['hotel_nights']} hotel night(s), net value {team['net_value']:.0f}"
            )
        for left in summary["left_out"]:
            who = left["organization"] or left["request_id"]
            self.stdout.write(f"  left out {who}: {left['reason']} — {left['message']}")
        if accept:
            outcome = proposals.accept_proposal(run=run)
            self.stdout.write(
                self.style.SUCCESS(f"Accepted: {len(outcome.booked)} tentative events booked.")
            )
            for request_id, reasons in outcome.refused.items():
                self.stdout.write(self.style.WARNING(f"  not booked {request_id}: {reasons[0]}"))
