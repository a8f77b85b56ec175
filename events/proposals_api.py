"""Staff API for tour proposals: ask for one, poll its progress, accept all or part of it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from events import proposals
from events.models import PlanningRun
from fellows.models import Tour


class PlanningRunSerializer(serializers.ModelSerializer):
    tour = serializers.PrimaryKeyRelatedField(queryset=Tour.objects.all())
    seconds = serializers.FloatField(min_value=1, max_value=120, default=10)
    seed = serializers.IntegerField(min_value=0, default=0)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = PlanningRun
        fields = [
            "id",
            "tour",
            "status",
            "progress",
            "message",
            "seconds",
            "seed",
            "error",
            "summary",
            "plan",
            "accepted_request_ids",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "status",
            "progress",
            "message",
            "error",
            "plan",
            "accepted_request_ids",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_summary(self, run: PlanningRun) -> dict:
        return proposals.proposal_summary(run)


class AcceptSerializer(serializers.Serializer):
    request_ids = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Accept only these requests of the proposal; omit to accept all of it.",
    )


class AcceptedSerializer(serializers.Serializer):
    booked = serializers.ListField(child=serializers.IntegerField())
    refused = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PlanningRunViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PlanningRun.objects.select_related("tour")
    serializer_class = PlanningRunSerializer
    filterset_fields = ["tour", "status"]

    def create(self, request: Request, *args, **kwargs) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = proposals.request_proposal(
            tour=payload.validated_data["tour"],
            by=request.user,
            seconds=payload.validated_data["seconds"],
            seed=payload.validated_data["seed"],
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=AcceptSerializer, responses=AcceptedSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        payload = AcceptSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        outcome = proposals.accept_proposal(
            run=self.get_object(),
            request_ids=payload.validated_data["request_ids"],
            by=request.user,
        )
        return Response({"booked": [e.pk for e in outcome.booked], "refused": outcome.refused})
