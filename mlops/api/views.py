from __future__ import annotations

from http import HTTPStatus

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import HasModelPermission, IsStaff
from cardoc.serializers import error_responses
from mlops.api.serializers import MLModelSerializer, PerformanceSerializer, TrafficSerializer
from mlops.models import MLModel
from mlops.services import model_deploy, model_feedback, model_set_traffic

BAD_REQUEST, UNAUTHORIZED, FORBIDDEN = HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN
NOT_FOUND, CONFLICT, UNSUPPORTED = HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT, HTTPStatus.UNSUPPORTED_MEDIA_TYPE
# Staff may read the registry; switching what serves drivers takes the permission the admin asks for too.
CAN_CHANGE_MODELS = HasModelPermission.of("mlops.change_mlmodel")


@extend_schema_view(
    list=extend_schema(
        summary="The model registry",
        responses={HTTPStatus.OK: MLModelSerializer(many=True), **error_responses(UNAUTHORIZED, FORBIDDEN)},
    ),
    retrieve=extend_schema(
        summary="One registered model",
        responses={HTTPStatus.OK: MLModelSerializer, **error_responses(UNAUTHORIZED, FORBIDDEN, NOT_FOUND)},
    ),
)
class MLModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The model registry, for staff: deploy a model, split traffic for an A/B test, watch performance."""

    queryset = MLModel.objects.all()
    serializer_class = MLModelSerializer
    permission_classes = [IsAuthenticated, IsStaff]
    filterset_fields = ["model_type", "status"]

    @extend_schema(
        summary="Make this model the active one of its type (it must verify and load first)",
        request=None,
        responses={HTTPStatus.OK: MLModelSerializer, **error_responses(UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT)},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsStaff, CAN_CHANGE_MODELS])
    def deploy(self, request: Request, pk: str | None = None) -> Response:
        model = model_deploy(model=self.get_object(), actor=request.user, request=request)
        return Response(MLModelSerializer(model).data)

    @extend_schema(
        summary="Give a testing model a share of its type's traffic",
        request=TrafficSerializer,
        responses={
            HTTPStatus.OK: MLModelSerializer,
            **error_responses(BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, UNSUPPORTED),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsStaff, CAN_CHANGE_MODELS])
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

    @extend_schema(
        summary="A model's offline metrics, live figures and live precision from drivers' feedback",
        responses={HTTPStatus.OK: PerformanceSerializer, **error_responses(UNAUTHORIZED, FORBIDDEN, NOT_FOUND)},
    )
    @action(detail=True, methods=["get"])
    def performance(self, request: Request, pk: str | None = None) -> Response:
        model = self.get_object()
        body = {
            "model": model,
            "metrics": model.metrics,
            "live": model.predictions.live_figures(),
            "feedback": model_feedback(model_ids=[model.pk])[model.pk],
        }
        return Response(PerformanceSerializer(body).data)
