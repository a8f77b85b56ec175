"""Forms on the fellow's own page: a new unavailability and the language of day sheets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from fellows.models import Fellow

# Zones a fellow is likely to be in while touring, plus home; the tour's zone is preselected.
ZONE_CHOICES = [
    ("America/New_York", _("Eastern (New York)")),
    ("America/Chicago", _("Central (Chicago)")),
    ("America/Denver", _("Mountain (Denver)")),
    ("America/Phoenix", _("Arizona (Phoenix)")),
    ("America/Los_Angeles", _("Pacific (Los Angeles)")),
    ("America/Anchorage", _("Alaska (Anchorage)")),
    ("Pacific/Honolulu", _("Hawaii (Honolulu)")),
    ("Asia/Seoul", _("Korea (Seoul)")),
]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class UnavailabilityForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Unavailable from"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("Until"), widget=LocalDateTimeInput())
    timezone = forms.ChoiceField(label=_("Time zone"), choices=ZONE_CHOICES)
    reason = forms.CharField(
        label=_("Reason (private: only staff see it)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def _aware(self, value: dt.datetime, zone: str) -> dt.datetime:
        # The browser sends wall-clock time; read it in the zone the fellow chose, not UTC.
        return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone))

    def clean(self):
        data = super().clean()
        zone = data.get("timezone")
        start, end = data.get("starts_at"), data.get("ends_at")
        if zone and start and end:
            data["starts_at"], data["ends_at"] = self._aware(start, zone), self._aware(end, zone)
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends_at", _("The end must be after the start."))
        return data


class LanguageForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Language of my day sheets and feed"), choices=Fellow.Language.choices
    )
