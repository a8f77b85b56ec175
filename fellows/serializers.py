"""API representations of fellows and tours (staff only)."""

from rest_framework import serializers

from fellows.models import Fellow, Tour, TourMember
from fellows.permissions import (
    PRIVATE_FELLOW_FIELDS,
    STAFF_FELLOW_FIELDS,
    can_view_private_details,
)


class FellowSerializer(serializers.ModelSerializer):
    """Private fields (legal name, contact, home base) only for staff allowed to see them;
    the others get the same object without those keys (fellows.permissions)."""

    class Meta:
        model = Fellow
        fields = ["id", *STAFF_FELLOW_FIELDS, *PRIVATE_FELLOW_FIELDS]

    def to_representation(self, instance: Fellow) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not can_view_private_details(getattr(request, "user", None)):
            for name in PRIVATE_FELLOW_FIELDS:
                data.pop(name, None)
        return data


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
        from events.selectors import tour_progress  # events imports fellows; stay lazy

        return tour_progress(tour=tour)

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

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The tour must end after it starts."})
        weekdays = attrs.get("rest_weekdays")
        if weekdays is not None and (
            not isinstance(weekdays, list)
            or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays)
        ):
            raise serializers.ValidationError(
                {"rest_weekdays": "A list of weekday numbers, 0=Monday … 6=Sunday."}
            )
        for name in ("start_latitude", "start_longitude"):
            if attrs.get(name, getattr(self.instance, name, None)) is None:
                raise serializers.ValidationError({name: str(Tour.START_REQUIRED)})
        day_start = attrs.get("work_day_start", getattr(self.instance, "work_day_start", None))
        day_end = attrs.get("work_day_end", getattr(self.instance, "work_day_end", None))
        if day_start and day_end and day_end <= day_start:
            raise serializers.ValidationError(
                {"work_day_end": "The working day must end after it starts."}
            )
        return attrs
