"""Staff API: which events are listed publicly. Writes go through impact.services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from events.models import Event
from impact import services
from impact.models import PublicListing


class PublicListingSerializer(serializers.ModelSerializer):
    event = serializers.PrimaryKeyRelatedField(queryset=Event.objects.all())

    class Meta:
        model = PublicListing
        fields = ["event", "published_at"]
        read_only_fields = ["published_at"]


class PublicListingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Published events, addressed by event id: POST {"event": id} publishes (the host must have
    asked for a public listing; the event must be confirmed and not over), DELETE
    /public-listings/{event id}/ takes it off every public output at once."""

    serializer_class = PublicListingSerializer
    queryset = PublicListing.objects.order_by("event__starts_at")
    lookup_field = "event"
    # The schema and the URL call it {id}, like every other resource; it is the event's id.
    lookup_url_kwarg = "pk"
    # Only ids reach the database: anything else is a 404, never a 500 from a bad cast.
    lookup_value_regex = "[0-9]{1,18}"

    @extend_schema(responses={201: PublicListingSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = PublicListingSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        # A refusal is a ValidationError({"event": …}): the API's one handler makes it a 400.
        listing = services.publish_event(event=payload.validated_data["event"], by=request.user)
        return Response(PublicListingSerializer(listing).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        event = get_object_or_404(Event, pk=kwargs["pk"])
        if not services.unpublish_event(event=event):
            return Response(status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
