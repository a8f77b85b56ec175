"""Staff view of outbox rows: what was sent to whom, and why a row failed."""

from __future__ import annotations

from rest_framework import serializers

from notifications.models import Notification
from notifications.selectors import FELLOW_CONTACT_FIELDS, hides_fellow_contact


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "recipient_email",
            "recipient_name",
            "language",
            "subject",
            "status",
            "attempts",
            "next_attempt_at",
            "claimed_at",
            "sent_at",
            "last_error",
            "message_id",
            "ics_method",
            "event",
            "speaker_request",
            "fellow",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Notification) -> dict:
        data = super().to_representation(instance)
        user = getattr(self.context.get("request"), "user", None)
        if hides_fellow_contact(notification=instance, user=user):
            data.update(dict.fromkeys(FELLOW_CONTACT_FIELDS, ""))
        return data
