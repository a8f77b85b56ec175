"""Staff API over the outbox: list and inspect messages, retry a dead one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.serializers import NotificationSerializer


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Outbox rows, newest first; `?status=dead` lists what needs a human."""

    queryset = selectors.outbox()
    serializer_class = NotificationSerializer
    filterset_fields = ["status", "kind", "event", "speaker_request"]

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        notification = services.retry_notification(notification=self.get_object())
        return Response(self.get_serializer(notification).data)
