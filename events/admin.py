"""Admin for organizations, requests and events; event writes go through events.services.

Fellows', tours' and unavailability's admins are here too, above the fellows app, because they
show events: the events an unavailability conflicts with, a tour's status derived from its
events, and the re-check of a tour's booked events when its dates or limits change.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from common import time_display
from common.admin_times import LocalTimesAdmin
from events import csv_import, intake, proposals, request_fields, selectors, services
from events.feed_selectors import unavailability_conflicts
from events.forms import EventAdminForm, RequestImportForm
from events.models import (
    Event,
    EventAssignment,
    Organization,
    PlanningRun,
    RequestWindow,
    SpeakerRequest,
)
from fellows import services as fellow_services
from fellows.admin import PrivateDetailsMixin, show_new_link
from fellows.feed_links import feed_url
from fellows.models import Fellow, Tour, TourMember, Unavailability
from fellows.permissions import PRIVATE_FELLOW_FIELDS, can_view_private_details
from fellows.services import rotate_feed_token, rotate_tour_feed_token


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    # A website typed without a scheme is taken to be https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class RequestWindowInline(admin.TabularInline):
    """The host's windows, to read: they change through the host's private link, whose
    service checks them (events.intake.update_request_by_host), not by a raw edit here."""

    model = RequestWindow
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SpeakerRequest)
class SpeakerRequestAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "organization",
        "city",
        "state",
        "expected_audience",
        "status",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source", "format", "organization__kind", "state"]
    search_fields = ["organization__name", "contact_name", "contact_email", "city", "zip_code"]
    list_select_related = ["organization"]
    inlines = [RequestWindowInline]
    # Status moves go through events.lifecycle (board, API, admin actions), never a raw edit.
    readonly_fields = [
        "status",
        "source",
        "host_token_hash",
        "host_token_revoked",
        "status_changed_at",
        "created_at",
        "updated_at",
    ]
    # Adds the "Import CSV" button; staff correct coordinates and time zone in the change
    # form (saving there never geocodes again, so corrections stick).
    change_list_template = "admin/events/speakerrequest/change_list.html"
    autocomplete_fields = ["organization"]
    actions = ["reissue_host_links"]

    @admin.action(description=_("Email the hosts new private links (old links stop working)"))
    def reissue_host_links(self, request: HttpRequest, queryset) -> None:
        sent = 0
        for speaker_request in queryset:
            try:
                intake.reissue_host_link(speaker_request=speaker_request)
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"{speaker_request.reference}: {' '.join(exc.messages)}",
                    messages.ERROR,
                )
            else:
                sent += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d new link is on its way.", "%(count)d new links are on their way.", sent
            )
            % {"count": sent},
        )

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        # A request comes in through intake (the request form, the API or "Import CSV"), which
        # checks it, locates the venue and sends the host an acknowledgement with a private
        # link; a raw admin row would skip all three.
        self.message_user(
            request,
            _(
                "Enter a new request on the request form (the host gets their acknowledgement "
                "and private link), or use “Import CSV” for many."
            ),
            messages.INFO,
        )
        return redirect("events:request-speaker")

    def save_model(self, request, obj, form, change):
        # Through the service, so a new contact email moves the host's live invites.
        fields = set(form.changed_data) & set(intake.STAFF_EDITABLE_FIELDS)
        changes = {name: form.cleaned_data[name] for name in fields}
        original = SpeakerRequest.objects.get(pk=obj.pk)
        intake.update_request_by_staff(speaker_request=original, changes=changes)
        obj.refresh_from_db()

    def get_urls(self):
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="events_speakerrequest_import_csv",
            ),
            *super().get_urls(),
        ]

    def import_csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RequestImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            report = csv_import.import_requests_from_bytes(
                form.cleaned_data["file"].read(), acknowledge=form.cleaned_data["acknowledge"]
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import speaker requests"),
            "form": form,
            "report": report,
            "columns_help": "\n".join(
                f"{column:<24} {takes}" for column, takes in request_fields.csv_help()
            ),
        }
        return TemplateResponse(request, "admin/events/speakerrequest/import_csv.html", context)


class EventAssignmentInline(admin.TabularInline):
    model = EventAssignment
    extra = 0
    can_delete = False
    readonly_fields = ["fellow", "starts_at", "ends_at", "active"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(LocalTimesAdmin, SimpleHistoryAdmin):  # History: who changed what
    form = EventAdminForm
    local_change_form = False  # EventAdminForm reads and shows the venue's wall clock itself
    list_display = ["title", "tour", "starts_local", "status", "visibility", "locked", "sequence"]
    list_filter = ["status", "visibility", "locked", "tour"]
    search_fields = ["title", "venue_name", "city"]
    list_select_related = ["tour"]
    readonly_fields = [
        "status",
        "ical_uid",
        "sequence",
        "window_override_reason",
        "cancelled_at",
        "cancellation_reason",
        # The host's answer and staff's note come from their own doors (the link, confirming).
        "host_answer",
        "host_answer_comment",
        "host_answered_at",
        "confirmation_note",
    ]
    inlines = [EventAssignmentInline]
    actions = ["confirm_selected", "cancel_selected"]
    autocomplete_fields = ["request"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fellows = list(data["assigned_fellows"])
        reason = data.get("override_reason") or ""
        if not change:
            # Only what staff typed: a field left at its model default (the arrival time,
            # say) must not override what the service derives from the request and the tour.
            details = {
                name: data[name]
                for name in services.EDITABLE_FIELDS
                if (name in form.changed_data or name == "timezone")
                and data.get(name) not in ("", None)
                and name not in ("tour", "title", "starts_at", "ends_at", "locked")
            }
            saved = services.book_event(
                tour=data["tour"],
                fellows=fellows,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                title=data["title"],
                request=data.get("request"),
                override_reason=reason,
                locked=data.get("locked", False),
                **details,
            )
            obj.pk = saved.pk
            return
        # Every change goes through the service: rules re-checked, SEQUENCE raised and the
        # host's update queued when anything a calendar shows changed.
        fields = set(form.changed_data) & set(services.EDITABLE_FIELDS)
        original = Event.objects.get(pk=obj.pk)
        changes = {name: data[name] for name in fields}
        for name in fields:  # the form wrote its values onto obj; the service decides
            setattr(obj, name, getattr(original, name))
        services.update_event(
            event=original,
            changes=changes,
            fellows=fellows if "assigned_fellows" in form.changed_data else None,
            override_reason=reason,
        )

    def get_readonly_fields(self, request, obj=None):
        # Which request an event serves is chosen when it is booked; re-link by cancelling
        # and booking again, so the one-live-event rule and the host's messages stay right.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "request"] if obj is not None else fields

    def save_related(self, request, form, formsets, change):
        # Fellows are saved by the service together with their assignment rows.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Confirm selected events (sends invites)"))
    def confirm_selected(self, request, queryset):
        self._apply(request, queryset, services.confirm_event, _("confirmed"))

    @admin.action(description=_("Cancel selected events (sends cancellations)"))
    def cancel_selected(self, request, queryset):
        self._apply(request, queryset, services.cancel_event, _("cancelled"))

    def _apply(self, request, queryset, service, verb):
        done = 0
        for event in queryset:
            try:
                service(event=event)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{event}: {' '.join(exc.messages)}", messages.ERROR)
        self.message_user(
            request, _("%(count)d event(s) %(verb)s.") % {"count": done, "verb": verb}
        )


@admin.register(PlanningRun)
class PlanningRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tour", "status", "progress", "message", "created_at"]
    list_filter = ["status", "tour"]
    readonly_fields = [f.name for f in PlanningRun._meta.fields]
    actions = ["accept_selected"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Accept the whole proposal (books tentative events)"))
    def accept_selected(self, request, queryset):
        for run in queryset:
            try:
                outcome = proposals.accept_proposal(run=run, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{run}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(run)s: %(booked)d events booked, %(refused)d refused.")
                % {"run": run, "booked": len(outcome.booked), "refused": len(outcome.refused)},
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
            show_new_link(self, request, str(fellow), feed_url(kind="fellow", token=token))


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
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is not None:
            changes = {name: data[name] for name in self.changed_data if name in data}
            try:
                services.check_tour_changes(tour=self.instance, changes=changes)
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
        return selectors.with_progress(super().get_queryset(request))

    @admin.display(description=_("status"), ordering="progress")
    def progress(self, tour: Tour) -> str:
        return str(Tour.Status(selectors.tour_progress(tour=tour)).label)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            # Members come from the inline, saved after this (save_related).
            fellow_services.create_tour(tour=obj, teams={})
            return
        # New dates or limits are checked against the tour's booked events first.
        original = Tour.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.update_tour(tour=original, changes=changes)

    @admin.action(description=_("Make new tour feed links (old links stop working)"))
    def rotate_feed_tokens(self, request, queryset) -> None:
        for tour in queryset:
            token = rotate_tour_feed_token(tour=tour)
            show_new_link(self, request, str(tour), feed_url(kind="tour", token=token))


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
