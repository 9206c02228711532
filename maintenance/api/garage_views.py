"""The driver's garage: fill-ups, attachments, a car's costs, fuel economy and odometer history."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
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
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.models import User, Vehicle
from cardoc import sync
from cardoc.serializers import error_responses
from cardoc.sync_api import (
    BAD_IF_MATCH,
    ID_CONFLICT,
    IF_MATCH,
    PRECONDITION_FAILED,
    SyncedViewSetMixin,
    created_response,
    object_at_version,
    with_etag,
)
from maintenance import csvio, garage, services
from maintenance.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CostReportSerializer,
    CostsQuerySerializer,
    EconomySummarySerializer,
    FuelEntrySerializer,
    ImportReportSerializer,
    ImportSerializer,
    OdometerHistorySerializer,
)
from maintenance.filters import FuelEntryFilter
from maintenance.models import Attachment, FuelEntry, MaintenanceRecord

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UPLOAD_REQUEST = {"multipart/form-data": AttachmentUploadSerializer}


class _IgnoreAccept(DefaultContentNegotiation):
    """A download answers with the file's own type, whatever the client's Accept header asks for."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


def _economy_of(vehicle_ids: set[UUID]) -> dict[UUID, garage.Economy]:
    """Economy at every fill-up of these cars, in one query whatever the number of fill-ups shown."""
    return garage.economy_by_fill_up(garage.fill_ups_of(FuelEntry.objects.filter(vehicle_id__in=vehicle_ids)))


def _upload(request: Request, **parent: Any) -> Response:
    form = AttachmentUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    attachment = services.attachment_add(user=request.user, file=form.validated_data["file"], request=request, **parent)
    return Response(AttachmentSerializer(attachment, context={"request": request}).data, status=HTTPStatus.CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List your fill-ups, newest first", responses={200: FuelEntrySerializer, **error_responses(400, 401)}
    ),
    create=extend_schema(
        summary="Log a fill-up",
        description="The reading must fit the car's other readings (a fill-up whose odometer goes backwards is "
        "refused); a higher one moves the car's odometer forward.",
        responses={201: FuelEntrySerializer, 200: FuelEntrySerializer, **error_responses(400, 401), **ID_CONFLICT},
    ),
    retrieve=extend_schema(
        summary="One of your fill-ups", responses={200: FuelEntrySerializer, **error_responses(401, 404)}
    ),
    update=extend_schema(
        summary="Replace a fill-up",
        parameters=[IF_MATCH],
        responses={200: FuelEntrySerializer, **error_responses(400, 401, 404), **PRECONDITION_FAILED},
    ),
    partial_update=extend_schema(
        summary="Change a fill-up",
        parameters=[IF_MATCH],
        responses={200: FuelEntrySerializer, **error_responses(400, 401, 404), **PRECONDITION_FAILED},
    ),
    destroy=extend_schema(
        summary="Delete a fill-up and its attachments",
        parameters=[IF_MATCH],
        responses={204: None, **error_responses(401, 404), **BAD_IF_MATCH, **PRECONDITION_FAILED},
    ),
)
class FuelEntryViewSet(SyncedViewSetMixin, viewsets.ModelViewSet):
    """A driver's fuel log; each full fill-up carries the economy measured since the previous full one."""

    sync_kind = "fuel"

    queryset = FuelEntry.objects.none()
    serializer_class = FuelEntrySerializer
    filterset_class = FuelEntryFilter
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[FuelEntry]:
        if getattr(self, "swagger_fake_view", False):
            return FuelEntry.objects.none()
        return FuelEntry.objects.visible_to(self.request.user).prefetch_related("attachments")

    def _with_economy(self, entries: list[FuelEntry]) -> dict[str, Any]:
        context = self.get_serializer_context()
        context["economy"] = _economy_of({entry.vehicle_id for entry in entries})
        return context

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        entries = list(page if page is not None else [])
        return self.get_paginated_response(
            FuelEntrySerializer(entries, many=True, context=self._with_economy(entries)).data
        )

    def _one(self, entry: FuelEntry, status: int = HTTPStatus.OK) -> Response:
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(FuelEntrySerializer(entry, context=self._with_economy([entry])).data, status=status)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return with_etag(self._one(self.get_object()), kind=self.sync_kind, pk=self.kwargs["pk"])

    # The mixin's create and update, answering with the economy the list shows (a plain serializer has none).
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        made = sync.client_create(source=self._source(), view=self, data=request.data)  # type: ignore[arg-type]
        return created_response(made, self._one(made.instance).data)  # type: ignore[arg-type]

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            entry = object_at_version(self, kind=self.sync_kind)
            serializer = self.get_serializer(entry, data=request.data, partial=kwargs.pop("partial", False))
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
            return with_etag(self._one(serializer.instance), kind=self.sync_kind, pk=entry.pk)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.fuel_entry_create(
            user=self.request.user, request=self.request, **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        changes = {name: value for name, value in serializer.validated_data.items() if name != "vehicle"}
        serializer.instance = services.fuel_entry_update(entry=serializer.instance, request=self.request, **changes)

    def perform_destroy(self, instance: FuelEntry) -> None:
        services.fuel_entry_delete(entry=instance, request=self.request)

    @extend_schema(
        summary="Attach a receipt or photo to a fill-up",
        request=UPLOAD_REQUEST,
        responses={201: AttachmentSerializer, **error_responses(400, 401, 404)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        return _upload(request, fuel_entry=self.get_object())


class MaintenanceAttachmentView(APIView):
    """Receipts and photos of one maintenance record."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Attach a receipt or photo to a maintenance record",
        request=UPLOAD_REQUEST,
        responses={201: AttachmentSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request: Request, pk: UUID) -> Response:
        record = get_object_or_404(MaintenanceRecord.objects.visible_to(request.user), pk=pk)
        return _upload(request, maintenance_record=record)


@extend_schema_view(
    retrieve=extend_schema(
        summary="One attachment's details", responses={200: AttachmentSerializer, **error_responses(401, 404)}
    ),
    destroy=extend_schema(summary="Delete an attachment", responses={204: None, **error_responses(401, 404)}),
)
class AttachmentViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The driver's receipts and photos; the file itself streams from ``/file``, to its owner only."""

    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Attachment]:
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return Attachment.objects.visible_to(self.request.user)

    def perform_destroy(self, instance: Attachment) -> None:
        services.attachment_delete(attachment=instance, request=self.request)

    @extend_schema(
        summary="The attachment's file (owner only)",
        responses={(200, "*/*"): OpenApiTypes.BINARY, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], content_negotiation_class=_IgnoreAccept)
    def file(self, request: Request, pk: str | None = None) -> FileResponse:
        attachment = self.get_object()
        try:
            handle = attachment.file.storage.open(attachment.file.name, "rb")
        except FileNotFoundError as exc:
            raise NotFound(gettext("This file is no longer available.")) from exc
        extension = attachment.file.name.rsplit(".", 1)[-1]
        response = FileResponse(
            handle,
            content_type=attachment.content_type,
            as_attachment=False,
            filename=f"attachment-{attachment.pk}.{extension}",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-cache"
        return response


def _own_vehicle(request: Request, pk: UUID) -> Vehicle:
    return get_object_or_404(Vehicle.objects.visible_to(request.user), pk=pk)


class VehicleCostsView(APIView):
    """What one car cost, from its completed maintenance jobs and its fill-ups."""

    @extend_schema(
        summary="A car's costs and cost per km",
        description="Totals in your profile's currency, grouped by month, year or category, computed in SQL.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="From this day (inclusive)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Up to this day (inclusive)."),
            OpenApiParameter("group", str, enum=list(garage.CostGroup.CHOICES), description="Default: month."),
        ],
        responses={200: CostReportSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, pk: UUID) -> Response:
        vehicle = _own_vehicle(request, pk)
        query = CostsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = garage.vehicle_costs(
            vehicle=vehicle,
            currency=request.user.profile_or_default().currency,
            group=query.validated_data["group"],
            start=query.validated_data.get("from"),
            end=query.validated_data.get("to"),
        )
        return Response(CostReportSerializer(report).data)


class VehicleFuelEconomyView(APIView):
    @extend_schema(
        summary="A car's fuel economy",
        responses={200: EconomySummarySerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: UUID) -> Response:
        return Response(EconomySummarySerializer(garage.economy_summary(_own_vehicle(request, pk))).data)


class VehicleOdometerView(APIView):
    @extend_schema(
        summary="A car's odometer history, chart-ready",
        description="Every reading from fill-ups, completed maintenance, diagnostics and the car itself, oldest "
        "first; one lower than an earlier reading is flagged.",
        responses={200: OdometerHistorySerializer, **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: UUID) -> Response:
        vehicle = _own_vehicle(request, pk)
        readings = garage.odometer_history(vehicle)
        return Response(
            OdometerHistorySerializer(
                {
                    "vehicle": vehicle.pk,
                    "unit": "km",
                    "current_km": vehicle.odometer_km,
                    "flagged": sum(reading.flagged for reading in readings),
                    "readings": readings,
                }
            ).data
        )


class VehicleImportView(APIView):
    """LubeLogger CSV exports into one car: a dry run unless ``commit`` is true."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import a LubeLogger CSV export into a car",
        description=(
            "Reads LubeLogger's service, repair or fuel record export (its own column names). By default a dry "
            "run: the answer lists what would be created and every row's errors, numbered as a spreadsheet shows "
            "them. With commit=true the rows are stored, all or none: any row error stores nothing (400). Rows "
            "imported before are listed as duplicates and skipped, so a re-import creates nothing twice."
        ),
        request={"multipart/form-data": ImportSerializer},
        responses={
            200: ImportReportSerializer,
            201: OpenApiResponse(ImportReportSerializer, description="Committed."),
            **error_responses(400, 401, 404),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        vehicle = _own_vehicle(request, pk)
        form = ImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        report = services.garage_import(
            user=request.user,
            vehicle=vehicle,
            content=data["file"].read(),
            options=csvio.ImportOptions(
                kind=data["kind"],
                date_order=data["date_order"],
                distance_unit=data["distance_unit"],
                volume_unit=data["volume_unit"],
            ),
            commit=data["commit"],
            request=request,
        )
        body = ImportReportSerializer(report).data
        if report.committed:
            return Response(body, status=HTTPStatus.CREATED)
        if not report.dry_run:
            # A commit with row errors stored nothing: say so in the one error shape, with the report.
            first = report.errors[0]
            return Response(
                {
                    "error": {
                        "code": "validation_error",
                        "message": f"Row {first['row']}: {first['message']} Nothing was imported.",
                        "fields": {f"row {e['row']}": [f"{e['field']}: {e['message']}"] for e in report.errors},
                    },
                    "report": body,
                },
                status=HTTPStatus.BAD_REQUEST,
            )
        return Response(body)


EXPORT_KINDS = ("vehicles", "maintenance", "fuel", "costs")


class ExportView(APIView):
    """All of the driver's garage as CSV, one table per file, streamed."""

    @extend_schema(
        summary="Export your vehicles, maintenance, fill-ups or monthly costs as CSV",
        description=(
            "maintenance.csv and fuel.csv start with LubeLogger's column names (so they import back here or into "
            "LubeLogger), followed by ours; costs.csv holds each car's monthly totals in your currency."
        ),
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(EXPORT_KINDS))],
        responses={(200, "text/csv"): OpenApiTypes.STR, **error_responses(401, 404)},
    )
    def get(self, request: Request, kind: str) -> StreamingHttpResponse:
        if kind not in EXPORT_KINDS:
            raise NotFound(f"Export one of: {', '.join(f'{k}.csv' for k in EXPORT_KINDS)}.")
        header, rows = getattr(self, f"_{kind}")(request.user)
        response = StreamingHttpResponse(csvio.stream_csv(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="cardoc-{kind}.csv"'
        response["Cache-Control"] = "private, no-cache"
        return response

    def _vehicles(self, user: User) -> tuple[list[str], Iterator[list[Any]]]:
        header = ["Id", "Nickname", "Make", "Model", "Year", "VIN", "FuelType", "OdometerKm", "CreatedAt"]
        rows = (
            [v.pk, v.nickname, v.make, v.model, v.year, v.vin, v.fuel_type, v.odometer_km, v.created_at]
            for v in Vehicle.objects.visible_to(user).order_by("created_at").iterator()
        )
        return header, rows

    def _maintenance(self, user: User) -> tuple[list[str], Iterator[list[Any]]]:
        header = [
            "Date",
            "Description",
            "Cost",
            "Notes",
            "Odometer",
            "Tags",
            "Vehicle",
            "VehicleId",
            "Type",
            "Completed",
            "Id",
        ]
        records = MaintenanceRecord.objects.visible_to(user).select_related("vehicle").order_by("scheduled_date")
        rows = (
            [
                r.completed_date or r.scheduled_date,
                r.title,
                r.cost,
                r.notes,
                r.odometer_km,
                "",
                str(r.vehicle) if r.vehicle else "",
                r.vehicle_id,
                r.maintenance_type,
                r.is_completed,
                r.pk,
            ]
            for r in records.iterator(chunk_size=500)
        )
        return header, rows

    def _fuel(self, user: User) -> tuple[list[str], Iterator[list[Any]]]:
        header = [
            "Date",
            "Odometer",
            "FuelConsumed",
            "Cost",
            "FuelEconomy",
            "IsFillToFull",
            "MissedFuelUp",
            "Notes",
            "Tags",
            "Vehicle",
            "VehicleId",
            "Station",
            "Id",
        ]
        entries = FuelEntry.objects.visible_to(user).select_related("vehicle")
        economy = garage.economy_by_fill_up(garage.fill_ups_of(entries))

        def rows() -> Iterator[list[Any]]:
            for e in entries.order_by("vehicle_id", "odometer_km").iterator(chunk_size=500):
                measured = economy.get(e.pk)
                yield [
                    e.filled_on,
                    e.odometer_km,
                    e.litres,
                    e.total_cost,
                    measured.l_per_100km if measured else "",
                    e.is_full,
                    False,
                    e.notes,
                    "",
                    str(e.vehicle),
                    e.vehicle_id,
                    e.station,
                    e.pk,
                ]

        return header, rows()

    def _costs(self, user: User) -> tuple[list[str], Iterator[list[Any]]]:
        currency = user.profile_or_default().currency
        header = ["VehicleId", "Vehicle", "Month", "Maintenance", "Fuel", "Total", "Currency"]
        rows = (
            [vehicle.pk, str(vehicle), month, row.maintenance, row.fuel, row.total, currency]
            for vehicle, month, row in garage.monthly_costs_by_vehicle(Vehicle.objects.visible_to(user))
        )
        return header, iter(list(rows))
