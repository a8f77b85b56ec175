"""Forms on the fellow's own page: a new unavailability and the language of day sheets."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import local_times
from common.text_input import one_line
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
        validators=[one_line],
    )
    occurrence = local_times.occurrence_field()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        zone = data.get("timezone")
        if not zone:
            return data
        # The browser sends wall-clock time; read it in the zone the fellow chose, not UTC.
        for name in ("starts_at", "ends_at"):
            typed = data.get(name)
            if typed is None:
                continue
            typed = timezone.make_naive(typed)
            try:
                data[name] = local_times.aware(
                    typed.date(), typed.time(), zone, occurrence=data.get("occurrence")
                )
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        # A time refused above has left cleaned_data.
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must be after the start."))
        return data


class LanguageForm(forms.Form):
    preferred_language = forms.ChoiceField(
        label=_("Language of my day sheets and feed"), choices=Fellow.Language.choices
    )
