"""Admin for tour members, staff feed tokens and itinerary items, and what every admin of
fellows' data shares: private fields behind their permission, a new feed link shown once.

The admins of fellows, tours and unavailability show events (conflicts, a tour's status, the
re-check of its booked events), so they are in events/admin.py.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin
from django.db.models.constants import LOOKUP_SEP
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin_times import LocalTimesAdmin
from fellows.feed_links import feed_url, webcal_url
from fellows.models import ItineraryItem, StaffFeedToken, TourMember
from fellows.permissions import can_view_private_details
from fellows.services import rotate_staff_feed_token, save_itinerary_item


def show_new_link(modeladmin, request, label: str, url: str) -> None:
    # The token exists in clear text only now; staff copy it from this one message.
    messages.success(
        request,
        format_html('{}: <code>{}</code> (<a href="{}">webcal</a>)', label, url, webcal_url(url)),
    )


class PrivateDetailsMixin(BaseModelAdmin):
    """Leaves `private_fields` out of every form and list of this admin for staff without the
    permission to view fellows' private details (fellows.permissions)."""

    private_fields: tuple[str, ...] = ()

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not can_view_private_details(request.user):
            excluded += [name for name in self.private_fields if name not in excluded]
        return excluded

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if can_view_private_details(request.user):
            return fields
        return [name for name in fields if name not in self.private_fields]

    def lookup_allowed(self, lookup, value, request=None):
        # The admin always allows filtering a list by its own fields through the address
        # (?legal_name__startswith=…); a result count would then spell a field out letter by
        # letter. Such lookups answer 400 for staff without the permission.
        touched = set(lookup.split(LOOKUP_SEP))
        if touched & set(self.private_fields) and not can_view_private_details(
            getattr(request, "user", None)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)


@admin.register(TourMember)
class TourMemberAdmin(admin.ModelAdmin):
    list_display = ["tour", "role", "fellow", "staff", "team"]
    list_filter = ["role", "tour"]


@admin.register(StaffFeedToken)
class StaffFeedTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "rotated_at", "last_used_at"]
    readonly_fields = ["user", "token_hash", "created_at", "rotated_at", "last_used_at"]
    actions = ["rotate_feed_tokens"]

    def has_add_permission(self, request) -> bool:
        # Created by rotating (staff/feed/ page or the action), so a token is never typed in.
        return False

    @admin.action(description=_("Make new staff feed links (old links stop working)"))
    def rotate_feed_tokens(self, request, queryset) -> None:
        for row in queryset.select_related("user"):
            token = rotate_staff_feed_token(user=row.user)
            show_new_link(self, request, str(row.user), feed_url(kind="staff", token=token))


@admin.register(ItineraryItem)
class ItineraryItemAdmin(LocalTimesAdmin):
    list_display = ["title", "tour", "kind", "mode", "starts_local", "ends_local", "source"]
    list_filter = ["kind", "mode", "source", "tour"]
    search_fields = ["title", "from_location", "to_location"]
    readonly_fields = ["ical_uid", "sequence"]
    filter_horizontal = ["fellows"]

    def save_model(self, request, obj, form, change) -> None:
        # Through the service, so calendars see a higher SEQUENCE for what changed.
        save_itinerary_item(item=obj, changed=form.changed_data if change else ())

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change and "fellows" in form.changed_data:
            save_itinerary_item(item=form.instance, fellows=form.cleaned_data["fellows"])
