"""django-filter FilterSets for the maintenance API."""

from __future__ import annotations

import django_filters

from maintenance.dates import local_today
from maintenance.models import FuelEntry, MaintenanceQuerySet, MaintenanceRecord, MaintenanceStatus, MaintenanceType


class MaintenanceRecordFilter(django_filters.FilterSet):
    vehicle = django_filters.UUIDFilter(field_name="vehicle_id", help_text="Only this vehicle's records.")
    maintenance_type = django_filters.ChoiceFilter(choices=MaintenanceType.choices)
    status = django_filters.ChoiceFilter(
        choices=MaintenanceStatus.choices,
        method="filter_status",
        help_text="Derived from the dates, on the driver's own calendar: completed, overdue or upcoming.",
    )
    scheduled_after = django_filters.DateFilter(
        field_name="scheduled_date", lookup_expr="gte", help_text="Scheduled on or after this date."
    )
    scheduled_before = django_filters.DateFilter(
        field_name="scheduled_date", lookup_expr="lte", help_text="Scheduled on or before this date."
    )

    class Meta:
        model = MaintenanceRecord
        fields = ["vehicle", "maintenance_type", "status", "scheduled_after", "scheduled_before"]

    def filter_status(self, queryset: MaintenanceQuerySet, name: str, value: str) -> MaintenanceQuerySet:
        return queryset.with_status(value, today=local_today(self.request.user))


class FuelEntryFilter(django_filters.FilterSet):
    vehicle = django_filters.UUIDFilter(field_name="vehicle_id", help_text="Only this vehicle's fill-ups.")
    filled_after = django_filters.DateFilter(field_name="filled_on", lookup_expr="gte", help_text="On or after.")
    filled_before = django_filters.DateFilter(field_name="filled_on", lookup_expr="lte", help_text="On or before.")

    class Meta:
        model = FuelEntry
        fields = ["vehicle", "filled_after", "filled_before"]
