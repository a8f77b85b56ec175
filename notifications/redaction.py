"""Redacting outbox rows whose person has been anonymised or erased (host retention, fellow
erasure).

A message's rows keep what staff and reports need (kind, status, dates, dedupe key, links to
the request, event or fellow) and lose what identifies the person: the address, the name and
the rendered bodies and calendar, which repeat names, phone numbers, private links and a
fellow's whereabouts. A row that has not been sent yet is made dead instead of being sent with
a redacted body; the dedupe key stays, so a later scan cannot queue the same message again.

Callers (events.retention, events.fellow_privacy) choose which rows; this module owns how.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from notifications.models import Notification

# A reserved top-level domain (RFC 2606): nothing can ever be delivered there.
REDACTED_ADDRESS = "redacted@redacted.invalid"
REDACTED_TEXT = "[redacted]"
REDACTED_ERROR = "Redacted under the data retention policy before it was sent."


def redact_notifications(*, notifications: QuerySet[Notification]) -> int:
    """Strip personal data from the given rows; returns how many rows were redacted now.

    Running it again over the same rows changes nothing (and returns 0).
    """
    now = timezone.now()
    unsent = list(
        notifications.exclude(
            status__in=(Notification.Status.SENT, Notification.Status.DEAD)
        ).values_list("pk", flat=True)
    )
    redacted = notifications.exclude(recipient_email=REDACTED_ADDRESS).update(
        recipient_email=REDACTED_ADDRESS,
        recipient_name="",
        subject=REDACTED_TEXT,
        body_text=REDACTED_TEXT,
        body_html="",
        ics="",
        sealed_link="",
        # SMTP errors quote the refused address.
        last_error="",
        updated_at=now,
    )
    Notification.objects.filter(pk__in=unsent).update(
        status=Notification.Status.DEAD, last_error=REDACTED_ERROR, updated_at=now
    )
    return redacted
