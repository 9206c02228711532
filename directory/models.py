from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A day is closed, open once, or split (e.g. closed for lunch). The open-now filter checks this many spans.
MAX_SPANS_PER_DAY = 2
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EARTH_RADIUS_KM = 6371.0088
CHANGE_PERMISSION = "directory.change_mechanic"


def validate_working_hours(value: Any) -> None:
    """Working hours are ``{weekday: [[opens, closes], ...]}`` in 24-hour ``HH:MM``, sorted, not overlapping."""
    if not isinstance(value, dict):
        raise ValidationError("Working hours must map weekdays to opening spans.")
    unknown = set(value) - set(WEEKDAYS)
    if unknown:
        raise ValidationError(f"Unknown weekday(s): {', '.join(sorted(unknown))}. Use {', '.join(WEEKDAYS)}.")
    for day, spans in value.items():
        if not isinstance(spans, list):
            raise ValidationError(f"{day}: give a list of opening spans.")
        if len(spans) > MAX_SPANS_PER_DAY:
            raise ValidationError(f"{day}: give at most {MAX_SPANS_PER_DAY} opening spans.")
        previous_close = ""
        for span in spans:
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(t, str) for t in span)):
                raise ValidationError(f'{day}: each span is ["HH:MM", "HH:MM"].')
            opens, closes = span
            if not (HHMM_RE.match(opens) and HHMM_RE.match(closes)):
                raise ValidationError(f"{day}: times are 24-hour HH:MM, e.g. 08:00.")
            # Zero-padded HH:MM strings sort like the times they stand for.
            if opens >= closes:
                raise ValidationError(f"{day}: {opens} to {closes} must open before it closes.")
            if opens <= previous_close:
                raise ValidationError(f"{day}: spans must be in order and must not overlap.")
            previous_close = closes


def directory_time_zone() -> ZoneInfo:
    """The zone the listed garages' working hours are written in (the demo city's)."""
    return ZoneInfo(settings.DIRECTORY_TIME_ZONE)


def local_day_and_time(moment: datetime) -> tuple[str, str]:
    local = timezone.localtime(moment, directory_time_zone())
    return WEEKDAYS[local.weekday()], local.strftime("%H:%M")


class ServiceCategory(models.TextChoices):
    MAINTENANCE = "maintenance", "Maintenance"
    ENGINE = "engine", "Engine"
    ELECTRICAL = "electrical", "Electrical"
    BRAKES = "brakes", "Brakes"
    TYRES_WHEELS = "tyres_wheels", "Tyres and wheels"
    COOLING = "cooling", "Cooling"
    TRANSMISSION = "transmission", "Transmission"
    STEERING_SUSPENSION = "steering_suspension", "Steering and suspension"
    EXHAUST_EMISSIONS = "exhaust_emissions", "Exhaust and emissions"
    DIAGNOSTICS = "diagnostics", "Diagnostics"
    BODYWORK = "bodywork", "Bodywork"


class Service(models.Model):
    """One kind of job a garage does, with the usual price range."""

    Category = ServiceCategory

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=32, choices=ServiceCategory)
    description = models.TextField(blank=True)
    cost_min = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    cost_max = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default="XAF", help_text="ISO 4217 code.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=ServiceCategory.values), name="service_category_valid"
            ),
            models.CheckConstraint(condition=models.Q(cost_min__gte=0), name="service_cost_min_non_negative"),
            models.CheckConstraint(
                condition=models.Q(cost_min__lte=models.F("cost_max")), name="service_cost_min_lte_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MechanicQuerySet(models.QuerySet["Mechanic"]):
    def visible_to(self, user: Any) -> MechanicQuerySet:
        # The directory is public to every signed-in user; only editing is restricted.
        return self

    def editable_by(self, user: Any) -> MechanicQuerySet:
        """Listings ``user`` may edit: their own (object permission), or all of them for staff with the
        model-wide permission."""
        # Guardian filters the queryset it is given, so what comes back is still a MechanicQuerySet.
        return cast(MechanicQuerySet, get_objects_for_user(user, CHANGE_PERMISSION, klass=self))

    def offering(self, service: str) -> MechanicQuerySet:
        """Listings that offer a service, given by its id or by its name (any case)."""
        try:
            return self.filter(offerings__service_id=uuid.UUID(str(service)))
        except ValueError:
            return self.filter(offerings__service__name__iexact=service)

    def with_open_flag(self, moment: datetime) -> MechanicQuerySet:
        """Annotate ``is_open``: whether ``moment`` falls in today's opening spans, in the city's time zone."""
        day, hhmm = local_day_and_time(moment)
        open_now = models.Q()
        for index in range(MAX_SPANS_PER_DAY):
            open_now |= models.Q(
                **{f"_opens_{index}__lte": hhmm, f"_closes_{index}__gt": hhmm},
            )
        spans = {}
        for index in range(MAX_SPANS_PER_DAY):
            # Cast, so that the comparisons are plain text ones and not the JSON key-transform lookups.
            spans[f"_opens_{index}"] = Cast(KT(f"working_hours__{day}__{index}__0"), models.TextField())
            spans[f"_closes_{index}"] = Cast(KT(f"working_hours__{day}__{index}__1"), models.TextField())
        # A Case, not exclude(): a missing span is NULL, and NOT (NULL) would drop closed garages too.
        return self.alias(**spans).annotate(
            is_open=models.Case(
                models.When(open_now, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def open_at(self, moment: datetime, *, is_open: bool = True) -> MechanicQuerySet:
        return self.with_open_flag(moment).filter(is_open=is_open)  # type: ignore[misc]  # an annotation

    def nearby(self, *, latitude: float, longitude: float, radius_km: float) -> MechanicQuerySet:
        """Listings within ``radius_km`` of the point, nearest first, annotated with ``distance_km``.

        A latitude/longitude box around the circle narrows the rows in SQL (index ``mechanic_lat_lng_idx``)
        before the great-circle (haversine) distance is computed, also in SQL, for the few that remain.
        """
        return (
            self.filter(bounding_box(latitude=latitude, longitude=longitude, radius_km=radius_km))
            .annotate(distance_km=haversine_km(latitude=latitude, longitude=longitude))
            .filter(distance_km__lte=radius_km)
            .order_by("distance_km", "business_name", "id")
        )


def bounding_box(*, latitude: float, longitude: float, radius_km: float) -> models.Q:
    """The smallest latitude/longitude box holding every point within ``radius_km`` of the centre.

    The longitude half-width is asin(sin(d) / cos(lat)) for angular radius d, which is exact on a sphere;
    near a pole the circle holds every longitude, and across the antimeridian the box splits in two.
    """
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(latitude)
    lat_min, lat_max = lat - angular, lat + angular
    box = models.Q(latitude__gte=math.degrees(lat_min), latitude__lte=math.degrees(lat_max))
    if lat_min <= -math.pi / 2 or lat_max >= math.pi / 2 or math.sin(angular) >= math.cos(lat):
        return box
    half_width = math.degrees(math.asin(math.sin(angular) / math.cos(lat)))
    lng_min, lng_max = longitude - half_width, longitude + half_width
    if lng_min < -180:
        return box & (models.Q(longitude__gte=lng_min + 360) | models.Q(longitude__lte=lng_max))
    if lng_max > 180:
        return box & (models.Q(longitude__gte=lng_min) | models.Q(longitude__lte=lng_max - 360))
    return box & models.Q(longitude__gte=lng_min, longitude__lte=lng_max)


def haversine_km(*, latitude: float, longitude: float) -> models.Expression:
    """Great-circle distance in km from the point to each row, as an SQL expression (PostgreSQL and SQLite)."""
    lat0 = math.radians(latitude)
    lat = Radians("latitude")
    half_dlat = (lat - models.Value(lat0)) / models.Value(2.0)
    half_dlng = (Radians("longitude") - models.Value(math.radians(longitude))) / models.Value(2.0)
    a = Power(Sin(half_dlat), 2) + models.Value(math.cos(lat0)) * Cos(lat) * Power(Sin(half_dlng), 2)
    return models.Value(2 * EARTH_RADIUS_KM) * ASin(Sqrt(a))


class Mechanic(models.Model):
    """One garage or independent mechanic listed in the directory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business_name = models.CharField(max_length=160)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="mechanic_listings",
        blank=True,
        help_text="Mechanic accounts that may edit this listing.",
    )
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=255)
    latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    working_hours = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_working_hours],
        help_text='Per weekday, a list of ["HH:MM", "HH:MM"] opening spans, e.g. {"mon": [["08:00", "18:00"]]}.',
    )
    certification = models.CharField(max_length=255, blank=True)
    rating = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.00"), help_text="Average of the reviews, 0 when none."
    )
    rating_count = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False, help_text="Fictional listing loaded for development and demos.")
    services: models.ManyToManyField[Service, MechanicService] = models.ManyToManyField(
        Service, through="MechanicService", related_name="mechanics", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MechanicQuerySet.as_manager()

    class Meta:
        ordering = ["business_name"]
        indexes = [
            # The nearby search prefilters on a latitude/longitude box before computing distances.
            models.Index(fields=["latitude", "longitude"], name="mechanic_lat_lng_idx"),
            models.Index(fields=["rating"], name="mechanic_rating_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90), name="mechanic_latitude_range"
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180), name="mechanic_longitude_range"
            ),
            models.CheckConstraint(condition=models.Q(rating__gte=0, rating__lte=5), name="mechanic_rating_0_5"),
        ]

    def __str__(self) -> str:
        return self.business_name

    def is_editable_by(self, user: Any) -> bool:
        """The rule behind ``MechanicQuerySet.editable_by``, for one listing."""
        return user.has_perm(CHANGE_PERMISSION) or user.has_perm(CHANGE_PERMISSION, self)

    def is_open_at(self, moment: datetime) -> bool:
        day, hhmm = local_day_and_time(moment)
        spans = (self.working_hours or {}).get(day) or []
        return any(opens <= hhmm < closes for opens, closes in spans[:MAX_SPANS_PER_DAY])


class MechanicService(models.Model):
    """One service a mechanic offers, at their own price."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="offerings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="offerings")
    price = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["service__name"]
        constraints = [
            models.UniqueConstraint(fields=["mechanic", "service"], name="mechanic_service_unique"),
            models.CheckConstraint(
                condition=models.Q(price__isnull=True) | models.Q(price__gte=0),
                name="mechanic_service_price_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mechanic}: {self.service}"


class Review(models.Model):
    """One driver's rating of one mechanic; a driver has at most one review per mechanic."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "mechanic"], name="review_one_per_user_per_mechanic"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.mechanic}"
