"""Reads for notifications: the staff outbox list, what a fellow's message reveals, a
message's thread and whether a host already holds an invite.

Which events are due a reminder, or hold a host's live invite, is for events to say
(events.selectors; events.services.queue_due_reminders): notifications sits below events.
"""

from __future__ import annotations

from django.db.models import QuerySet

from fellows.permissions import can_view_private_details
from notifications.models import Notification
from notifications.protocols import HostedEvent

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


def host_invites_sent(*, event: HostedEvent) -> bool:
    """Whether the host already has this event in their calendar (or it is on its way)."""
    return Notification.objects.filter(
        event_id=event.pk,
        kind__in=[Notification.Kind.CONFIRMATION, Notification.Kind.UPDATE],
    ).exists()
