"""API representations of organizations, speaker requests and events."""

from __future__ import annotations

import copy

from rest_framework import serializers

from events.models import Event, Organization, RequestWindow, SpeakerRequest
from fellows.models import Fellow, Tour
from scheduler import local_times
from scheduler.local_times import ApiDateField
from scheduler.text_input import FREE_TEXT_MAX_CHARS


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
            "contact_name",
            "contact_email",
            "contact_phone",
            "format",
            "street",
            "city",
            "state",
            "zip_code",
            "latitude",
            "longitude",
            "timezone",
            "expected_audience",
            "audience_type",
            "event_length_minutes",
            "topics",
            "interpretation_needed",
            "honorarium_offered",
            "travel_support_offered",
            "list_publicly",
            "notes",
            "priority",
            "status",
            "source",
            "external_id",
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
            "tour",
            "fellows",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "venue_name",
            "street",
            "city",
            "state",
            "zip_code",
            "latitude",
            "longitude",
            "status",
            "visibility",
            "ical_uid",
            "sequence",
            "locked",
            "onsite_contact_name",
            "onsite_contact_phone",
            "day_sheet_notes",
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
        # The venue's zone, as the booking service will store it: given, the request's, the
        # event's own, or the tour's.
        speaker_request, tour = attrs.get("request"), attrs.get("tour")
        zone = (
            attrs.get("timezone")
            or (speaker_request.timezone if speaker_request is not None else None)
            or getattr(self.instance, "timezone", None)
            or (tour.timezone if tour is not None else None)
        )
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


class ShallowFieldsMixin:
    """Builds each instance's fields from the declared ones' arguments without deep-copying
    those arguments, for serializers parsed once per public submission.

    DRF deep-copies every argument (chiefly the choices lists) for each instance, which was a
    third of the cost of parsing a submission. The arguments here are never mutated, so
    sharing them is safe; each instance still gets fresh field objects, because binding a field
    to its serializer mutates it. Nested serializers are deep-copied as usual for the same
    reason: their child fields get bound.
    """

    _declared_fields: dict[str, serializers.Field]

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer)
            else type(field)(*field._args, **field._kwargs)
            for name, field in self._declared_fields.items()
        }


class RequestWindowInputSerializer(ShallowFieldsMixin, serializers.Serializer):
    start_date = ApiDateField()
    end_date = ApiDateField()
    earliest_start = serializers.TimeField()
    latest_end = serializers.TimeField()
    preference = serializers.ChoiceField(
        choices=RequestWindow.Preference.choices, default=RequestWindow.Preference.PREFERRED
    )


class SpeakerRequestSubmissionSerializer(ShallowFieldsMixin, serializers.Serializer):
    """Parses a public submission (and each CSV import row); the rules are events.intake's."""

    organization_name = serializers.CharField(max_length=200)
    organization_kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.CharField(max_length=254)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    format = serializers.ChoiceField(
        choices=SpeakerRequest.Format.choices, default=SpeakerRequest.Format.IN_PERSON
    )
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=2, required=False, allow_blank=True)
    zip_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="IANA zone of the window times, for virtual events; in-person events use the "
        "venue's zone.",
    )
    expected_audience = serializers.IntegerField()
    audience_type = serializers.ChoiceField(
        choices=SpeakerRequest.AudienceType.choices,
        default=SpeakerRequest.AudienceType.GENERAL_PUBLIC,
    )
    event_length_minutes = serializers.IntegerField(default=60)
    topics = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS)
    interpretation_needed = serializers.BooleanField(default=False)
    honorarium_offered = serializers.BooleanField(default=False)
    travel_support_offered = serializers.BooleanField(default=False)
    list_publicly = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=FREE_TEXT_MAX_CHARS)
    windows = RequestWindowInputSerializer(many=True, allow_empty=True, max_length=50)


class SubmissionResultSerializer(ShallowFieldsMixin, serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    timezone = serializers.CharField()
    host_url = serializers.URLField(help_text="The host's private link; shown only once.")


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
