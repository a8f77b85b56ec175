"""API representations of organizations, speaker requests, events and tours."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import ClassVar

from rest_framework import serializers

from common import local_times
from common.local_times import ApiDateField
from common.text_input import FREE_TEXT_MAX_CHARS
from events import request_fields, selectors
from events.models import Event, Organization, RequestWindow, SpeakerRequest
from events.services import EDITABLE_FIELDS, venue_zone
from fellows.models import Fellow, Tour, TourMember


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "website"]


class RequestWindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestWindow
        fields = ["start_date", "end_date", "earliest_start", "latest_end", "preference"]


class SpeakerRequestSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer(read_only=True)
    windows = RequestWindowSerializer(many=True, read_only=True)
    reference = serializers.CharField(read_only=True)
    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance from ?near=lat,lon, when given."
    )

    class Meta:
        model = SpeakerRequest
        fields = [
            "id",
            "reference",
            "organization",
            # What the host submitted (events.request_fields), then what we added.
            *request_fields.COPIED,
            "timezone",
            "latitude",
            "longitude",
            "priority",
            "status",
            "source",
            "decline_reason",
            "attendance_count",
            "first_time_count",
            "attendance_comments",
            "windows",
            "distance_km",
            "created_at",
        ]
        read_only_fields = fields

    def get_distance_km(self, obj: SpeakerRequest) -> float | None:
        distance = getattr(obj, "distance_km", None)
        return None if distance is None else round(distance, 1)


class EventSerializer(serializers.ModelSerializer):
    fellows = serializers.PrimaryKeyRelatedField(many=True, queryset=Fellow.objects.all())
    tour = serializers.PrimaryKeyRelatedField(queryset=Tour.objects.all())
    request = serializers.PrimaryKeyRelatedField(
        queryset=SpeakerRequest.objects.all(), required=False, allow_null=True
    )
    override_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS
    )
    starts_at = local_times.ApiDateTimeField(
        help_text="With an offset, or without one as the venue's wall-clock time."
    )
    ends_at = local_times.ApiDateTimeField(
        help_text="With an offset, or without one as the venue's wall-clock time."
    )
    occurrence = local_times.api_occurrence_field()

    class Meta:
        model = Event
        fields = [
            "id",
            "request",
            "fellows",
            # What staff set on an event: the booking service's list (the admin form's too).
            *EDITABLE_FIELDS,
            "status",
            "ical_uid",
            "sequence",
            "window_override_reason",
            "override_reason",
            "occurrence",
        ]
        read_only_fields = ["status", "ical_uid", "sequence", "window_override_reason"]
        extra_kwargs = {"title": {"required": False}}
        # One live event per request is the booking service's rule (and the database's
        # backstop); DRF's generated validator would make `request` required.
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        # The venue's zone, as the booking service will store it (services.venue_zone); an
        # event being edited keeps its own unless a new one is given.
        speaker_request, tour = attrs.get("request"), attrs.get("tour")
        zone = attrs.get("timezone") or getattr(self.instance, "timezone", None)
        if not zone and tour is not None:
            zone = venue_zone(request=speaker_request, tour=tour)
        local_times.wall_clock_to_aware(
            attrs, ("starts_at", "ends_at"), zone or Event._meta.get_field("timezone").default
        )
        return attrs


class RescheduleSerializer(serializers.Serializer):
    """`context["event"]` gives the zone that offset-free times are read in."""

    starts_at = local_times.ApiDateTimeField(
        help_text="With an offset, or without one as the venue's wall-clock time."
    )
    ends_at = local_times.ApiDateTimeField(
        help_text="With an offset, or without one as the venue's wall-clock time."
    )
    occurrence = local_times.api_occurrence_field()
    fellows = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Fellow.objects.all(), required=False
    )
    override_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=FREE_TEXT_MAX_CHARS
    )

    def validate(self, attrs: dict) -> dict:
        local_times.wall_clock_to_aware(
            attrs, ("starts_at", "ends_at"), self.context["event"].timezone
        )
        return attrs


class FieldFactoriesMixin:
    """Builds each instance's fields from factories instead of deep-copying declared fields,
    for serializers parsed once per public submission.

    DRF deep-copies every declared field (chiefly the choices lists) for each instance, which
    was a third of the cost of parsing a submission. Each instance still gets fresh field
    objects, because binding a field to its serializer mutates it.
    """

    field_factories: ClassVar[dict[str, Callable[[], serializers.Field]]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: make() for name, make in self.field_factories.items()}


class RequestWindowInputSerializer(FieldFactoriesMixin, serializers.Serializer):
    field_factories = {
        "start_date": ApiDateField,
        "end_date": ApiDateField,
        "earliest_start": serializers.TimeField,
        "latest_end": serializers.TimeField,
        "preference": partial(
            serializers.ChoiceField,
            choices=RequestWindow.Preference.choices,
            default=RequestWindow.Preference.PREFERRED,
        ),
    }


class SpeakerRequestSubmissionSerializer(serializers.Serializer):
    """Parses a public submission (and each CSV import row): the fields declared in
    events.request_fields and the date windows; the rules are events.intake's."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            **request_fields.api_fields(),
            "windows": serializers.ListSerializer(
                child=RequestWindowInputSerializer(), allow_empty=True, max_length=50
            ),
        }


class SubmissionResultSerializer(FieldFactoriesMixin, serializers.Serializer):
    field_factories = {
        "reference": serializers.CharField,
        "status": serializers.CharField,
        "timezone": serializers.CharField,
        "host_url": partial(
            serializers.URLField, help_text="The host's private link; shown only once."
        ),
    }


class RequestStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SpeakerRequest.Status.choices)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=FREE_TEXT_MAX_CHARS, help_text="Sent to the host in the decline notice."
    )


class ConfirmSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS)


class TourMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TourMember
        fields = ["id", "role", "fellow", "staff", "team"]


class TourSerializer(serializers.ModelSerializer):
    members = TourMemberSerializer(many=True, read_only=True)
    status = serializers.SerializerMethodField(
        help_text="Derived from the work, not set: draft, planning (a proposal was asked for or "
        "an event is tentative), published (an event is confirmed), completed (after the end "
        "date)."
    )

    def get_status(self, tour: Tour) -> str:
        return selectors.tour_progress(tour=tour)

    class Meta:
        model = Tour
        fields = [
            "id",
            "name",
            "start_date",
            "end_date",
            "region",
            "status",
            "timezone",
            "start_location",
            "start_latitude",
            "start_longitude",
            "work_day_start",
            "work_day_end",
            "earliest_departure",
            "max_events_per_day",
            "min_gap_minutes",
            "rest_weekdays",
            "max_driving_hours_per_day",
            "default_event_minutes",
            "end_location",
            "end_latitude",
            "end_longitude",
            "region_states",
            "region_radius_km",
            "flight_worth_attendees",
            "flight_1000_km_worth_attendees",
            "travel_hour_worth_attendees",
            "driving_100_km_worth_attendees",
            "hotel_night_worth_attendees",
            "max_flights_per_week",
            "members",
        ]
