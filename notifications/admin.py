"""Admin for the outbox: staff see what was sent, what failed and why, and retry dead rows."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fellows.permissions import can_view_private_details
from notifications import services
from notifications.models import Notification
from notifications.selectors import FELLOW_CONTACT_FIELDS, hides_fellow_contact


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

    # A fellow's address (and SMTP errors quoting it) only for staff allowed to see it.
    def get_list_display(self, request):
        if can_view_private_details(request.user):
            return self.list_display
        return ["recipient_name" if n == "recipient_email" else n for n in self.list_display]

    def lookup_allowed(self, lookup, value, request=None):
        # ?recipient_email__startswith=… would spell a fellow's address out through the count.
        touched = set(lookup.split(LOOKUP_SEP))
        if touched & set(FELLOW_CONTACT_FIELDS) and not can_view_private_details(
            getattr(request, "user", None)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        if can_view_private_details(request.user):
            return self.search_fields
        return [name for name in self.search_fields if name != "recipient_email"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and hides_fellow_contact(notification=obj, user=request.user):
            return [name for name in fields if name not in FELLOW_CONTACT_FIELDS]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and hides_fellow_contact(notification=obj, user=request.user):
            return [name for name in fields if name not in FELLOW_CONTACT_FIELDS]
        return fields

    @admin.display(description=_("last error"))
    def short_error(self, obj: Notification) -> str:
        return "" if obj.fellow_id else obj.last_error[:80]

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
