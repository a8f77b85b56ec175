"""Admin for fellows, tours, unavailability and itinerary items."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from common import time_display
from common.admin_times import LocalTimesAdmin
from events.feed_selectors import unavailability_conflicts
from fellows.feed_links import feed_url, webcal_url
from fellows.models import (
    Fellow,
    ItineraryItem,
    StaffFeedToken,
    Tour,
    TourMember,
    Unavailability,
)
from fellows.permissions import PRIVATE_FELLOW_FIELDS, can_view_private_details
from fellows.services import (
    rotate_feed_token,
    rotate_staff_feed_token,
    rotate_tour_feed_token,
    save_itinerary_item,
)


def _conflicts(unavailability: Unavailability) -> str:
    """Events the fellow is booked for during this unavailability, for staff to rebook."""
    if unavailability.pk is None:
        return "—"
    events = unavailability_conflicts(unavailability=unavailability)
    if not events:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a> ({})',
        (
            (
                reverse("admin:events_event_change", args=[e.pk]),
                e.title,
                time_display.format_date_time(e.starts_at, e.timezone),
            )
            for e in events
        ),
    )


def _show_new_link(modeladmin, request, label: str, url: str) -> None:
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


class UnavailabilityInline(PrivateDetailsMixin, admin.TabularInline):
    model = Unavailability
    extra = 0
    readonly_fields = ["conflicts"]
    private_fields = ("reason",)

    @admin.display(description=_("conflicting events"))
    def conflicts(self, obj: Unavailability) -> str:
        return _conflicts(obj)


@admin.register(Fellow)
class FellowAdmin(PrivateDetailsMixin, admin.ModelAdmin):
    list_display = ["display_name", "home_base", "preferred_language", "active"]
    list_filter = ["active", "preferred_language"]
    search_fields = ["display_name", "legal_name", "email"]
    private_fields = PRIVATE_FELLOW_FIELDS

    def get_list_display(self, request):
        if can_view_private_details(request.user):
            return self.list_display
        return [name for name in self.list_display if name not in self.private_fields]

    def get_search_fields(self, request):
        # Searching by a private value would confirm it through the results.
        if can_view_private_details(request.user):
            return self.search_fields
        return ["display_name"]

    readonly_fields = ["feed_token_hash", "feed_token_created_at", "feed_last_used_at"]
    inlines = [UnavailabilityInline]
    actions = ["rotate_feed_tokens"]

    @admin.action(description=_("Make new feed links (old links stop working)"))
    def rotate_feed_tokens(self, request, queryset) -> None:
        for fellow in queryset:
            token = rotate_feed_token(fellow=fellow)
            _show_new_link(self, request, str(fellow), feed_url(kind="fellow", token=token))


class TourMemberInline(admin.TabularInline):
    model = TourMember
    extra = 0
    autocomplete_fields = ["fellow"]


class TourAdminForm(forms.ModelForm):
    class Meta:
        model = Tour
        fields = "__all__"  # noqa: DJ007  (the admin passes its own field list)

    def clean(self):
        # The service's re-check of booked events, shown as form errors before saving.
        from events.services import check_tour_changes

        super().clean()
        data = self.cleaned_data
        if self.instance.pk is not None:
            changes = {name: data[name] for name in self.changed_data if name in data}
            try:
                check_tour_changes(tour=self.instance, changes=changes)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(Tour)
class TourAdmin(admin.ModelAdmin):
    form = TourAdminForm
    list_display = ["name", "start_date", "end_date", "region", "progress"]
    list_filter = ["region"]
    search_fields = ["name", "region"]
    readonly_fields = ["feed_token_hash", "feed_token_created_at", "feed_last_used_at"]
    inlines = [TourMemberInline]
    actions = ["rotate_feed_tokens"]

    def get_queryset(self, request):
        from events.selectors import with_progress

        return with_progress(super().get_queryset(request))

    @admin.display(description=_("status"), ordering="progress")
    def progress(self, tour: Tour) -> str:
        from events.selectors import tour_progress

        return str(Tour.Status(tour_progress(tour=tour)).label)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.save()
            return
        # New dates or limits are checked against the tour's booked events first.
        from events.services import update_tour

        original = Tour.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        update_tour(tour=original, changes=changes)

    @admin.action(description=_("Make new tour feed links (old links stop working)"))
    def rotate_feed_tokens(self, request, queryset) -> None:
        for tour in queryset:
            token = rotate_tour_feed_token(tour=tour)
            _show_new_link(self, request, str(tour), feed_url(kind="tour", token=token))


@admin.register(TourMember)
class TourMemberAdmin(admin.ModelAdmin):
    list_display = ["tour", "role", "fellow", "staff", "team"]
    list_filter = ["role", "tour"]


@admin.register(Unavailability)
class UnavailabilityAdmin(PrivateDetailsMixin, admin.ModelAdmin):
    private_fields = ("reason",)
    list_display = ["fellow", "starts_at", "ends_at", "conflicts"]
    list_filter = ["fellow"]
    search_fields = ["fellow__display_name"]
    readonly_fields = ["conflicts"]

    @admin.display(description=_("conflicting events"))
    def conflicts(self, obj: Unavailability) -> str:
        return _conflicts(obj)


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
            _show_new_link(self, request, str(row.user), feed_url(kind="staff", token=token))


@admin.register(ItineraryItem)
class ItineraryItemAdmin(LocalTimesAdmin):
    list_display = ["title", "tour", "kind", "starts_local", "ends_local", "source"]
    list_filter = ["kind", "source", "tour"]
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
