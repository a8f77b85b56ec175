"""Staff API for fellows and tours, including rotating their private feed links."""

from typing import cast

import django_filters
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.api_support import ProtectedDeleteMixin
from fellows.feed_links import day_sheets_url, feed_url, webcal_url
from fellows.models import Fellow, Tour
from fellows.serializers import FellowSerializer, TourSerializer
from fellows.services import rotate_feed_token, rotate_tour_feed_token


class FellowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Fellow.objects.all()
    serializer_class = FellowSerializer
    filterset_fields = ["active"]

    @action(detail=True, methods=["post"], url_path="rotate-feed")
    def rotate_feed(self, request: Request, pk: str | None = None) -> Response:
        """Make a new feed link for the fellow; returned once, the old link dies at once."""
        token = rotate_feed_token(fellow=self.get_object())
        url = feed_url(kind="fellow", token=token)
        return Response(
            {
                "feed_url": url,
                "webcal_url": webcal_url(url),
                "day_sheets_url": day_sheets_url(token=token),
            },
            headers={"Cache-Control": "no-store"},
        )


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
        from events.selectors import with_progress  # events imports fellows; stay lazy

        return with_progress(super().get_queryset())

    def perform_update(self, serializer: BaseSerializer[Tour]) -> None:
        # Changing a tour's dates or limits re-checks its booked events (events.services).
        from events import services

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
