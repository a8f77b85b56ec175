"""Query-string filters for staff's speaker-request list; the queries are events.selectors'."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from events import selectors
from events.board_forms import DateInput
from events.models import Organization, SpeakerRequest

DEFAULT_RADIUS_KM = 100.0


class PointField(forms.CharField):
    """ "lat,lon" in decimal degrees."""

    def clean(self, value: str | None) -> tuple[float, float] | None:
        value = super().clean(value)
        if not value:
            return None
        try:
            latitude, longitude = (float(part) for part in value.split(","))
        except ValueError as exc:
            raise forms.ValidationError(_("Give a point as latitude,longitude.")) from exc
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise forms.ValidationError(_("Latitude or longitude out of range."))
        return latitude, longitude


class PointFilter(filters.Filter):
    field_class = PointField


class SpeakerRequestFilter(filters.FilterSet):
    """The request queue's filters (board and API), with the words staff use as labels."""

    status = filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=SpeakerRequest.Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    state = filters.CharFilter(
        label=_("State"),
        field_name="state",
        lookup_expr="iexact",
        widget=forms.TextInput({"size": 3, "maxlength": 2, "placeholder": "NY"}),
        help_text=_("Two-letter state code."),
    )
    organization_kind = filters.MultipleChoiceFilter(
        label=_("Kind of host"),
        field_name="organization__kind",
        choices=Organization.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    source = filters.ChoiceFilter(
        label=_("Came in by"), choices=SpeakerRequest.Source.choices, empty_label=_("Any way")
    )
    audience_min = filters.NumberFilter(
        label=_("Audience at least"),
        field_name="expected_audience",
        lookup_expr="gte",
        widget=forms.NumberInput({"min": 0, "size": 6}),
    )
    audience_max = filters.NumberFilter(
        label=_("Audience at most"),
        field_name="expected_audience",
        lookup_expr="lte",
        widget=forms.NumberInput({"min": 0, "size": 6}),
    )
    date_from = filters.DateFilter(
        label=_("Windows from"),
        method="filter_windows",
        widget=DateInput,
        help_text=_("Has a date window ending on or after this date."),
    )
    date_to = filters.DateFilter(
        label=_("Windows to"),
        method="filter_windows",
        widget=DateInput,
        help_text=_("Has a date window starting on or before this date."),
    )
    near = PointFilter(
        label=_("Near (latitude,longitude)"),
        method="filter_near",
        help_text=_("latitude,longitude; with radius_km (default 100), nearest first."),
    )
    radius_km = filters.NumberFilter(label=_("Within (km)"), method="filter_nothing", min_value=0)

    class Meta:
        model = SpeakerRequest
        fields = ["status", "state", "organization_kind", "source"]

    def filter_windows(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Both ends describe one overlap condition, so apply them together, once.
        if name == "date_to" and self.form.cleaned_data.get("date_from"):
            return queryset
        return selectors.with_windows_between(
            queryset,
            date_from=self.form.cleaned_data.get("date_from"),
            date_to=self.form.cleaned_data.get("date_to"),
        )

    def filter_near(self, queryset: QuerySet, name: str, value: tuple[float, float]) -> QuerySet:
        radius = self.form.cleaned_data.get("radius_km")
        return selectors.requests_near(
            queryset,
            latitude=value[0],
            longitude=value[1],
            radius_km=float(radius) if radius is not None else DEFAULT_RADIUS_KM,
        )

    def filter_nothing(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # radius_km is read by filter_near
