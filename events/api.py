"""Staff API for organizations, speaker requests, events and tours; writes go through services.

A service's ValidationError (a booking refusal, a refused submission) becomes a 400 with
per-field details in common.api_errors, the API's one exception handler."""

from __future__ import annotations

from typing import cast

import django_filters
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.api_support import ProtectedDeleteMixin
from events import exports, intake, selectors, services
from events.board_forms import ExportScopeForm
from events.filters import SpeakerRequestFilter
from events.models import Event, Organization, SpeakerRequest
from events.ratelimit import seconds_until_allowed
from events.serializers import (
    CancelSerializer,
    ConfirmSerializer,
    DeclineSerializer,
    EventSerializer,
    OrganizationSerializer,
    RequestStatusSerializer,
    RescheduleSerializer,
    SpeakerRequestSerializer,
    SpeakerRequestSubmissionSerializer,
    SubmissionResultSerializer,
    TourSerializer,
)
from fellows import services as fellow_services
from fellows.feed_links import feed_url, webcal_url
from fellows.models import Tour
from fellows.services import rotate_tour_feed_token


class OrganizationViewSet(ProtectedDeleteMixin, viewsets.ModelViewSet):
    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_fields = ["kind"]


class SpeakerRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff read and triage requests; anyone may create one (rate limited, like the form)."""

    queryset = selectors.requests_for_staff()
    serializer_class = SpeakerRequestSerializer
    filterset_class = SpeakerRequestFilter

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    # Summaries and descriptions of every operation: scheduler/api_docs.py.
    @extend_schema(
        request=SpeakerRequestSubmissionSerializer, responses={201: SubmissionResultSerializer}
    )
    def create(self, request: Request) -> Response:
        if (wait := seconds_until_allowed(request)) is not None:
            raise Throttled(
                wait=wait,
                detail=_("Too many requests from your connection; please try again later."),
            )
        payload = SpeakerRequestSubmissionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submission = intake.submit_speaker_request(
            data=payload.validated_data, source=SpeakerRequest.Source.API
        )
        created = submission.speaker_request
        result = {
            "reference": created.reference,
            "status": created.status,
            "timezone": created.timezone,
            "host_url": submission.host_url,
        }
        return Response(SubmissionResultSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RequestStatusSerializer, responses=SpeakerRequestSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        payload = RequestStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changed = intake.change_request_status(
            speaker_request=self.get_object(), status=payload.validated_data["status"]
        )
        return Response(SpeakerRequestSerializer(changed).data)

    @extend_schema(request=None, responses=SpeakerRequestSerializer)
    @action(detail=True, methods=["post"], url_path="reissue-link")
    def reissue_link(self, request: Request, pk: str | None = None) -> Response:
        reissued = intake.reissue_host_link(speaker_request=self.get_object())
        return Response(SpeakerRequestSerializer(reissued).data)

    @extend_schema(request=DeclineSerializer, responses=SpeakerRequestSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        payload = DeclineSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        declined = intake.decline_request(
            speaker_request=self.get_object(), reason=payload.validated_data["reason"]
        )
        return Response(SpeakerRequestSerializer(declined).data)


class EventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Event.objects.select_related("tour", "request").prefetch_related("fellows")
    serializer_class = EventSerializer
    filterset_fields = ["tour", "status"]

    def perform_create(self, serializer: BaseSerializer[Event]) -> None:
        data = dict(serializer.validated_data)
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

    @extend_schema(request=ConfirmSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm a tentative event; `note` is needed over a host's "this time does not work"."""
        payload = ConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.confirm_event(event=self.get_object(), **payload.validated_data)
        return Response(EventSerializer(event).data)

    @extend_schema(request=CancelSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an event; an optional `reason` is told to the host with METHOD:CANCEL."""
        payload = CancelSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = services.cancel_event(event=self.get_object(), **payload.validated_data)
        return Response(EventSerializer(event).data)

    @extend_schema(request=RescheduleSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        payload = RescheduleSerializer(data=request.data, context={"event": event})
        payload.is_valid(raise_exception=True)
        event = services.reschedule_event(event=event, **payload.validated_data)
        return Response(EventSerializer(event).data, status=status.HTTP_200_OK)


EXPORT_SCOPE_PARAMETERS = [
    OpenApiParameter("tour", OpenApiTypes.INT, description="One tour's export, by its id."),
    OpenApiParameter(
        "date_from", OpenApiTypes.DATE, description="First day of a season (with date_to)."
    ),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, description="Last day of a season (with date_from)."
    ),
]
CSV_RESPONSE = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.STR, description="UTF-8 CSV with a byte-order mark, for Excel."
    )
}


class ExportViewSet(viewsets.ViewSet):
    """CSV exports for reports, per tour (`?tour=`) or per season (`?date_from=&date_to=`)."""

    # Answers are files, not JSON: content negotiation and format suffixes do not apply.
    def _download(self, request: Request, kind: str) -> HttpResponse:
        form = ExportScopeForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {field: [str(e) for e in errors] for field, errors in form.errors.items()}
            )
        # make_scope's refusal (an unknown tour, a reversed season) is a 400 through the
        # API's one exception handler (common.api_errors).
        scope = exports.make_scope(
            tour_id=form.cleaned_data["tour"],
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
        )
        return exports.download(kind=kind, scope=scope)

    @extend_schema(
        summary="Export requests (CSV)",
        description=(
            "Every request with a date window touching the tour's dates or the season, or with "
            "an event on the tour: host, place, audience, windows, topics, host contact, "
            "reported attendance."
        ),
        parameters=EXPORT_SCOPE_PARAMETERS,
        responses=CSV_RESPONSE,
    )
    @action(detail=False, methods=["get"], url_path="requests")
    def export_requests(self, request: Request) -> HttpResponse:
        return self._download(request, "requests")

    @extend_schema(
        summary="Export events (CSV)",
        description=(
            "The tour's events, or every event starting in the season (local day of the venue): "
            "date and local times with the time zone, place, fellows by display name, request, "
            "expected and reported audience."
        ),
        parameters=EXPORT_SCOPE_PARAMETERS,
        responses=CSV_RESPONSE,
    )
    @action(detail=False, methods=["get"], url_path="events")
    def export_events(self, request: Request) -> HttpResponse:
        return self._download(request, "events")

    @extend_schema(
        summary="Export impact (CSV)",
        description=(
            "Per tour (tours starting in the season): events held, audience and first-time "
            "attendees as hosts reported them, requests declined and left out; then the total."
        ),
        parameters=EXPORT_SCOPE_PARAMETERS,
        responses=CSV_RESPONSE,
    )
    @action(detail=False, methods=["get"], url_path="impact")
    def export_impact(self, request: Request) -> HttpResponse:
        return self._download(request, "impact")


class TourFilter(django_filters.FilterSet):
    # The status is derived from the work (events.selectors.with_progress), so the filter reads
    # the annotation the view's queryset carries.
    status = django_filters.ChoiceFilter(
        field_name="progress", choices=Tour.Status.choices, label="Status"
    )

    class Meta:
        model = Tour
        fields: list[str] = []


class TourViewSet(ProtectedDeleteMixin, viewsets.ModelViewSet):
    queryset = Tour.objects.prefetch_related("members")
    serializer_class = TourSerializer
    filterset_class = TourFilter

    def get_queryset(self):
        return selectors.with_progress(super().get_queryset())

    def perform_create(self, serializer: BaseSerializer[Tour]) -> None:
        # The tour's rules (dates, working day, rest days, a start) are the model's, checked
        # by the service; members are added on the board or in the admin.
        serializer.instance = fellow_services.create_tour(
            tour=Tour(**serializer.validated_data), teams={}
        )

    def perform_update(self, serializer: BaseSerializer[Tour]) -> None:
        # Changing a tour's dates or limits re-checks its booked events (events.services).
        serializer.instance = services.update_tour(
            tour=cast(Tour, serializer.instance), changes=serializer.validated_data
        )

    @action(detail=True, methods=["post"], url_path="rotate-feed")
    def rotate_feed(self, request: Request, pk: str | None = None) -> Response:
        """Make a new feed link for the whole tour; returned once, the old link dies at once."""
        token = rotate_tour_feed_token(tour=self.get_object())
        url = feed_url(kind="tour", token=token)
        return Response(
            {"feed_url": url, "webcal_url": webcal_url(url)}, headers={"Cache-Control": "no-store"}
        )
