"""Sending one outbox row: claim it atomically, send it, record the outcome.

A row is claimed with a conditional UPDATE (pending/failed → sending), so two workers never send
the same row; the outcome is written before the task is acknowledged.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from notifications.models import Notification


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id)
        .filter(Q(status=Notification.Status.PENDING) | Q(status=Notification.Status.FAILED))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Notification.Status.SENDING, claimed_at=now)
    )
    return Notification.objects.get(pk=notification_id) if claimed else None


def build_message(notification: Notification) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient_email],
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def deliver(notification_id: int) -> bool:
    """Send the row if it is due and unclaimed; True when this call sent it."""
    notification = _claim(notification_id)
    if notification is None:
        return False
    try:
        build_message(notification).send()
    except Exception as exc:
        notification.status = Notification.Status.FAILED
        notification.attempts += 1
        notification.last_error = f"{type(exc).__name__}: {exc}"
        notification.save(update_fields=["status", "attempts", "last_error", "updated_at"])
        return False
    notification.status = Notification.Status.SENT
    notification.attempts += 1
    notification.sent_at = timezone.now()
    notification.last_error = ""
    notification.save(update_fields=["status", "attempts", "sent_at", "last_error", "updated_at"])
    return True
