from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable, NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.throttles import DiagnosticWriteThrottle
from cardoc.exceptions import ConflictError, DomainError
from cardoc.pagination import NewestFirstCursorPagination
from cardoc.parsers import JSONParser
from cardoc.serializers import ErrorSerializer
from cardoc.sync_api import BAD_IF_MATCH, IF_MATCH, PRECONDITION_FAILED, SyncedViewSetMixin, create_as_pushed, with_etag
from diagnostics import media
from diagnostics.api.serializers import (
    DiagnosticCreateSerializer,
    DiagnosticDetailSerializer,
    DiagnosticSerializer,
    FeedbackInputSerializer,
    FeedbackSerializer,
    NearSerializer,
    ResultSerializer,
    SyncedFeedbackCreateSerializer,
    SyncedFeedbackUpdateSerializer,
    WaitSerializer,
)
from diagnostics.filters import DiagnosticFilter
from diagnostics.models import DiagnosticFeedback, DiagnosticRecord, DiagnosticStatus, FindingFeedback
from diagnostics.repairs import Point, garages_by_service, services_of
from diagnostics.services import (
    UNCHANGED,
    FindingVerdict,
    diagnostic_create,
    diagnostic_delete,
    diagnostic_feedback_submit,
    diagnostic_reanalyze,
)
from mlops.sniff import sniff_file

# How often ?wait re-reads the status: short enough to answer within a tenth of a second of completion.
WAIT_POLL_SECONDS = 0.1
# Both files at their limits plus the form around them; anything bigger is refused before it is read.
MAX_UPLOAD_BYTES = media.IMAGE_MAX_BYTES + media.AUDIO_MAX_BYTES + 1024 * 1024


class UploadTooLargeError(DomainError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "upload_too_large"


ERRORS_READ = {
    401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
    404: OpenApiResponse(ErrorSerializer, description="No such diagnostic among yours."),
}
BAD_INPUT = {400: OpenApiResponse(ErrorSerializer, description="Invalid input; see error.fields.")}
NEAR_PARAMETER = OpenApiParameter(
    "near",
    OpenApiTypes.STR,
    description=(
        "latitude,longitude (e.g. 3.8480,11.5021): list up to 3 garages near here for each repair, nearest first. "
        "Without it, the upload's own latitude/longitude are used when it sent them."
    ),
)
WAIT_PARAMETER = OpenApiParameter(
    "wait",
    OpenApiTypes.INT,
    description="Wait up to this many seconds (0–30) for the analysis to complete or fail before answering.",
)


class _IgnoreAccept(DefaultContentNegotiation):
    """Media downloads answer with the file's own type, whatever the client's Accept header asks for."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


def _wait_seconds(request: Request) -> int:
    serializer = WaitSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["wait"]


def _requested_point(request: Request) -> Point | None:
    serializer = NearSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    near = serializer.validated_data.get("near")
    return None if near is None else Point(latitude=near[0], longitude=near[1], source="near")


def _feedback_for_reading() -> QuerySet[DiagnosticFeedback]:
    findings = FindingFeedback.objects.select_related("ml_model", "corrected_light", "corrected_sound")
    return DiagnosticFeedback.objects.select_related("mechanic_found_light", "mechanic_found_sound").prefetch_related(
        Prefetch("findings", queryset=findings)
    )


def _feedback_of(record: DiagnosticRecord) -> DiagnosticFeedback | None:
    return _feedback_for_reading().filter(record=record).first()


def _feedback_submit(
    request: Request, record: DiagnosticRecord, data: dict[str, Any], *, feedback_id: Any = None
) -> tuple[DiagnosticFeedback, bool]:
    """Send validated feedback input (FeedbackInputSerializer's) to the service."""
    verdicts = [
        FindingVerdict(detection_id=item["finding"], verdict=item["verdict"], code=item.get("code"))
        for item in data.get("findings", [])
    ]
    return diagnostic_feedback_submit(
        record=record,
        user=request.user,
        findings=verdicts,
        mechanic_found_code=data.get("mechanic_found_code", UNCHANGED),
        note=data.get("note", UNCHANGED),
        feedback_id=feedback_id,
        request=request,
    )


def _wait_until_finished(record: DiagnosticRecord, seconds: int) -> None:
    """Poll the record's status (a one-column read) until it completes or fails, or time runs out."""
    if seconds <= 0 or record.is_finished:
        return
    deadline = time.monotonic() + seconds
    finished = (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED)
    while time.monotonic() < deadline:
        status = DiagnosticRecord.objects.filter(pk=record.pk).values_list("status", flat=True).first()
        if status is None or status in finished:
            return
        time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


class CapturedNewestFirstPagination(NewestFirstCursorPagination):
    """History in the order things happened to the car: an offline diagnosis sorts by when it was taken."""

    ordering = ("-captured_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="Your diagnostics, newest first",
        responses={200: DiagnosticSerializer(many=True), **BAD_INPUT, 401: ERRORS_READ[401]},
    ),
    retrieve=extend_schema(
        summary="One diagnostic with its result",
        parameters=[WAIT_PARAMETER, NEAR_PARAMETER],
        responses={200: DiagnosticDetailSerializer, **BAD_INPUT, **ERRORS_READ},
    ),
    destroy=extend_schema(
        summary="Delete a diagnostic, its result and its media",
        parameters=[IF_MATCH],
        responses={204: None, **ERRORS_READ, **BAD_IF_MATCH, **PRECONDITION_FAILED},
    ),
)
class DiagnosticViewSet(
    SyncedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A driver's diagnostics: upload, history, result, re-analysis, deletion and the media themselves."""

    sync_kind = "diagnostic"
    # The sync mixin brings update(), which would make the router offer PUT and PATCH: a diagnostic is
    # never edited, only re-analysed.
    http_method_names = ["get", "post", "delete", "head", "options"]

    serializer_class = DiagnosticSerializer
    filterset_class = DiagnosticFilter
    pagination_class = CapturedNewestFirstPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self) -> QuerySet[DiagnosticRecord]:
        if getattr(self, "swagger_fake_view", False):
            return DiagnosticRecord.objects.none()
        records = DiagnosticRecord.objects.visible_to(self.request.user)
        if self.action == "list":
            return records.with_summary()
        if self.action in ("retrieve", "results"):
            return records.with_findings()
        return records

    def get_throttles(self) -> list[Any]:
        # Uploads and re-analyses cost storage and a model run each: counted per account (THROTTLE_DIAGNOSTIC_WRITE).
        if self.action in ("create", "analyze"):
            return [DiagnosticWriteThrottle()]
        return super().get_throttles()

    def get_serializer_class(self) -> type[DiagnosticSerializer]:
        return DiagnosticDetailSerializer if self.action == "retrieve" else DiagnosticSerializer

    def _result_context(self, record: DiagnosticRecord, point: Point | None = None) -> dict[str, Any]:
        """The serializer context, with the garages near ``point`` (else the upload's place) for each repair."""
        context = self.get_serializer_context()
        if point is None and record.location is not None:
            point = Point(latitude=record.location[0], longitude=record.location[1], source="upload")
        result = getattr(record, "result", None)
        if point is not None and result is not None:
            context["point"] = point
            context["garages"] = garages_by_service(services_of(result.detections.all()), point)
        return context

    def _detail(self, record: DiagnosticRecord) -> dict[str, Any]:
        fresh = DiagnosticRecord.objects.with_findings().filter(pk=record.pk).first()
        if fresh is None:  # deleted while the request waited
            raise NotFound()
        return DiagnosticDetailSerializer(fresh, context=self._result_context(fresh)).data

    @extend_schema(
        summary="Send a photo and/or a recording for diagnosis",
        description=(
            "Multipart upload. `dashboard_scan` needs `image`, `engine_sound` needs `audio`, `combined` needs both. "
            "Stores the upload and queues the analysis. With `?wait=N` the answer waits up to N seconds for it: "
            "201 with the finished record (completed or failed) when it finished in time, else 202 with the "
            "record still pending or running. A repeated `client_ref` answers 200 with the first record."
        ),
        request={"multipart/form-data": DiagnosticCreateSerializer},
        parameters=[WAIT_PARAMETER],
        responses={
            201: OpenApiResponse(DiagnosticDetailSerializer, description="Stored and analysed: the finished record."),
            202: OpenApiResponse(DiagnosticDetailSerializer, description="Stored; the analysis is queued or running."),
            200: OpenApiResponse(DiagnosticDetailSerializer, description="Already received with this client_ref."),
            **BAD_INPUT,
            401: ERRORS_READ[401],
            413: OpenApiResponse(
                ErrorSerializer,
                description="The request body is too large (`upload_too_large`), or storing it would take the "
                "account over its storage quota (`storage_quota_exceeded`).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many uploads this hour; see Retry-After."),
        },
    )
    def create(self, request: Request) -> Response:
        wait = _wait_seconds(request)
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BYTES:
            # Checked before DRF parses the body, so an oversized upload never reaches the disk.
            raise UploadTooLargeError(_("The upload is too large: at most a 15 MB photo and a 20 MB recording."))
        serializer = DiagnosticCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        record, created = diagnostic_create(user=request.user, request=request, **serializer.validated_data)
        _wait_until_finished(record, wait)
        detail = self._detail(record)
        if not created:
            return Response(detail, status=HTTPStatus.OK)
        finished = detail["status"] in (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED)
        return Response(detail, status=HTTPStatus.CREATED if finished else HTTPStatus.ACCEPTED)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        wait = _wait_seconds(request)
        point = _requested_point(request)
        record = self.get_object()
        if wait and not record.is_finished:
            _wait_until_finished(record, wait)
            record = self.get_object()
        detail = DiagnosticDetailSerializer(record, context=self._result_context(record, point)).data
        return with_etag(Response(detail), kind=self.sync_kind, pk=record.pk)

    def perform_destroy(self, instance: DiagnosticRecord) -> None:
        diagnostic_delete(record=instance, user=self.request.user, request=self.request)

    @extend_schema(
        summary="The findings of a diagnostic, joined with the catalog, the repairs and garages nearby",
        description=(
            "Each finding lists the directory services that fix it with their usual price range. With a place "
            "(`?near=`, else the upload's `latitude`/`longitude`), each service also lists up to 3 garages within "
            "25 km that offer it: distance, their price, open now and rating, nearest first."
        ),
        parameters=[NEAR_PARAMETER],
        responses={
            200: ResultSerializer,
            **BAD_INPUT,
            **ERRORS_READ,
            409: OpenApiResponse(ErrorSerializer, description="No result: analysis pending or failed."),
        },
    )
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        point = _requested_point(request)
        record = self.get_object()
        result = getattr(record, "result", None)
        if result is None:
            if record.status == DiagnosticStatus.FAILED:
                raise ConflictError(record.failure_message() or _("The analysis failed."), code="analysis_failed")
            raise ConflictError(_("The analysis has not finished yet."), code="analysis_pending")
        return Response(ResultSerializer(result, context=self._result_context(record, point)).data)

    @extend_schema(
        methods=["GET"],
        summary="Your feedback on a diagnostic's result",
        responses={
            200: FeedbackSerializer,
            401: ERRORS_READ[401],
            404: OpenApiResponse(ErrorSerializer, description="No such diagnostic among yours, or no feedback yet."),
        },
    )
    @extend_schema(
        methods=["POST"],
        summary="Tell us whether the result was right: per finding, and what the mechanic found",
        description=(
            "Per finding (`detections[].id`), `confirmed`, `rejected`, or `corrected` with the right `code`; "
            "optionally `mechanic_found_code` and a `note`. Send it again (POST) to correct it: a verdict "
            "replaces the earlier one on the same finding, findings you leave out keep theirs, and "
            "`mechanic_found_code` and `note` replace theirs when sent (null or empty clears them). "
            "201 the first time, 200 for a correction. Only the diagnostic's owner may send it. "
            "With `id` (a UUID the app made) the first send is safe to retry: the same id and body answer the "
            "stored feedback (200, nothing applied twice); the same id with another body (409, code "
            "id_conflict), or an id when the diagnostic has feedback already (409, code feedback_exists), "
            "changes nothing. A correction is then sent without `id`, or pushed as an update."
        ),
        request=FeedbackInputSerializer,
        responses={
            201: OpenApiResponse(FeedbackSerializer, description="Stored."),
            200: OpenApiResponse(FeedbackSerializer, description="Corrected."),
            **BAD_INPUT,
            **ERRORS_READ,
            409: OpenApiResponse(
                ErrorSerializer,
                description="No completed result to give feedback on (analysis_pending), or the `id` was used "
                "by another send (id_conflict) or the diagnostic has feedback already (feedback_exists).",
            ),
            415: OpenApiResponse(ErrorSerializer, description="Send JSON."),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        if request.method == "GET":
            feedback = _feedback_of(record)
            if feedback is None:
                raise NotFound("No feedback on this diagnostic yet.")
            return with_etag(Response(FeedbackSerializer(feedback).data), kind="feedback", pk=feedback.pk)
        payload = FeedbackInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if payload.validated_data.get("id") is not None:
            # The path a push takes (FeedbackViewSet's create), so a post and a push with one id are one send.
            return create_as_pushed(request, kind="feedback", data={**request.data, "diagnostic": str(record.pk)})
        _feedback, created = _feedback_submit(request, record, payload.validated_data)
        body = FeedbackSerializer(_feedback_of(record)).data
        return Response(body, status=HTTPStatus.CREATED if created else HTTPStatus.OK)

    @extend_schema(
        summary="Analyse a diagnostic again and replace its result",
        request=None,
        responses={
            202: DiagnosticDetailSerializer,
            **ERRORS_READ,
            409: OpenApiResponse(ErrorSerializer, description="An analysis is pending or running."),
            429: OpenApiResponse(ErrorSerializer, description="Too many analyses this hour; see Retry-After."),
        },
    )
    @action(detail=True, methods=["post"])
    def analyze(self, request: Request, pk: str | None = None) -> Response:
        record = diagnostic_reanalyze(record=self.get_object(), user=request.user, request=request)
        return Response(self._detail(record), status=HTTPStatus.ACCEPTED)

    def _stream(self, kind: str) -> FileResponse:
        record = self.get_object()
        field_file = getattr(record, kind)
        if not field_file:
            raise NotFound(
                _("This diagnostic has no photo.") if kind == "image" else _("This diagnostic has no recording.")
            )
        try:
            handle = field_file.storage.open(field_file.name, "rb")
        except FileNotFoundError as exc:
            raise NotFound(_("This file is no longer available.")) from exc
        sniffed = sniff_file(handle)
        content_type = sniffed.content_type if sniffed else "application/octet-stream"
        extension = sniffed.extension if sniffed else "bin"
        response = FileResponse(
            handle, content_type=content_type, as_attachment=False, filename=f"diagnostic-{record.pk}.{extension}"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-cache"
        return response

    @extend_schema(
        summary="The diagnostic's photo (owner only)",
        responses={(200, "image/*"): OpenApiTypes.BINARY, **ERRORS_READ},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_IgnoreAccept)
    def image(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._stream("image")

    @extend_schema(
        summary="The diagnostic's recording (owner only)",
        responses={(200, "audio/*"): OpenApiTypes.BINARY, **ERRORS_READ},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_IgnoreAccept)
    def audio(self, request: Request, pk: str | None = None) -> FileResponse:
        return self._stream("audio")


class FeedbackViewSet(viewsets.GenericViewSet):
    """Drivers' feedback as the change feed and ``/sync/push`` see it: one per diagnostic, by its own id.

    Not routed: over REST, feedback is read and sent at /diagnostics/{id}/feedback, whose POST with an
    ``id`` goes through this viewset's create, exactly as a pushed create does.
    """

    queryset = DiagnosticFeedback.objects.none()
    serializer_class = FeedbackSerializer

    def get_queryset(self) -> QuerySet[DiagnosticFeedback]:
        return _feedback_for_reading().visible_to(self.request.user)

    def get_serializer_class(self) -> type[Any]:
        if self.action == "create":
            return SyncedFeedbackCreateSerializer
        if self.action == "partial_update":
            return SyncedFeedbackUpdateSerializer
        return FeedbackSerializer

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        feedback, _created = _feedback_submit(self.request, data["diagnostic"], data, feedback_id=data.get("id"))
        serializer.instance = self.get_queryset().get(pk=feedback.pk)

    def perform_update(self, serializer: Any) -> None:
        feedback, _created = _feedback_submit(self.request, serializer.instance.record, serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=feedback.pk)
