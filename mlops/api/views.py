from __future__ import annotations

from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasModelPermission, IsStaff
from cardoc.exceptions import ConflictError
from cardoc.serializers import error_responses
from mlops.api.serializers import MLModelSerializer, PerformanceSerializer, TrafficSerializer
from mlops.models import MLModel, ModelStatus
from mlops.services import model_deploy, model_feedback, model_set_traffic, onnx_export_of

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


# --- Models on the phone --------------------------------------------------------------------------------


class OnnxExportSerializer(serializers.Serializer):
    download_url = serializers.CharField(help_text="GET it with your token; cached by ETag (its sha256).")
    sha256 = serializers.CharField(help_text="SHA-256 of the ONNX file, to check the download.")
    size_bytes = serializers.IntegerField()
    input_spec = serializers.JSONField(help_text="The input tensor (name, shape, dtype), how to build it, the classes.")


class ActiveModelSerializer(serializers.ModelSerializer):
    onnx = serializers.SerializerMethodField(help_text="Null until `manage.py export_onnx` has exported it.")

    class Meta:
        model = MLModel
        fields = ["id", "name", "model_type", "version", "sha256", "size_bytes", "deployed_at", "onnx"]
        extra_kwargs = {"sha256": {"help_text": "SHA-256 of the trained artefact (weights and config)."}}

    @extend_schema_field(OnnxExportSerializer(allow_null=True))
    def get_onnx(self, model: MLModel) -> dict[str, Any] | None:
        export = onnx_export_of(model)
        if export is None:
            return None
        return {
            "download_url": reverse("api:mlmodel-download", kwargs={"pk": model.pk}),
            "sha256": export.sha256,
            "size_bytes": export.size_bytes,
            "input_spec": export.input_spec,
        }


class ActiveModelsView(APIView):
    """The models serving now, one per type, for a phone that diagnoses offline."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["models"],
        summary="The active model of each type, with its ONNX export",
        responses={HTTPStatus.OK: ActiveModelSerializer(many=True), **error_responses(UNAUTHORIZED)},
    )
    def get(self, request: Request) -> Response:
        models = MLModel.objects.filter(status=ModelStatus.ACTIVE).order_by("model_type")
        return Response(ActiveModelSerializer(models, many=True).data)


class ModelDownloadView(APIView):
    """The ONNX file of an active model; a phone that has it already gets a 304."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["models"],
        summary="Download an active model as ONNX",
        parameters=[
            OpenApiParameter(
                "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="The ETag of your copy."
            )
        ],
        responses={
            (HTTPStatus.OK, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file."),
            HTTPStatus.NOT_MODIFIED: OpenApiResponse(description="Your copy is this one."),
            **error_responses(UNAUTHORIZED, NOT_FOUND, CONFLICT),
        },
    )
    def get(self, request: Request, pk: UUID) -> HttpResponseBase:
        # Only active models reach phones: a testing or retired one is simply not found.
        model = get_object_or_404(MLModel, pk=pk, status=ModelStatus.ACTIVE)
        export = onnx_export_of(model)
        if export is None:
            raise ConflictError(gettext("This model has no ONNX export yet; try again later."), code="not_exported")
        tag = f'"{export.sha256}"'
        if request.headers.get("If-None-Match") == tag:
            response: HttpResponseBase = HttpResponse(status=HTTPStatus.NOT_MODIFIED)
        else:
            filename = f"{model.name}-{model.version}.onnx"
            response = FileResponse(export.path.open("rb"), as_attachment=True, filename=filename)
            response["Content-Type"] = "application/octet-stream"
        response["ETag"] = tag
        response["Cache-Control"] = "private, no-cache"
        return response
