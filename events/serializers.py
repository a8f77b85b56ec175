"""API representations of organizations, speaker requests and events."""

from __future__ import annotations

from rest_framework import serializers

from events.models import Event, Organization, RequestWindow, SpeakerRequest
from fellows.models import Fellow, Tour


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
            "notes",
            "priority",
            "status",
            "source",
            "windows",
            "created_at",
        ]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    fellows = serializers.PrimaryKeyRelatedField(many=True, queryset=Fellow.objects.all())
    tour = serializers.PrimaryKeyRelatedField(queryset=Tour.objects.all())
    request = serializers.PrimaryKeyRelatedField(
        queryset=SpeakerRequest.objects.all(), required=False, allow_null=True
    )
    override_reason = serializers.CharField(write_only=True, required=False, allow_blank=True)

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
        ]
        read_only_fields = ["status", "ical_uid", "sequence", "window_override_reason"]
        extra_kwargs = {"title": {"required": False}}


class RescheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    fellows = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Fellow.objects.all(), required=False
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")
