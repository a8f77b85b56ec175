"""The outbox: one row per message, written in the same transaction as the change causing it.

A unique dedupe key makes writing the same message twice a no-op; the status and attempt
fields let workers claim rows atomically and the sweeper re-dispatch what is due.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Request acknowledgement")
        CONFIRMATION = "confirmation", _("Confirmation with invite")
        UPDATE = "update", _("Event update")
        CANCELLATION = "cancellation", _("Cancellation")
        DECLINE = "decline", _("Decline")
        HOST_REMINDER = "host_reminder", _("Host reminder")
        FELLOW_DAY_SHEET = "fellow_day_sheet", _("Fellow day sheet")
        ATTENDANCE_REQUEST = "attendance_request", _("Attendance request")
        PROPOSAL = "proposal", _("Proposed time")
        PROPOSAL_REMINDER = "proposal_reminder", _("Proposed time reminder")
        PROPOSAL_WITHDRAWN = "proposal_withdrawn", _("Proposed time withdrawn")
        HOST_LINK = "host_link", _("New private link for a host")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    kind = models.CharField(max_length=30, choices=Kind)
    recipient_email = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=5, default="en")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    ics = models.TextField(blank=True)
    ics_method = models.CharField(max_length=10, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a delivery task for the row was last handed to the broker (or, for a retry, when
    # its task is due): the sweeper leaves the row to that task for a grace period.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    # A private link sealed until sending and erased once sent (notifications.sealed_links);
    # the bodies hold a placeholder where it goes.
    sealed_link = models.TextField(blank=True, editable=False)
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    speaker_request = models.ForeignKey(
        "events.SpeakerRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    fellow = models.ForeignKey(
        "fellows.Fellow",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        # A fellow's address is private (fellows.permissions); their display name is not.
        recipient = self.recipient_name if self.fellow_id else self.recipient_email
        return f"{self.get_kind_display()} to {recipient} ({self.status})"
