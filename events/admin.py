"""Admin for organizations, requests and events; event writes go through events.services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from common.admin_times import LocalTimesAdmin
from events import csv_import, intake, proposals, request_fields, services
from events.forms import EventAdminForm, RequestImportForm
from events.models import (
    Event,
    EventAssignment,
    Organization,
    PlanningRun,
    RequestWindow,
    SpeakerRequest,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]
    # A website typed without a scheme is taken to be https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class RequestWindowInline(admin.TabularInline):
    model = RequestWindow
    extra = 0
    min_num = 1


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
        "host_token_hash",
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            return
        # Through the service, so a new contact email moves the host's live invites.
        fields = set(form.changed_data) & set(intake.STAFF_EDITABLE_FIELDS)
        changes = {name: form.cleaned_data[name] for name in fields}
        original = SpeakerRequest.objects.get(pk=obj.pk)
        saved = intake.update_request_by_staff(speaker_request=original, changes=changes)
        obj.__dict__.update(saved.__dict__)

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
            details = {
                name: data[name]
                for name in services.EDITABLE_FIELDS
                if data.get(name) not in ("", None)
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
