"""Filters for the mechanics directory: services, rating, opening hours, verification and distance."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from directory.models import NEAREST_LIMIT, WEEKDAYS, Mechanic, Service, ServiceCategory
from directory.search import RANK_ALIAS, search_listings

DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 200.0


class LatLngField(forms.CharField):
    """``"lat,lng"`` in decimal degrees, e.g. ``3.8480,11.5021``."""

    default_error_messages = {
        "invalid": _("Give near as latitude,longitude in decimal degrees, e.g. 3.8480,11.5021."),
        "range": _("Latitude must be between -90 and 90 and longitude between -180 and 180."),
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


OPEN_AT_HELP = (
    "Open at this time: an ISO 8601 date-time with its offset (2026-12-05T10:00+01:00, read in each garage's "
    "own time zone), a weekday and a local time (sat 10:00: that wall-clock time at each garage), or a weekday "
    "alone (sat: open at some point that day)."
)
_OPEN_AT_LOCAL_RE = re.compile(r"^(?P<day>[a-z]{3})[a-z]*(?:[ T](?P<time>\d{1,2}:\d{2}))?$")


@dataclass(frozen=True)
class OpenAt:
    """A parsed ``open_at``: an instant, or a weekday with an optional local time."""

    moment: datetime | None = None
    day: str | None = None
    hhmm: str | None = None


class OpenAtField(forms.CharField):
    default_error_messages = {"invalid": OPEN_AT_HELP}

    def clean(self, value: Any) -> OpenAt | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        local = _OPEN_AT_LOCAL_RE.match(text.lower())
        if local and local["day"] in WEEKDAYS:
            if local["time"] is None:
                return OpenAt(day=local["day"])
            hours, minutes = (int(part) for part in local["time"].split(":"))
            if hours < 24 and minutes < 60:
                return OpenAt(day=local["day"], hhmm=f"{hours:02d}:{minutes:02d}")
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        moment = parse_datetime(text.replace(" ", "+", 1) if text.count(" ") == 1 and "T" in text else text)
        if moment is None or moment.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return OpenAt(moment=moment)


@extend_schema_field(OpenApiTypes.STR)
class OpenAtFilter(django_filters.CharFilter):
    field_class = OpenAtField


ORDERINGS = {
    "distance": "nearest first (needs near)",
    "rating": "best rated first, then most reviewed",
    "price": "cheapest first for the service given in service (needs service); unpriced last",
    "relevance": "best match first (needs search)",
}


class MechanicFilter(django_filters.FilterSet):
    """``near`` and ``radius_km`` are applied last, together, then ``ordering`` (by default: nearest first
    with ``near``, best match with ``search``, else by name)."""

    service = django_filters.CharFilter(method="filter_service", help_text="A service's id or its exact name.")
    min_rating = django_filters.NumberFilter(
        field_name="rating",
        lookup_expr="gte",
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text="Only listings rated at least this (0 to 5).",
    )
    open_now = django_filters.BooleanFilter(
        field_name="is_open",
        help_text="true: open right now, in each garage's own time zone; false: closed right now.",
    )
    verified = django_filters.BooleanFilter()
    open_at = OpenAtFilter(method="filter_open_at", help_text=OPEN_AT_HELP)
    search = django_filters.CharFilter(
        method="defer", help_text="Words to find in the name, the services offered or the address (all of them)."
    )
    ordering = django_filters.ChoiceFilter(
        method="defer",
        choices=list(ORDERINGS.items()),
        help_text="; ".join(f"{key}: {text}" for key, text in ORDERINGS.items()) + ".",
    )
    managed_by_garage = django_filters.BooleanFilter(help_text="true: listings their garage manages (claimed).")
    near = LatLngFilter(
        method="defer_nearby",
        help_text="latitude,longitude: only listings within radius_km of this point, nearest first, "
        f"each with distance_km. Nearest first, the list holds the {NEAREST_LIMIT:,} nearest at most.",
    )
    radius_km = django_filters.NumberFilter(
        method="defer_radius",
        validators=[MinValueValidator(0.1), MaxValueValidator(MAX_RADIUS_KM)],
        help_text=f"Search radius for near, in km (0.1 to {MAX_RADIUS_KM:g}; default {DEFAULT_RADIUS_KM:g}).",
    )

    class Meta:
        model = Mechanic
        fields = [
            "service",
            "min_rating",
            "open_now",
            "open_at",
            "verified",
            "managed_by_garage",
            "search",
            "near",
            "radius_km",
            "ordering",
        ]

    def defer(self, queryset: QuerySet[Mechanic], name: str, value: Any) -> QuerySet[Mechanic]:
        return queryset  # applied in filter_queryset, since it also decides the order

    def filter_open_at(self, queryset: QuerySet[Mechanic], name: str, value: OpenAt) -> QuerySet[Mechanic]:
        if value.moment is not None:
            return queryset.open_at(value.moment)
        if value.hhmm is None:
            return queryset.open_on(value.day)
        return queryset.with_open_flag_local(day=value.day, hhmm=value.hhmm).filter(is_open=True)

    def filter_service(self, queryset: QuerySet[Mechanic], name: str, value: str) -> QuerySet[Mechanic]:
        return queryset.offering(value)

    def defer_nearby(self, queryset: QuerySet[Mechanic], name: str, value: tuple[float, float]) -> QuerySet[Mechanic]:
        return queryset

    def defer_radius(self, queryset: QuerySet[Mechanic], name: str, value: Decimal) -> QuerySet[Mechanic]:
        return queryset

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not valid:
            return False
        data = self.form.cleaned_data
        if data.get("radius_km") is not None and not data.get("near"):
            self.form.add_error("near", "Give near=latitude,longitude together with radius_km.")
        needs = {
            "distance": ("near", "near=latitude,longitude"),
            "price": ("service", "service"),
            "relevance": ("search", "search"),
        }
        if (ordering := data.get("ordering")) in needs:
            field, what = needs[ordering]
            if not data.get(field):
                self.form.add_error("ordering", f"ordering={ordering} needs {what}.")
        return not self.form.errors

    def filter_queryset(self, queryset: QuerySet[Mechanic]) -> QuerySet[Mechanic]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if text := data.get("search"):
            queryset = search_listings(queryset, text)
        point = data.get("near")
        ordering = data.get("ordering") or ("distance" if point else "relevance" if text else "")
        if point:
            radius = data.get("radius_km")
            # Nearest first, the list is cut at NEAREST_LIMIT (see NearestFirstPagination), so the database
            # needs to look no farther than the NEAREST_LIMIT nearest; any other order needs the whole circle.
            within = queryset.nearest if ordering == "distance" else queryset.nearby
            queryset = within(
                latitude=point[0],
                longitude=point[1],
                radius_km=float(radius) if radius is not None else DEFAULT_RADIUS_KM,
            )
        if ordering == "distance":
            return queryset.order_by("distance_km", "business_name", "id")
        if ordering == "relevance":
            return queryset.order_by(f"-{RANK_ALIAS}", "business_name", "id")
        if ordering == "rating":
            return queryset.order_by("-rating", "-rating_count", "business_name", "id")
        if ordering == "price":
            priced = queryset.with_price_of(data["service"])
            return priced.order_by(F("service_price").asc(nulls_last=True), "-rating", "business_name", "id")
        return queryset.order_by("business_name", "id")


class ServiceFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=ServiceCategory.choices)

    class Meta:
        model = Service
        fields = ["category"]
