from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Vehicle
from cardoc.serializers import StrictFieldsMixin
from cardoc.sync_api import ClientIdField, ClientIdSerializerMixin
from directory.models import Mechanic
from maintenance import dates
from maintenance.models import MAX_GARAGES_PER_QUOTE, MaintenanceRecord, MaintenanceStatus, Notification, QuoteRequest

MAX_RECURRENCE_MONTHS = 120
MAX_RECURRENCE_KM = 1_000_000
MAX_ODOMETER_KM = 10_000_000
NOTES_MAX_LENGTH = 5000


class OwnVehicleField(serializers.PrimaryKeyRelatedField):
    """A vehicle id that must be one of the requesting driver's cars; others read as "does not exist"."""

    def get_queryset(self) -> QuerySet[Vehicle]:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return Vehicle.objects.none()
        return Vehicle.objects.visible_to(request.user)


def _check_date_range(value: date) -> date:
    if not dates.EARLIEST_DATE <= value <= dates.latest_date():
        raise serializers.ValidationError(
            f"Choose a date between {dates.EARLIEST_DATE:%Y-%m-%d} and {dates.latest_date():%Y-%m-%d}."
        )
    return value


class MaintenanceRecordSerializer(StrictFieldsMixin, ClientIdSerializerMixin, serializers.ModelSerializer):
    id = ClientIdField()
    vehicle = OwnVehicleField(queryset=Vehicle.objects.all(), allow_null=True, required=False)
    garage = serializers.PrimaryKeyRelatedField(
        queryset=Mechanic.objects.all(),
        allow_null=True,
        required=False,
        help_text="The listed garage doing the job; once done there, the job may be reviewed as a verified visit.",
    )
    status = serializers.SerializerMethodField()
    next_record = serializers.UUIDField(
        source="next_record.id", read_only=True, allow_null=True, help_text="The record this one recurred into."
    )

    class Meta:
        model = MaintenanceRecord
        fields = [
            "id",
            "vehicle",
            "diagnostic",
            "garage",
            "maintenance_type",
            "title",
            "scheduled_date",
            "completed_date",
            "status",
            "reminder_status",
            "reminder_sent_at",
            "odometer_km",
            "due_odometer_km",
            "cost",
            "notes",
            "recurrence_months",
            "recurrence_km",
            "previous",
            "next_record",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "diagnostic",
            "completed_date",
            "reminder_status",
            "reminder_sent_at",
            "odometer_km",
            "previous",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "cost": {"min_value": Decimal(0)},
            "recurrence_months": {"min_value": 1, "max_value": MAX_RECURRENCE_MONTHS},
            "recurrence_km": {"min_value": 1, "max_value": MAX_RECURRENCE_KM},
            "due_odometer_km": {"min_value": 0, "max_value": MAX_ODOMETER_KM},
            "notes": {"max_length": NOTES_MAX_LENGTH},
        }

    def validate_scheduled_date(self, value: date) -> date:
        return _check_date_range(value)

    @extend_schema_field(serializers.ChoiceField(choices=MaintenanceStatus.choices))
    def get_status(self, record: MaintenanceRecord) -> str:
        return record.status_on(self.context["today"]).value


class MaintenanceCompleteSerializer(StrictFieldsMixin, serializers.Serializer):
    completed_date = serializers.DateField(required=False, help_text="Defaults to today, in your time zone.")
    odometer = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_ODOMETER_KM, help_text="The reading when the job was done, in km."
    )
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=Decimal(0))
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=NOTES_MAX_LENGTH,
        help_text="Added below the record's existing notes.",
    )

    def validate_completed_date(self, value: date) -> date:
        return _check_date_range(value)


class CompletionSerializer(serializers.Serializer):
    completed = MaintenanceRecordSerializer(read_only=True)
    next = MaintenanceRecordSerializer(read_only=True, allow_null=True, help_text="Scheduled when the job recurs.")


class CalendarTokenSerializer(serializers.Serializer):
    feed_url = serializers.URLField(read_only=True, help_text="Shown once; reset the token to get a new one.")
    webcal_url = serializers.CharField(read_only=True, help_text="The same feed, for one-tap subscription.")
    created_at = serializers.DateTimeField(read_only=True, source="feed.created_at")
    reset_at = serializers.DateTimeField(read_only=True, source="feed.reset_at", allow_null=True)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "maintenance_record",
            "quote_request",
            "is_read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(read_only=True, help_text="How many notifications were unread.")


class QuoteRequestInputSerializer(serializers.Serializer):
    mechanics = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Mechanic.objects.all()),
        min_length=1,
        max_length=MAX_GARAGES_PER_QUOTE,
        help_text=f"Listing ids, 1 to {MAX_GARAGES_PER_QUOTE} (at most {MAX_GARAGES_PER_QUOTE} per diagnosis in all).",
    )
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    share_photo = serializers.BooleanField(
        default=False, help_text="Let these garages see the dashboard photo of the diagnosis."
    )


class QuoteRequestSerializer(serializers.ModelSerializer):
    mechanic_name = serializers.CharField(source="mechanic.business_name", read_only=True)

    class Meta:
        model = QuoteRequest
        fields = [
            "id",
            "diagnostic",
            "mechanic",
            "mechanic_name",
            "repair",
            "finding",
            "vehicle",
            "message",
            "share_photo",
            "status",
            "price",
            "currency",
            "available_on",
            "garage_message",
            "answered_at",
            "created_at",
        ]
        read_only_fields = fields
