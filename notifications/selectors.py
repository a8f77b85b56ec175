"""Reads for notifications: which events are due for a reminder, and the staff outbox list.

Each selector returns every candidate, including ones already reminded: the outbox's dedupe
keys make queuing a reminder twice a no-op, so a scan may run as often as it likes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from events.models import Event
from fellows.permissions import can_view_private_details
from notifications.invites import REQUEST
from notifications.models import Notification

# Hosts report attendance within this many days of the event; older events are not asked.
ATTENDANCE_LOOKBACK = dt.timedelta(days=14)


# What a fellow's message reveals of the fellow beyond the display name it is addressed to:
# their address, which SMTP errors quote too. Staff without the permission to view fellows'
# private details see neither (fellows.permissions).
FELLOW_CONTACT_FIELDS = ("recipient_email", "last_error")


def hides_fellow_contact(*, notification: Notification, user) -> bool:
    return notification.fellow_id is not None and not can_view_private_details(user)


def outbox(*, status: str | None = None) -> QuerySet[Notification]:
    rows = Notification.objects.all()
    return rows.filter(status=status) if status else rows


def thread_root_message_id(*, notification: Notification) -> str:
    """The Message-ID of the first message to this recipient about the same event, which every
    later one (update, cancellation, reminder, attendance request) replies to; "" for the
    first message itself and for messages about no event."""
    if notification.event_id is None:
        return ""
    first = (
        Notification.objects.filter(
            event_id=notification.event_id,
            recipient_email__iexact=notification.recipient_email,
            pk__lt=notification.pk,
        )
        .exclude(message_id="")
        .order_by("pk")
        .values_list("message_id", flat=True)
        .first()
    )
    return first or ""


def host_invites_sent(*, event: Event) -> bool:
    """Whether the host already has this event in their calendar (or it is on its way)."""
    return Notification.objects.filter(
        event=event,
        kind__in=[Notification.Kind.CONFIRMATION, Notification.Kind.UPDATE],
    ).exists()


def events_with_live_invite(*, speaker_request, email: str) -> list[Event]:
    """The request's events, locked, that sit in `email`'s calendar: not cancelled or over,
    and the latest invite sent to that address for them is a REQUEST, not a CANCEL."""
    events = (
        Event.objects.select_for_update()
        .filter(
            request=speaker_request, status__in=[Event.Status.TENTATIVE, Event.Status.CONFIRMED]
        )
        .order_by("starts_at")
    )
    live = []
    for event in events:
        latest = (
            Notification.objects.filter(event=event, recipient_email__iexact=email)
            .exclude(ics_method="")
            .order_by("-pk")
            .values_list("ics_method", flat=True)
            .first()
        )
        if latest == REQUEST:
            live.append(event)
    return live


def events_awaiting_host_answer(*, speaker_request) -> QuerySet[Event]:
    """The request's tentative events whose proposed time was put to the host (a PROPOSAL
    message exists) and that the host has not answered yet."""
    return (
        Event.objects.filter(request=speaker_request, status=Event.Status.TENTATIVE, host_answer="")
        .filter(notifications__kind=Notification.Kind.PROPOSAL)
        .distinct()
        .order_by("starts_at")
    )


def events_due_host_reminder(*, now: dt.datetime, days_before: int) -> QuerySet[Event]:
    """Confirmed events with a host that start within the next `days_before` days."""
    return Event.objects.filter(
        status=Event.Status.CONFIRMED,
        request__isnull=False,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=days_before),
    ).select_related("request", "request__organization")


def events_due_day_sheet(*, now: dt.datetime) -> list[Event]:
    """Confirmed events starting tomorrow in their venue's own time zone."""
    # Any venue's "tomorrow" lies within the next 14–50 hours of UTC, so a coarse window in SQL
    # followed by the exact local-date test keeps the scan small.
    candidates = Event.objects.filter(
        status=Event.Status.CONFIRMED,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=50),
    ).prefetch_related("fellows")
    due = []
    for event in candidates:
        zone = ZoneInfo(event.timezone)
        tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
        if event.starts_at.astimezone(zone).date() == tomorrow:
            due.append(event)
    return due


def fellow_events_on(*, fellow, day: dt.date, zone_name: str) -> list[Event]:
    """The fellow's confirmed events on one local day, in order."""
    zone = ZoneInfo(zone_name)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return list(
        Event.objects.filter(
            fellows=fellow,
            status=Event.Status.CONFIRMED,
            starts_at__gte=start,
            starts_at__lt=start + dt.timedelta(days=1),
        )
        .prefetch_related("fellows")
        .order_by("starts_at")
    )


def events_due_attendance_request(*, now: dt.datetime) -> QuerySet[Event]:
    """Events that took place recently whose host has not reported attendance yet."""
    return Event.objects.filter(
        status__in=[Event.Status.CONFIRMED, Event.Status.COMPLETED],
        request__isnull=False,
        request__attendance_count__isnull=True,
        ends_at__lte=now,
        ends_at__gt=now - ATTENDANCE_LOOKBACK,
    ).select_related("request", "request__organization")
