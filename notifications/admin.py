"""Admin for the outbox: staff see what was sent, what failed and why, and retry dead rows."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import services
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "recipient_email",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient_email", "subject", "dedupe_key", "message_id"]
    # The sealed private link stays out of sight, even as ciphertext.
    readonly_fields = [
        f.name for f in Notification._meta.fields if f.name not in ("id", "sealed_link")
    ]
    exclude = ["sealed_link"]
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: Notification) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry the selected failed or dead messages"))
    def retry(self, request, queryset) -> None:
        retried = 0
        for notification in queryset:
            try:
                services.retry_notification(notification=notification)
            except ValidationError:
                continue
            retried += 1
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", retried)
            % {"count": retried},
            messages.SUCCESS,
        )

    def has_add_permission(self, request) -> bool:
        return False
