"""Admin for the outbox: staff see what was sent, what failed and why."""

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "recipient_email", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["recipient_email", "subject", "dedupe_key"]
    readonly_fields = [f.name for f in Notification._meta.fields if f.name not in ("id",)]
