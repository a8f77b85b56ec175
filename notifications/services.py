"""Writes to the outbox: every message becomes a Notification row in the caller's transaction.

The unique dedupe key makes queuing the same message twice a no-op. Delivery is scheduled only
after the transaction commits, so a rolled-back change never sends mail.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import Notification

logger = logging.getLogger(__name__)


def dispatch_after_commit(notification_id: int) -> None:
    """Queue delivery once the surrounding transaction commits; the sweeper covers failures."""

    def send() -> None:
        from notifications.tasks import deliver_notification

        try:
            deliver_notification.delay(notification_id)
        except Exception:  # broker down: the row stays pending and the sweeper sends it later
            logger.warning(
                "Broker unavailable; notification %s left for the sweeper",
                notification_id,
                exc_info=True,
            )

    transaction.on_commit(send)


def enqueue(
    *,
    kind: str,
    dedupe_key: str,
    recipient_email: str,
    template: str,
    context: dict,
    recipient_name: str = "",
    language: str = "en",
    ics: str = "",
    ics_method: str = "",
    **links,
) -> Notification:
    """Render a message from `notifications/<template>_{subject,body}.txt|.html` and store it."""
    with translation.override(language):
        subject = " ".join(
            render_to_string(f"notifications/{template}_subject.txt", context).split()
        )
        body_text = render_to_string(f"notifications/{template}_body.txt", context)
        body_html = render_to_string(f"notifications/{template}_body.html", context)
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": kind,
            "recipient_email": recipient_email,
            "recipient_name": recipient_name,
            "language": language,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "ics": ics,
            "ics_method": ics_method,
            **links,
        },
    )
    if created:
        dispatch_after_commit(notification.pk)
    return notification


def queue_request_acknowledgement(*, speaker_request, host_url: str) -> Notification:
    """Tell the host we received the request, with their private link."""
    return enqueue(
        kind=Notification.Kind.ACKNOWLEDGEMENT,
        dedupe_key=f"ack:{speaker_request.pk}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="acknowledgement",
        context={"speaker_request": speaker_request, "host_url": host_url},
        speaker_request=speaker_request,
    )


def queue_request_decline(*, speaker_request) -> Notification:
    """Tell the host, kindly, that we cannot send a speaker this time."""
    return enqueue(
        kind=Notification.Kind.DECLINE,
        dedupe_key=f"decline:{speaker_request.pk}",
        recipient_email=speaker_request.contact_email,
        recipient_name=speaker_request.contact_name,
        template="decline",
        context={"speaker_request": speaker_request},
        speaker_request=speaker_request,
    )
