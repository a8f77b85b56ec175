"""Query-string filters for staff's speaker-request list; the queries are events.selectors'."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from events import selectors
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
    status = filters.MultipleChoiceFilter(choices=SpeakerRequest.Status.choices)
    state = filters.CharFilter(field_name="state", lookup_expr="iexact")
    organization_kind = filters.MultipleChoiceFilter(
        field_name="organization__kind", choices=Organization.Kind.choices
    )
    source = filters.ChoiceFilter(choices=SpeakerRequest.Source.choices)
    audience_min = filters.NumberFilter(field_name="expected_audience", lookup_expr="gte")
    audience_max = filters.NumberFilter(field_name="expected_audience", lookup_expr="lte")
    date_from = filters.DateFilter(
        method="filter_windows", help_text=_("Has a date window ending on or after this date.")
    )
    date_to = filters.DateFilter(
        method="filter_windows", help_text=_("Has a date window starting on or before this date.")
    )
    near = PointFilter(
        method="filter_near",
        help_text=_("latitude,longitude; with radius_km (default 100), nearest first."),
    )
    radius_km = filters.NumberFilter(method="filter_nothing", min_value=0)

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
