"""The admin shows times where they happen: an event's or itinerary item's times in its own zone
(its `timezone` field), with the zone named, never bare UTC.

List pages get "Starts"/"Ends" columns in the object's zone; the change form of a model without
its own local-time form (itinerary items) and the History page render and read datetimes in the
object's zone by activating it for that one request. Datetimes elsewhere in the admin are shown
with their zone named through the project's date formats (scheduler/formats).
"""

from __future__ import annotations

from contextlib import nullcontext
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import time_display
from common.local_times import is_zone_name


class LocalTimesAdmin(admin.ModelAdmin):
    """Mixin for a ModelAdmin of a model with starts_at, ends_at and timezone fields."""

    # Whether the change form should show and read times in the object's zone; off for forms
    # that already do it themselves (events.forms.EventAdminForm).
    local_change_form = True

    def _object_zone(self, request: HttpRequest, object_id: str | None):
        obj = self.get_object(request, object_id) if object_id else None
        name = obj.timezone if obj is not None else request.POST.get("timezone")
        if not isinstance(name, str) or not is_zone_name(name):
            return nullcontext()
        return timezone.override(ZoneInfo(name))

    @staticmethod
    def _rendered(response: HttpResponse) -> HttpResponse:
        # TemplateResponse renders after the view returns; render while the zone is active.
        if isinstance(response, TemplateResponse) and not response.is_rendered:
            response.render()
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not self.local_change_form:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with self._object_zone(request, object_id):
            return self._rendered(
                super().changeform_view(request, object_id, form_url, extra_context)
            )

    def history_view(self, request, object_id, extra_context=None):
        with self._object_zone(request, object_id):
            return self._rendered(super().history_view(request, object_id, extra_context))

    @admin.display(description=_("Starts (local time)"), ordering="starts_at")
    def starts_local(self, obj) -> str:
        return time_display.format_date_time(obj.starts_at, obj.timezone)

    @admin.display(description=_("Ends (local time)"), ordering="ends_at")
    def ends_local(self, obj) -> str:
        return time_display.format_date_time(obj.ends_at, getattr(obj, "end_zone", obj.timezone))
