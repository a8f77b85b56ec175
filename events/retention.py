"""Host data retention: anonymising the contact data of requests that are long finished.

Policy. A request that is completed, declined or withdrawn keeps the host's personal data for
settings.HOST_DATA_RETENTION_DAYS after it closed (the later of its last status change and the
end of its last event that was not cancelled), so staff can still answer follow-up questions.
After that, this module removes:

- on the request: contact name, email and phone, street, the host's notes, attendance
  comments and the decline reason (free text written to or by a person);
- on its events: the street, the on-site contact's name and phone and the day-sheet notes,
  in the events themselves and in their audit-trail (history) rows;
- the outbox rows sent to the host about it, and the fellows' day sheets for those event days
  (they repeat the on-site contact), through notifications.redaction;
- the host's private link: the token hash is dropped and the link marked revoked.

It keeps what impact reports count: organization, kind, audience numbers and type, attendance
and first-time counts, format, city, state, ZIP and coordinates, dates and windows, topics,
status and source. `anonymised_at` records when it happened; a request is anonymised once.

Beat runs `events.tasks.anonymise_host_data` daily; staff run
`manage.py anonymise_host_data [--dry-run]`. Nothing else writes these fields this way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import Event, SpeakerRequest
from notifications.models import Notification
from notifications.redaction import redact_notifications

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ClosedAt(TypedDict):
    closed_at: dt.datetime


RETAINED_STATUSES = (
    SpeakerRequest.Status.COMPLETED,
    SpeakerRequest.Status.DECLINED,
    SpeakerRequest.Status.WITHDRAWN,
)
REQUEST_FIELDS_CLEARED = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "street",
    "notes",
    "attendance_comments",
    "decline_reason",
)
EVENT_FIELDS_CLEARED = ("street", "onsite_contact_name", "onsite_contact_phone", "day_sheet_notes")


@dataclass(frozen=True)
class AnonymisationReport:
    requests: int = 0
    events: int = 0
    notifications: int = 0

    def __add__(self, other: AnonymisationReport) -> AnonymisationReport:
        return AnonymisationReport(
            self.requests + other.requests,
            self.events + other.events,
            self.notifications + other.notifications,
        )


def retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.HOST_DATA_RETENTION_DAYS)


def requests_due_for_anonymisation(
    *, now: dt.datetime | None = None
) -> QuerySet[WithAnnotations[SpeakerRequest, ClosedAt]]:
    """Closed requests whose retention period has passed and that still hold contact data,
    each with `closed_at` (when its status last changed, else its last change)."""
    cutoff = retention_cutoff(now=now)
    # A request declined after its event was booked may still have an event ahead; it stays
    # until that event, too, is past the period (cancelled events do not count).
    recent_event = Event.objects.filter(request=OuterRef("pk"), ends_at__gt=cutoff).exclude(
        status=Event.Status.CANCELLED
    )
    return (
        SpeakerRequest.objects.filter(status__in=RETAINED_STATUSES, anonymised_at__isnull=True)
        .annotate(closed_at=Coalesce("status_changed_at", "updated_at"))
        .filter(closed_at__lte=cutoff)
        .exclude(Exists(recent_event))
        .order_by("pk")
    )


def _day_sheet_keys(events: list[Event]) -> list[str]:
    """Dedupe keys of the fellows' day sheets for these events' local days."""
    keys = []
    for event in events:
        day = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
        keys += [f"day_sheet:{fellow.pk}:{day:%Y-%m-%d}" for fellow in event.fellows.all()]
    return keys


@transaction.atomic
def anonymise_request(
    *, speaker_request: SpeakerRequest, now: dt.datetime | None = None
) -> AnonymisationReport:
    """Remove one request's host contact data; a request no longer due is left alone."""
    now = now or timezone.now()
    # Locked and re-checked: staff may have reopened it since the due list was read.
    locked = (
        requests_due_for_anonymisation(now=now)
        .select_for_update(of=("self",))
        .filter(pk=speaker_request.pk)
        .first()
    )
    if locked is None:
        return AnonymisationReport()
    for name in REQUEST_FIELDS_CLEARED:
        setattr(locked, name, "")
    locked.host_token_hash = None
    locked.host_token_revoked = True
    locked.anonymised_at = now
    locked.save(
        update_fields=[
            *REQUEST_FIELDS_CLEARED,
            "host_token_hash",
            "host_token_revoked",
            "anonymised_at",
            "updated_at",
        ]
    )

    events = list(Event.objects.filter(request=locked).prefetch_related("fellows"))
    event_ids = [event.pk for event in events]
    cleared = dict.fromkeys(EVENT_FIELDS_CLEARED, "")
    # Queryset updates add no history row (the audit trail keeps who changed what; its old
    # rows lose the text just below). updated_at moves so that feeds' ETags and cached
    # calendars drop the old text.
    Event.objects.filter(pk__in=event_ids).update(**cleared, updated_at=now)
    Event.history.filter(id__in=event_ids).update(**cleared)

    messages = Notification.objects.filter(
        Q(speaker_request=locked)
        | Q(event__in=event_ids)
        | Q(dedupe_key__in=_day_sheet_keys(events))
    )
    return AnonymisationReport(
        requests=1,
        events=len(event_ids),
        notifications=redact_notifications(notifications=messages),
    )


def anonymise_due_requests(*, now: dt.datetime | None = None) -> AnonymisationReport:
    """Anonymise every request due; one transaction each, so a failure keeps earlier work."""
    now = now or timezone.now()
    report = AnonymisationReport()
    for pk in list(requests_due_for_anonymisation(now=now).values_list("pk", flat=True)):
        report += anonymise_request(speaker_request=SpeakerRequest(pk=pk), now=now)
    return report
