"""Staff API for fellows and tours."""

from rest_framework import viewsets

from fellows.models import Fellow, Tour
from fellows.serializers import FellowSerializer, TourSerializer


class FellowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Fellow.objects.all()
    serializer_class = FellowSerializer
    filterset_fields = ["active"]


class TourViewSet(viewsets.ModelViewSet):
    queryset = Tour.objects.prefetch_related("members")
    serializer_class = TourSerializer
    filterset_fields = ["status"]
