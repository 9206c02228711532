from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsStaff
from mlops.api.serializers import MLModelSerializer, PerformanceSerializer, TrafficSerializer
from mlops.models import MLModel
from mlops.services import model_deploy, model_set_traffic


class MLModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The model registry, for staff: deploy a model, split traffic for an A/B test, watch performance."""

    queryset = MLModel.objects.all()
    serializer_class = MLModelSerializer
    permission_classes = [IsAuthenticated, IsStaff]
    filterset_fields = ["model_type", "status"]

    @extend_schema(request=None, responses=MLModelSerializer)
    @action(detail=True, methods=["post"])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        model = model_deploy(model=self.get_object(), actor=request.user, request=request)
        return Response(MLModelSerializer(model).data)

    @extend_schema(request=TrafficSerializer, responses=MLModelSerializer)
    @action(detail=True, methods=["post"])
    def traffic(self, request: Request, pk: str | None = None) -> Response:
        payload = TrafficSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        model = model_set_traffic(
            model=self.get_object(),
            share=payload.validated_data["traffic_share"],
            actor=request.user,
            request=request,
        )
        return Response(MLModelSerializer(model).data)

    @extend_schema(responses=PerformanceSerializer)
    @action(detail=True, methods=["get"])
    def performance(self, request: Request, pk: str | None = None) -> Response:
        model = self.get_object()
        body = {"model": model, "metrics": model.metrics, "live": model.predictions.live_figures()}
        return Response(PerformanceSerializer(body).data)
