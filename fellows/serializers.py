"""API representation of fellows (staff only); tours' is in events/serializers.py (a tour's
status is derived from its events)."""

from rest_framework import serializers

from fellows.models import Fellow
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
