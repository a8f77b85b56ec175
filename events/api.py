"""Staff API for organizations, speaker requests and events; writes go through services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from events import services
from events.models import Event, Organization, SpeakerRequest
from events.serializers import (
    EventSerializer,
    OrganizationSerializer,
    RescheduleSerializer,
    SpeakerRequestSerializer,
)


def as_drf_error(exc: DjangoValidationError) -> ValidationError:
    """Turn a model/service ValidationError into a 400 with per-field details."""
    if hasattr(exc, "message_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


class OrganizationViewSet(viewsets.ModelViewSet):
    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind"]


class SpeakerRequestViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SpeakerRequest.objects.select_related("organization").prefetch_related("windows")
    serializer_class = SpeakerRequestSerializer
    filterset_fields = ["status", "state", "organization__kind"]


class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Event.objects.select_related("tour", "request").prefetch_related("fellows")
    serializer_class = EventSerializer
    filterset_fields = ["tour", "status"]

    def perform_create(self, serializer: EventSerializer) -> None:
        data = dict(serializer.validated_data)
        try:
            serializer.instance = services.book_event(
                tour=data.pop("tour"),
                fellows=data.pop("fellows"),
                starts_at=data.pop("starts_at"),
                ends_at=data.pop("ends_at"),
                title=data.pop("title", ""),
                request=data.pop("request", None),
                override_reason=data.pop("override_reason", ""),
                locked=data.pop("locked", False),
                **data,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        try:
            event = services.confirm_event(event=self.get_object())
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(EventSerializer(event).data)

    @extend_schema(request=None, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        event = services.cancel_event(event=self.get_object())
        return Response(EventSerializer(event).data)

    @extend_schema(request=RescheduleSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        payload = RescheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            event = services.reschedule_event(event=self.get_object(), **payload.validated_data)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return Response(EventSerializer(event).data, status=status.HTTP_200_OK)
