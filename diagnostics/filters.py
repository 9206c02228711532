from __future__ import annotations

import django_filters

from diagnostics.models import DiagnosticRecord, DiagnosticStatus, DiagnosticType, Urgency


class DiagnosticFilter(django_filters.FilterSet):
    """The history filters of GET /api/v1/diagnostics."""

    diagnostic_type = django_filters.ChoiceFilter(choices=DiagnosticType.choices)
    status = django_filters.ChoiceFilter(choices=DiagnosticStatus.choices)
    urgency = django_filters.ChoiceFilter(field_name="result__urgency", choices=Urgency.choices)
    vehicle = django_filters.UUIDFilter(field_name="vehicle_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    captured_after = django_filters.IsoDateTimeFilter(field_name="captured_at", lookup_expr="gte")
    captured_before = django_filters.IsoDateTimeFilter(field_name="captured_at", lookup_expr="lt")

    class Meta:
        model = DiagnosticRecord
        fields = [
            "diagnostic_type",
            "status",
            "urgency",
            "vehicle",
            "created_after",
            "created_before",
            "captured_after",
            "captured_before",
        ]
