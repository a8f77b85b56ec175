"""One fellow's personal data: everything we hold about them (export), and erasure on request.

Erasure policy (README, "Data retention and erasure"):

- Refused while the fellow has a tentative or confirmed event that has not ended: staff cancel
  it or move it to another fellow first, so erasing never silently changes a host's booking.
- Removed: legal name, email, phone, languages, bio, home base and its coordinates, every
  unavailability with its reason, the feed token (the feed URL is a 404 at once), the link to
  the user account (a non-staff account is also deactivated and its name and email blanked;
  an administrator deletes it in the admin if wanted), and the messages sent to the fellow
  (notifications.redaction: day sheets repeat whereabouts).
- Where the home base was copied: stored proposals of a team with the fellow (their problem
  and plan start each day at the home base) lose both and can no longer be accepted, and the
  home base's name in itinerary items (travel legs start and end there) becomes "home base".
- Pseudonymised: the display name becomes "Former fellow <id>". Past events, tours and
  itinerary items stay, so impact reports still count them, but they no longer name the
  fellow: a display name is public while the fellow chooses to speak under it, and many speak
  under a changed name to protect family, so erasure does not leave it attached to a history
  of where they were.
- The fellow is made inactive, so the booking rules refuse new events for the record.

Export returns plain JSON-ready data; the feed token hash is not exported (it is a secret
derived value, not data about the person). Management command: `manage.py fellow_data`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from events.models import LIVE_STATUSES, Event, PlanningRun
from fellows.models import Fellow, ItineraryItem, TourMember, Unavailability
from fellows.permissions import PRIVATE_FELLOW_FIELDS, STAFF_FELLOW_FIELDS
from notifications.models import Notification
from notifications.redaction import redact_notifications

PROFILE_FIELDS = (
    *STAFF_FELLOW_FIELDS,
    *PRIVATE_FELLOW_FIELDS,
    "feed_token_created_at",
    "feed_last_used_at",
    "created_at",
    "updated_at",
)
ERASED_TEXT_FIELDS = ("legal_name", "email", "phone", "languages", "bio", "home_base")


def pseudonym(fellow: Fellow) -> str:
    return f"Former fellow {fellow.pk}"


def upcoming_events(*, fellow: Fellow, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Tentative or confirmed events the fellow is booked on that have not ended."""
    return Event.objects.filter(
        assignments__fellow=fellow,
        assignments__active=True,
        status__in=LIVE_STATUSES,
        ends_at__gt=now or timezone.now(),
    ).order_by("starts_at")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime | dt.time) else value


def export_fellow_data(*, fellow: Fellow) -> dict[str, Any]:
    """Everything held about the fellow, as JSON-ready data (dates as ISO 8601 strings)."""
    profile = {name: _iso(getattr(fellow, name)) for name in PROFILE_FIELDS}
    profile["id"] = fellow.pk
    profile["user"] = fellow.user.get_username() if fellow.user else None
    return {
        "exported_at": timezone.now().isoformat(),
        "fellow": profile,
        "tours": [
            {
                "tour": m.tour.name,
                "start_date": _iso(m.tour.start_date),
                "end_date": _iso(m.tour.end_date),
                "team": m.team,
            }
            for m in TourMember.objects.filter(fellow=fellow).select_related("tour")
        ],
        "events": [
            {
                "title": e.title,
                "starts_at": _iso(e.starts_at),
                "ends_at": _iso(e.ends_at),
                "timezone": e.timezone,
                "status": e.status,
                "venue_name": e.venue_name,
                "city": e.city,
                "state": e.state,
            }
            for e in Event.objects.filter(assignments__fellow=fellow).order_by("starts_at")
        ],
        "unavailability": [
            {"starts_at": _iso(u.starts_at), "ends_at": _iso(u.ends_at), "reason": u.reason}
            for u in Unavailability.objects.filter(fellow=fellow)
        ],
        "itinerary": [
            {
                "kind": i.kind,
                "title": i.title,
                "starts_at": _iso(i.starts_at),
                "ends_at": _iso(i.ends_at),
                "from_location": i.from_location,
                "to_location": i.to_location,
                "notes": i.notes,
            }
            for i in ItineraryItem.objects.filter(fellows=fellow)
        ],
        "messages": [
            {
                "kind": n.kind,
                "recipient_email": n.recipient_email,
                "subject": n.subject,
                "status": n.status,
                "created_at": _iso(n.created_at),
                "sent_at": _iso(n.sent_at),
            }
            for n in Notification.objects.filter(fellow=fellow).order_by("created_at")
        ],
    }


@dataclass(frozen=True)
class ErasureReport:
    fellow_id: int
    pseudonym: str
    unavailabilities: int
    messages: int
    proposals: int
    itinerary_items: int
    user_unlinked: str | None


HOME_BASE_REDACTED = "home base"
HOME_BASE_FIELDS = ("title", "from_location", "to_location", "notes")
PROPOSAL_WITHDRAWN = "Withdrawn: it held the home base of a fellow whose data was erased."


def _withdraw_proposals(fellow: Fellow) -> int:
    """Proposals for a team with the fellow: drop the problem and plan they store."""
    fellow_id = str(fellow.pk)
    holding = [
        run.pk
        for run in PlanningRun.objects.exclude(problem=None).only("pk", "problem")
        if any(
            fellow_id in team.get("fellow_ids", ()) for team in (run.problem or {}).get("teams", ())
        )
    ]
    return PlanningRun.objects.filter(pk__in=holding).update(
        problem=None, plan=None, message=PROPOSAL_WITHDRAWN
    )


def _redact_home_base_in_items(fellow: Fellow) -> int:
    """The home base's name in the fellow's itinerary items (where legs start and end)."""
    label = fellow.home_base.strip()
    if not label:
        return 0
    changed = 0
    for item in ItineraryItem.objects.filter(fellows=fellow):
        naming = [name for name in HOME_BASE_FIELDS if label in getattr(item, name)]
        for name in naming:
            setattr(item, name, getattr(item, name).replace(label, HOME_BASE_REDACTED))
        if naming:
            item.save(update_fields=[*naming, "updated_at"])
            changed += 1
    return changed


@transaction.atomic
def erase_fellow_data(*, fellow: Fellow, now: dt.datetime | None = None) -> ErasureReport:
    """Erase the fellow's personal data under the policy above; ValidationError if refused."""
    # The lock makes a concurrent booking of this fellow wait for us; it then finds the
    # fellow inactive and is refused by the booking rules.
    fellow = Fellow.objects.select_for_update().get(pk=fellow.pk)
    ahead = list(upcoming_events(fellow=fellow, now=now)[:3])
    if ahead:
        listed = ", ".join(f"#{e.pk} {e.title} {e.starts_at:%Y-%m-%d}" for e in ahead)
        raise ValidationError(
            {
                "fellow": (
                    f"{fellow.display_name} still has upcoming events ({listed}). Cancel them or "
                    "move them to another fellow first; nothing was erased."
                )
            }
        )

    user = fellow.user
    unlinked = user.get_username() if user else None
    if user is not None and not user.is_staff:
        user.is_active = False
        user.first_name = user.last_name = user.email = ""
        user.save(update_fields=["is_active", "first_name", "last_name", "email"])

    unavailabilities, _ = Unavailability.objects.filter(fellow=fellow).delete()
    messages = redact_notifications(notifications=Notification.objects.filter(fellow=fellow))
    proposals = _withdraw_proposals(fellow)
    itinerary_items = _redact_home_base_in_items(fellow)

    for name in ERASED_TEXT_FIELDS:
        setattr(fellow, name, "")
    fellow.display_name = pseudonym(fellow)
    fellow.home_latitude = fellow.home_longitude = None
    fellow.active = False
    fellow.user = None
    fellow.feed_token_hash = None
    fellow.feed_token_created_at = fellow.feed_last_used_at = None
    fellow.save()
    return ErasureReport(
        fellow_id=fellow.pk,
        pseudonym=fellow.display_name,
        unavailabilities=unavailabilities,
        messages=messages,
        proposals=proposals,
        itinerary_items=itinerary_items,
        user_unlinked=unlinked,
    )
