from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Vehicle
from cardoc.serializers import StrictFieldsMixin
from cardoc.sync_api import ClientIdField, ClientIdSerializerMixin
from directory.models import Mechanic
from maintenance import dates
from maintenance.csvio import LITRES_PER, MAX_IMPORT_BYTES, DateOrder, ImportKind
from maintenance.garage import CostGroup, Economy, ReadingSource
from maintenance.models import (
    ATTACHMENT_MAX_BYTES,
    MAX_GARAGES_PER_QUOTE,
    Attachment,
    FuelEntry,
    MaintenanceRecord,
    MaintenanceStatus,
    Notification,
    NotificationKind,
    QuoteRequest,
)

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
            gettext("Choose a date between %(first)s and %(last)s.")
            % {"first": f"{dates.EARLIEST_DATE:%Y-%m-%d}", "last": f"{dates.latest_date():%Y-%m-%d}"}
        )
    return value


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Streams the file; only its owner may read it.")

    class Meta:
        model = Attachment
        fields = [
            "id",
            "maintenance_record",
            "fuel_entry",
            "content_type",
            "size_bytes",
            "original_name",
            "url",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, attachment: Attachment) -> str:
        url = reverse("api:attachment-file", kwargs={"pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


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
    attachments = AttachmentSerializer(many=True, read_only=True)

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
            "attachments",
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
    reason = serializers.SerializerMethodField(
        help_text="diagnostic_failed only: why the analysis failed, in the reader's language; else empty."
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "reason",
            "maintenance_record",
            "quote_request",
            "diagnostic",
            "is_read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_reason(self, notification: Notification) -> str:
        # Read from the diagnostic's stored code now, not copied into the message when it was written: the
        # reason follows the reader's language, and a re-analysis that succeeds replaces the message anyway.
        diagnostic = notification.diagnostic
        if notification.kind != NotificationKind.DIAGNOSTIC_FAILED or diagnostic is None:
            return ""
        return diagnostic.failure_message()


class NotificationReadSerializer(StrictFieldsMixin, serializers.Serializer):
    """A read pushed from a phone (``/sync/push`` update): the read state only ever turns on."""

    is_read = serializers.BooleanField()

    def validate_is_read(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(gettext("A read notification stays read: send is_read true."))
        return value

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        return NotificationSerializer(instance, context=self.context).data


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


# --- Garage: fuel log, attachments, costs, odometer -----------------------------------------------


class AttachmentUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False, help_text=f"JPEG, PNG, WebP or PDF; {ATTACHMENT_MAX_BYTES // 1024 // 1024} MB at most."
    )


class FuelEntrySerializer(StrictFieldsMixin, ClientIdSerializerMixin, serializers.ModelSerializer):
    id = ClientIdField()
    vehicle = OwnVehicleField(queryset=Vehicle.objects.all(), help_text="One of your own vehicles.")
    price_per_litre = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    l_per_100km = serializers.SerializerMethodField(
        help_text="Measured at a full fill-up since the previous full one (partial ones carried in); else null."
    )
    km_per_l = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField(help_text="Driven since the previous full fill-up.")
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = FuelEntry
        fields = [
            "id",
            "vehicle",
            "filled_on",
            "odometer_km",
            "litres",
            "total_cost",
            "price_per_litre",
            "is_full",
            "station",
            "notes",
            "l_per_100km",
            "km_per_l",
            "distance_km",
            "attachments",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "odometer_km": {"min_value": 0, "max_value": MAX_ODOMETER_KM},
            "litres": {"min_value": Decimal("0.001"), "max_value": Decimal(5000)},
            "total_cost": {"min_value": Decimal(0)},
            "notes": {"max_length": NOTES_MAX_LENGTH},
        }

    def validate_filled_on(self, value: date) -> date:
        return _check_date_range(value)

    def validate_vehicle(self, value: Vehicle) -> Vehicle:
        if self.instance is not None and value.pk != self.instance.vehicle_id:
            raise serializers.ValidationError(
                gettext("A fill-up stays with its car; delete it and log it on the other one.")
            )
        return value

    def _economy(self, entry: FuelEntry) -> Economy | None:
        return self.context.get("economy", {}).get(entry.pk)

    @extend_schema_field(serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True))
    def get_l_per_100km(self, entry: FuelEntry) -> str | None:
        economy = self._economy(entry)
        return None if economy is None else str(economy.l_per_100km)

    @extend_schema_field(serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True))
    def get_km_per_l(self, entry: FuelEntry) -> str | None:
        economy = self._economy(entry)
        return None if economy is None else str(economy.km_per_l)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_distance_km(self, entry: FuelEntry) -> int | None:
        economy = self._economy(entry)
        return None if economy is None else economy.distance_km


class EconomySerializer(serializers.Serializer):
    l_per_100km = serializers.DecimalField(max_digits=8, decimal_places=2)
    km_per_l = serializers.DecimalField(max_digits=8, decimal_places=2)
    distance_km = serializers.IntegerField()
    litres = serializers.DecimalField(max_digits=12, decimal_places=3)


class EconomySummarySerializer(serializers.Serializer):
    fill_ups = serializers.IntegerField()
    measured_distance_km = serializers.IntegerField(help_text="Between full fill-ups, where economy is measured.")
    measured_litres = serializers.DecimalField(max_digits=12, decimal_places=3)
    average = EconomySerializer(allow_null=True, help_text="Over every measured stretch; null before two full fills.")
    last = EconomySerializer(allow_null=True, help_text="The latest measured stretch.")


class CostsQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    # ``from`` is a Python keyword, so the field is declared under another name and renamed below.
    start = serializers.DateField(required=False, help_text="From this day (inclusive).")
    to = serializers.DateField(required=False, help_text="Up to this day (inclusive).")
    group = serializers.ChoiceField(choices=CostGroup.CHOICES, default=CostGroup.MONTH)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("start")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": gettext("Choose a day on or after “from”.")})
        return attrs


class CostRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="YYYY-MM, YYYY, or the category: scheduled, corrective, preventive, fuel.")
    maintenance = serializers.DecimalField(max_digits=14, decimal_places=2)
    fuel = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class CostReportSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="Your profile's currency.")
    group = serializers.CharField()
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    maintenance = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Completed jobs.")
    fuel = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    distance_km = serializers.IntegerField(help_text="Spanned by the period's odometer readings.")
    cost_per_km = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    rows = CostRowSerializer(many=True)


class ReadingSerializer(serializers.Serializer):
    on = serializers.DateField()
    odometer_km = serializers.IntegerField()
    source = serializers.ChoiceField(choices=ReadingSource.CHOICES)
    source_id = serializers.UUIDField()
    flagged = serializers.BooleanField(help_text="Lower than an earlier reading: never taken as the car's odometer.")


class OdometerHistorySerializer(serializers.Serializer):
    vehicle = serializers.UUIDField()
    unit = serializers.CharField(default="km")
    current_km = serializers.IntegerField(help_text="The car's odometer: the highest reading, never a flagged one.")
    flagged = serializers.IntegerField(help_text="How many readings are flagged.")
    readings = ReadingSerializer(many=True, help_text="Oldest first: x is `on`, y is `odometer_km`.")


class ImportSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, help_text="A LubeLogger CSV export, 2 MB at most.")
    kind = serializers.ChoiceField(choices=ImportKind.CHOICES, help_text="Which LubeLogger export this is.")
    commit = serializers.BooleanField(default=False, help_text="Leave false (the default) for a dry run.")
    date_order = serializers.ChoiceField(
        choices=DateOrder.CHOICES, default=DateOrder.MDY, help_text="How non-ISO dates are written: mdy or dmy."
    )
    distance_unit = serializers.ChoiceField(choices=["km", "mi"], default="km")
    volume_unit = serializers.ChoiceField(choices=list(LITRES_PER), default="l")

    def validate_file(self, value: Any) -> Any:
        if value.size > MAX_IMPORT_BYTES:
            raise serializers.ValidationError(
                gettext("An import may take at most %(most)d MB.") % {"most": MAX_IMPORT_BYTES // 1024 // 1024}
            )
        return value


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    field = serializers.CharField(help_text="The CSV column (lower case), or our field the row failed on.")
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    committed = serializers.BooleanField(help_text="The rows were stored: not a dry run, and no row had an error.")
    created = serializers.ListField(
        child=serializers.DictField(), help_text="What was (or would be) created, one summary per row."
    )
    duplicates = serializers.ListField(child=serializers.IntegerField(), help_text="Rows imported before: skipped.")
    errors = ImportErrorSerializer(many=True)
