from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.throttles import CalendarTokenThrottle
from cardoc import rls, sync
from cardoc.pagination import NewestFirstCursorPagination
from cardoc.serializers import ErrorSerializer, error_responses
from cardoc.sync_api import BAD_IF_MATCH, ID_CONFLICT, IF_MATCH, PRECONDITION_FAILED, SyncedViewSetMixin
from diagnostics.models import DiagnosticRecord
from maintenance import services
from maintenance.api.serializers import (
    CalendarTokenSerializer,
    CompletionSerializer,
    MaintenanceCompleteSerializer,
    MaintenanceRecordSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    QuoteRequestInputSerializer,
    QuoteRequestSerializer,
    ReadAllSerializer,
)
from maintenance.dates import local_today
from maintenance.filters import MaintenanceRecordFilter
from maintenance.ical import render_calendar
from maintenance.models import CalendarFeed, MaintenanceRecord, Notification, QuoteRequest, hash_calendar_token

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
CALENDAR_NAME = "CarDoc AI maintenance"
CALENDAR_PRODUCT_ID = "-//CarDoc AI//Maintenance calendar//EN"


class TodayMixin:
    """Gives serializers the driver's own date, which the derived ``status`` is computed against."""

    request: Request

    @cached_property
    def today(self) -> date:
        return local_today(self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        if self.request is not None and self.request.user.is_authenticated:
            context["today"] = self.today
        return context


@extend_schema_view(
    list=extend_schema(
        summary="List your maintenance records",
        responses={200: MaintenanceRecordSerializer, **error_responses(400, 401)},
    ),
    create=extend_schema(
        summary="Plan a maintenance job",
        description="Send `id` (a UUID the app made) to make the create safe to retry: see /sync/push.",
        responses={
            201: MaintenanceRecordSerializer,
            200: OpenApiResponse(MaintenanceRecordSerializer, description="Already made with this id and body."),
            **error_responses(400, 401),
            **ID_CONFLICT,
        },
    ),
    retrieve=extend_schema(
        summary="One of your maintenance records",
        responses={200: MaintenanceRecordSerializer, **error_responses(401, 404)},
    ),
    update=extend_schema(
        summary="Replace a maintenance record",
        parameters=[IF_MATCH],
        responses={200: MaintenanceRecordSerializer, **error_responses(400, 401, 404), **PRECONDITION_FAILED},
    ),
    partial_update=extend_schema(
        summary="Change a maintenance record",
        parameters=[IF_MATCH],
        responses={200: MaintenanceRecordSerializer, **error_responses(400, 401, 404), **PRECONDITION_FAILED},
    ),
    destroy=extend_schema(
        summary="Delete a maintenance record",
        parameters=[IF_MATCH],
        responses={204: None, **error_responses(401, 404), **BAD_IF_MATCH, **PRECONDITION_FAILED},
    ),
)
class MaintenanceRecordViewSet(SyncedViewSetMixin, TodayMixin, viewsets.ModelViewSet):
    """A driver's service history and plan. Completing a job goes through ``complete``."""

    sync_kind = "maintenance"
    queryset = MaintenanceRecord.objects.none()
    serializer_class = MaintenanceRecordSerializer
    filterset_class = MaintenanceRecordFilter
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[MaintenanceRecord]:
        if getattr(self, "swagger_fake_view", False):
            return MaintenanceRecord.objects.none()
        return (
            MaintenanceRecord.objects.visible_to(self.request.user)
            .select_related("next_record")
            .prefetch_related("attachments")
        )

    def perform_create(self, serializer: BaseSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = services.maintenance_create(
            user=self.request.user,
            id=data.get("id"),
            maintenance_type=data["maintenance_type"],
            title=data["title"],
            scheduled_date=data["scheduled_date"],
            vehicle=data.get("vehicle"),
            notes=data.get("notes", ""),
            cost=data.get("cost"),
            recurrence_months=data.get("recurrence_months"),
            recurrence_km=data.get("recurrence_km"),
            due_odometer_km=data.get("due_odometer_km"),
            garage=data.get("garage"),
            request=self.request,
        )

    def perform_update(self, serializer: BaseSerializer) -> None:
        # Only the fields sent: the service fills the rest from the row it locks, never from this stale copy.
        serializer.instance = services.maintenance_update(
            record=serializer.instance, request=self.request, **serializer.validated_data
        )

    def perform_destroy(self, instance: MaintenanceRecord) -> None:
        services.maintenance_delete(record=instance, request=self.request)

    @extend_schema(
        summary="Mark a maintenance job done",
        description=(
            "Sets the completed date (default: today in your time zone), the odometer reading, cost and notes. "
            "A recurring job schedules its next occurrence: months count from the day it was done, kilometres "
            "are turned into a date by the car's pace, and with both, whichever comes first."
        ),
        request=MaintenanceCompleteSerializer,
        responses={200: CompletionSerializer, **error_responses(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        record = self.get_object()
        form = MaintenanceCompleteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        completion = services.maintenance_complete(
            record=record,
            completed_date=form.validated_data.get("completed_date"),
            odometer=form.validated_data.get("odometer"),
            cost=form.validated_data.get("cost"),
            notes=form.validated_data.get("notes"),
            request=request,
        )
        return Response(CompletionSerializer(completion, context=self.get_serializer_context()).data)


class DiagnosticMaintenanceView(APIView):
    """Turns one of the driver's completed diagnoses into a repair item on their plan."""

    @extend_schema(
        summary="Create a repair item from a completed diagnosis",
        description=(
            "The title and notes come from the findings; the date follows the urgency (immediate: today, "
            "soon: in 7 days, monitoring: in 30 days, in your time zone). Calling it again returns the same item."
        ),
        request=None,
        responses={
            201: MaintenanceRecordSerializer,
            200: OpenApiResponse(MaintenanceRecordSerializer, description="The item made by an earlier call."),
            **error_responses(401, 404, 409),
        },
    )
    def post(self, request: Request, pk: UUID) -> Response:
        diagnostic = get_object_or_404(
            DiagnosticRecord.objects.visible_to(request.user).select_related("result", "vehicle"), pk=pk
        )
        record, created = services.maintenance_create_from_diagnostic(
            user=request.user, diagnostic=diagnostic, request=request
        )
        context = {"request": request, "today": local_today(request.user)}
        return Response(
            MaintenanceRecordSerializer(record, context=context).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FirstRendererNegotiation(BaseContentNegotiation):
    """Never refuses a client: calendar apps send all sorts of Accept headers."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class CalendarFeedView(APIView):
    """The driver's open maintenance jobs as an iCalendar feed; the secret token in the URL is the key."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # The feed itself is a plain HttpResponse; the negotiated (JSON) renderer only serves the 404.
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Subscribe to your maintenance calendar",
        operation_id="maintenance_calendar_feed",
        description="All-day events for every job not yet done. Get the URL from `POST /maintenance/calendar-token`.",
        auth=[],
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, required=True, description="The feed's secret.")],
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="An RFC 5545 calendar."),
            (404, "application/json"): OpenApiResponse(ErrorSerializer, description="Unknown token."),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        token = request.query_params.get("token", "")
        # Anonymous: row-level security lets this transaction see the one feed with this token, then its owner's.
        rls.allow_calendar_token(hash_calendar_token(token))
        feed = CalendarFeed.objects.for_token(token).select_related("user").first() if token else None
        if feed is None:
            raise NotFound(gettext("No calendar feed has this token; it may have been reset."))
        rls.set_request_user(feed.user)
        records = (
            MaintenanceRecord.objects.visible_to(feed.user)
            .open()
            .select_related("vehicle")
            .order_by("scheduled_date", "created_at", "pk")
        )
        body = render_calendar(
            name=CALENDAR_NAME,
            product_id=CALENDAR_PRODUCT_ID,
            events=(record.calendar_event() for record in records),
            stamp=timezone.now(),
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="cardoc-maintenance.ics"'
        response["Cache-Control"] = "private, no-cache"
        return response


class CalendarTokenView(APIView):
    """Issues, replaces or withdraws the secret token of the driver's calendar feed."""

    throttle_classes = [CalendarTokenThrottle]

    @extend_schema(
        summary="Create or reset your calendar feed URL",
        description="Returns the feed URL once. Resetting makes the previous URL stop working at once.",
        request=None,
        responses={
            201: CalendarTokenSerializer,
            200: OpenApiResponse(CalendarTokenSerializer, description="The token was reset."),
            **error_responses(401, 429),
        },
    )
    def post(self, request: Request) -> Response:
        issued = services.calendar_token_reset(user=request.user, request=request)
        feed_url = (
            request.build_absolute_uri(reverse("api:maintenance-calendar")) + "?" + urlencode({"token": issued.token})
        )
        payload = {
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
            "feed": issued.feed,
        }
        return Response(
            CalendarTokenSerializer(payload).data,
            status=status.HTTP_201_CREATED if issued.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Switch your calendar feed off",
        request=None,
        responses={204: None, **error_responses(401, 404, 429)},
    )
    def delete(self, request: Request) -> Response:
        if not services.calendar_feed_delete(user=request.user, request=request):
            raise NotFound(gettext("You have no calendar feed."))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, unread first, then newest",
        responses={200: NotificationSerializer, **error_responses(401)},
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A driver's in-app inbox."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return (
            Notification.objects.visible_to(self.request.user)
            .select_related("diagnostic")
            .order_by("is_read", "-created_at", "-id")
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        # partial_update has no route: it is what a read pushed through /sync/push runs.
        return NotificationReadSerializer if self.action == "partial_update" else NotificationSerializer

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.notification_mark_read(notification=serializer.instance)

    @extend_schema(
        summary="Mark a notification read",
        description="Safe to repeat, from any device: a read notification stays read, with its first read "
        "time, and answers 200 again. The ETag is its version in the change feed.",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = services.notification_mark_read(notification=self.get_object())
        response = Response(self.get_serializer(notification).data)
        response["ETag"] = sync.etag(sync.version_of("notification", notification.pk))
        return response

    @extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={200: ReadAllSerializer, **error_responses(401)},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        count = services.notification_mark_all_read(user=request.user)
        return Response(ReadAllSerializer({"marked_read": count}).data)


class DiagnosticQuoteRequestsView(APIView):
    """Quote requests for the repair one of the driver's diagnoses found."""

    @extend_schema(
        summary="The quote requests sent for one of your diagnoses",
        responses={200: QuoteRequestSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request: Request, pk: UUID) -> Response:
        diagnostic = get_object_or_404(DiagnosticRecord.objects.visible_to(request.user), pk=pk)
        quotes = QuoteRequest.objects.visible_to(request.user).filter(diagnostic=diagnostic).select_related("mechanic")
        return Response(QuoteRequestSerializer(quotes, many=True).data)

    @extend_schema(
        summary="Ask up to 3 garages for a quote for the repair this diagnosis found",
        description="Each garage reads the finding and the vehicle, and the photo only with share_photo. It "
        "answers with a price and a date from its web pages, and you get a notification. At most 3 garages per "
        "diagnosis in all; only a completed diagnosis can be sent (409, code diagnostic_not_completed).",
        request=QuoteRequestInputSerializer,
        responses={201: QuoteRequestSerializer(many=True), **error_responses(400, 401, 404, 409)},
    )
    def post(self, request: Request, pk: UUID) -> Response:
        diagnostic = get_object_or_404(DiagnosticRecord.objects.visible_to(request.user), pk=pk)
        payload = QuoteRequestInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        quotes = services.quote_requests_send(
            user=request.user,
            diagnostic=diagnostic,
            mechanics=payload.validated_data["mechanics"],
            message=payload.validated_data["message"],
            share_photo=payload.validated_data["share_photo"],
            request=request,
        )
        return Response(QuoteRequestSerializer(quotes, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Your quote requests, newest first", responses={200: QuoteRequestSerializer, **error_responses(401)}
    ),
    retrieve=extend_schema(
        summary="One of your quote requests, with the garage's answer",
        responses={200: QuoteRequestSerializer, **error_responses(401, 404)},
    ),
)
class QuoteRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """The driver's side of quote requests; garages answer on their web pages."""

    serializer_class = QuoteRequestSerializer
    pagination_class = NewestFirstCursorPagination
    queryset = QuoteRequest.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[QuoteRequest]:
        return QuoteRequest.objects.visible_to(self.request.user).select_related("mechanic")
