"""Filters for the mechanics directory: services, rating, opening hours, verification and distance."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from directory.models import Mechanic, Service, ServiceCategory

DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 200.0


class LatLngField(forms.CharField):
    """``"lat,lng"`` in decimal degrees, e.g. ``3.8480,11.5021``."""

    default_error_messages = {
        "invalid": "Give near as latitude,longitude in decimal degrees, e.g. 3.8480,11.5021.",
        "range": "Latitude must be between -90 and 90 and longitude between -180 and 180.",
    }

    def clean(self, value: Any) -> tuple[float, float] | None:
        text = super().clean(value)
        if not text:
            return None
        parts = text.split(",")
        try:
            latitude, longitude = (float(part) for part in parts)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return latitude, longitude


@extend_schema_field(OpenApiTypes.STR)
class LatLngFilter(django_filters.CharFilter):
    field_class = LatLngField


class MechanicFilter(django_filters.FilterSet):
    """``near`` and ``radius_km`` are applied last, together, since they also set the order (nearest first)."""

    service = django_filters.CharFilter(method="filter_service", help_text="A service's id or its exact name.")
    min_rating = django_filters.NumberFilter(
        field_name="rating",
        lookup_expr="gte",
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text="Only listings rated at least this (0 to 5).",
    )
    open_now = django_filters.BooleanFilter(
        field_name="is_open",
        help_text="true: open right now, in the directory's time zone; false: closed right now.",
    )
    verified = django_filters.BooleanFilter()
    near = LatLngFilter(
        method="defer_nearby",
        help_text="latitude,longitude: only listings within radius_km of this point, nearest first, "
        "each with distance_km.",
    )
    radius_km = django_filters.NumberFilter(
        method="defer_radius",
        validators=[MinValueValidator(0.1), MaxValueValidator(MAX_RADIUS_KM)],
        help_text=f"Search radius for near, in km (0.1 to {MAX_RADIUS_KM:g}; default {DEFAULT_RADIUS_KM:g}).",
    )

    class Meta:
        model = Mechanic
        fields = ["service", "min_rating", "open_now", "verified", "near", "radius_km"]

    def filter_service(self, queryset: QuerySet[Mechanic], name: str, value: str) -> QuerySet[Mechanic]:
        return queryset.offering(value)

    def defer_nearby(self, queryset: QuerySet[Mechanic], name: str, value: tuple[float, float]) -> QuerySet[Mechanic]:
        return queryset

    def defer_radius(self, queryset: QuerySet[Mechanic], name: str, value: Decimal) -> QuerySet[Mechanic]:
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid and self.form.cleaned_data.get("radius_km") is not None and not self.form.cleaned_data.get("near"):
            self.form.add_error("near", "Give near=latitude,longitude together with radius_km.")
            return False
        return valid

    def filter_queryset(self, queryset: QuerySet[Mechanic]) -> QuerySet[Mechanic]:
        queryset = super().filter_queryset(queryset)
        point = self.form.cleaned_data.get("near")
        if not point:
            return queryset
        radius = self.form.cleaned_data.get("radius_km")
        return queryset.nearby(
            latitude=point[0], longitude=point[1], radius_km=float(radius) if radius is not None else DEFAULT_RADIUS_KM
        )


class ServiceFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices)

    class Meta:
        model = Service
        fields = ["category"]
