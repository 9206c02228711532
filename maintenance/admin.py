from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maintenance.models import Attachment, CalendarFeed, FuelEntry, MaintenanceRecord, Notification, QuoteRequest


@admin.register(MaintenanceRecord)
class MaintenanceRecordAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "user",
        "vehicle",
        "maintenance_type",
        "scheduled_date",
        "completed_date",
        "reminder_status",
    ]
    list_filter = ["maintenance_type", "reminder_status", "scheduled_date"]
    search_fields = ["title", "notes", "user__email"]
    autocomplete_fields = ["user", "vehicle"]
    raw_id_fields = ["diagnostic", "previous"]
    list_select_related = ["user", "vehicle"]
    date_hierarchy = "scheduled_date"


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "is_read", "created_at"]
    list_filter = ["kind", "is_read"]
    search_fields = ["title", "body", "user__email"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["maintenance_record"]
    list_select_related = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Staff can see who subscribes and revoke a feed (delete it); only the driver can issue a token."""

    list_display = ["user", "created_at", "reset_at"]
    search_fields = ["user__email"]
    readonly_fields = ["user", "created_at", "reset_at"]
    exclude = ["token_hash"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A feed made here would have a token nobody has ever seen.
        return False


@admin.register(QuoteRequest)
class QuoteRequestAdmin(admin.ModelAdmin):
    """Read-only: a quote is between a driver and a garage; staff only look when asked to help."""

    list_display = ["repair", "mechanic", "user", "status", "price", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["repair", "mechanic__business_name", "user__email"]
    list_select_related = ["mechanic", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FuelEntry)
class FuelEntryAdmin(admin.ModelAdmin):
    list_display = ["filled_on", "vehicle", "user", "odometer_km", "litres", "total_cost", "is_full", "station"]
    list_filter = ["is_full", "filled_on"]
    search_fields = ["station", "notes", "user__email"]
    autocomplete_fields = ["user", "vehicle"]
    list_select_related = ["user", "vehicle"]
    readonly_fields = ["import_key", "created_at", "updated_at"]
    date_hierarchy = "filled_on"


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Drivers' receipts are private: staff see what is stored, not the files (no public URL exists)."""

    list_display = [
        "original_name",
        "user",
        "content_type",
        "size_bytes",
        "maintenance_record",
        "fuel_entry",
        "created_at",
    ]
    list_filter = ["content_type"]
    search_fields = ["original_name", "user__email"]
    raw_id_fields = ["user", "maintenance_record", "fuel_entry"]
    list_select_related = ["user", "maintenance_record", "fuel_entry"]
    readonly_fields = ["file", "content_type", "size_bytes", "original_name", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # uploads go through the API's checks
