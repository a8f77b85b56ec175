"""Staff API for fellows, including rotating a fellow's private feed link; tours' is in
events/api.py (a tour's status and changes depend on its events)."""

from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fellows.feed_links import day_sheets_url, feed_url, webcal_url
from fellows.models import Fellow
from fellows.serializers import FellowSerializer
from fellows.services import rotate_feed_token


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
