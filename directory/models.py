from __future__ import annotations

import functools
import math
import re
import uuid
import zoneinfo
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models.fields.json import KT
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, RowNumber, Sin, Sqrt
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from catalog.models import EngineSound, WarningLight

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A day is closed, open once, or split (e.g. closed for lunch). The open-now filter checks this many spans.
MAX_SPANS_PER_DAY = 2
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EARTH_RADIUS_KM = 6371.0088
# A nearest-first list holds at most this many listings (50 pages of 20): past it, nobody is looking for the
# closest garage any more, and the cap is what lets PostgreSQL answer any radius from its GiST index.
NEAREST_LIMIT = 1000
# Relative slack on a tightened radius, so a row exactly at the cut is never lost to floating-point rounding.
RADIUS_SLACK = 1e-9
CHANGE_PERMISSION = "directory.change_mechanic"


def validate_working_hours(value: Any) -> None:
    """Working hours are ``{weekday: [[opens, closes], ...]}`` in 24-hour ``HH:MM``, sorted, not overlapping.

    A day's last span may close earlier than it opens: it then runs past midnight into the next day
    (``["20:00", "02:00"]``), as late-night garages and breakdown services do.
    """
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
            if opens == closes:
                raise ValidationError(f"{day}: {opens} to {closes} opens and closes at the same time.")
            if opens <= previous_close:
                raise ValidationError(f"{day}: spans must be in order and must not overlap.")
            if opens > closes and span is not spans[-1]:
                raise ValidationError(f"{day}: only the day's last span may run past midnight.")
            # A span past midnight closes on the next day: nothing may follow it on this one.
            previous_close = closes if opens < closes else "24:00"


def default_time_zone() -> str:
    """A new listing's time zone unless staff or its owner set another (the demo city's)."""
    return settings.DIRECTORY_TIME_ZONE


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(f"{value} is not an IANA time zone, such as Africa/Douala.")


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def local_day_and_time(moment: datetime, zone: str) -> tuple[str, str, str]:
    """The weekday, the previous weekday and the HH:MM time at ``moment`` in ``zone``."""
    local = timezone.localtime(moment, ZoneInfo(zone))
    return WEEKDAYS[local.weekday()], WEEKDAYS[local.weekday() - 1], local.strftime("%H:%M")


def is_open_in(working_hours: Mapping[str, Any] | None, *, day: str, yesterday: str, hhmm: str) -> bool:
    """Whether a week of opening spans holds ``hhmm`` on ``day`` (``yesterday``'s late span included)."""
    hours = working_hours or {}
    for opens, closes in (hours.get(day) or [])[:MAX_SPANS_PER_DAY]:
        if opens <= hhmm < closes or (closes < opens <= hhmm):
            return True
    late = (hours.get(yesterday) or [])[-1:]
    return any(closes < opens and hhmm < closes for opens, closes in late)


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    MOBILE_MONEY = "mobile_money", "Mobile money"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"


def validate_payment_methods(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Payment methods are a list of codes.")
    if unknown := sorted(set(value) - set(PaymentMethod.values)):
        raise ValidationError(f"Unknown payment method(s): {', '.join(unknown)}.")


LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


def validate_languages(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and LANGUAGE_RE.match(item) for item in value):
        raise ValidationError('Languages are a list of ISO 639 codes, e.g. ["fr", "en"].')


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
    # The repairs a diagnosis points to. They live here, not in the catalog: the directory sits above it.
    warning_lights: models.ManyToManyField[WarningLight, ServiceForLight] = models.ManyToManyField(
        WarningLight,
        through="ServiceForLight",
        related_name="repair_services",
        blank=True,
        help_text="Warning lights this service fixes.",
    )
    engine_sounds: models.ManyToManyField[EngineSound, ServiceForSound] = models.ManyToManyField(
        EngineSound,
        through="ServiceForSound",
        related_name="repair_services",
        blank=True,
        help_text="Engine sounds this service fixes.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager()  # type: ignore[django-manager-missing]  # modeltranslation patches it

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
        """Annotate ``is_open``: whether ``moment`` falls in an opening span, read in each garage's own zone.

        Garages whose zones show the same local weekday and time at ``moment`` share one condition, so the
        SQL grows with the number of distinct UTC offsets in the directory (a handful), not with its rows.
        """
        by_local_time: dict[tuple[str, str, str], list[str]] = {}
        for zone in zones_in_use(self.db):
            if zone in available_time_zones():
                by_local_time.setdefault(local_day_and_time(moment, zone), []).append(zone)
        aliases: dict[str, Any] = {}
        open_now = models.Q(pk__in=[])
        for number, ((day, yesterday, hhmm), zones) in enumerate(sorted(by_local_time.items())):
            spans, condition = _open_condition(day=day, yesterday=yesterday, hhmm=hhmm, prefix=f"_z{number}")
            aliases |= spans
            open_now |= models.Q(time_zone__in=zones) & condition
        return self._annotate_open(aliases, open_now)

    def with_open_flag_local(self, *, day: str, hhmm: str) -> MechanicQuerySet:
        """Annotate ``is_open`` for a wall-clock time on a weekday, the same local time at every garage."""
        yesterday = WEEKDAYS[WEEKDAYS.index(day) - 1]
        aliases, condition = _open_condition(day=day, yesterday=yesterday, hhmm=hhmm, prefix="_local")
        return self._annotate_open(aliases, condition)

    def open_on(self, day: str) -> MechanicQuerySet:
        """Listings with at least one opening span on ``day``."""
        return self.alias(_first_span=KT(f"working_hours__{day}__0__0")).filter(_first_span__isnull=False)

    def _annotate_open(self, aliases: dict[str, Any], condition: models.Q) -> MechanicQuerySet:
        # A Case, not exclude(): a missing span is NULL, and NOT (NULL) would drop closed garages too.
        return self.alias(**aliases).annotate(
            is_open=models.Case(
                models.When(condition, then=models.Value(True)),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        )

    def open_at(self, moment: datetime, *, is_open: bool = True) -> MechanicQuerySet:
        return self.with_open_flag(moment).filter(is_open=is_open)  # type: ignore[misc]  # an annotation

    def with_managed_flag(self) -> MechanicQuerySet:
        """Annotate ``managed_by_garage``: a mechanic account has claimed (owns) the listing."""
        owned = Mechanic.owners.through.objects.filter(mechanic_id=models.OuterRef("pk"))
        return self.annotate(managed_by_garage=models.Exists(owned))

    def with_price_of(self, service: str) -> MechanicQuerySet:
        """Annotate ``service_price``: this listing's price for a service (by id or name), NULL when unpriced."""
        try:
            match = models.Q(service_id=uuid.UUID(str(service)))
        except ValueError:
            match = models.Q(service__name__iexact=service)
        prices = MechanicService.objects.filter(match, mechanic_id=models.OuterRef("pk")).values("price")[:1]
        return self.annotate(service_price=models.Subquery(prices))

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

    def nearest_per_service(
        self,
        *,
        service_ids: list[uuid.UUID],
        latitude: float,
        longitude: float,
        radius_km: float,
        per_service: int,
    ) -> MechanicQuerySet:
        """Up to ``per_service`` listings offering each service within ``radius_km``, nearest first, in one query.

        One row per (listing, service), annotated with ``offered_service_id``, ``offered_price`` and
        ``distance_km``. A window numbers each service's listings by distance, so a result with five repairs
        costs one query, not five. No open-now flag: ``with_open_flag`` would first read the zones in use (a
        second query), while the few rows this returns are cheaper to check with ``Mechanic.is_open_at``.
        """
        ranked = (
            self.nearby(latitude=latitude, longitude=longitude, radius_km=radius_km)
            .annotate(offered_service_id=models.F("offerings__service_id"), offered_price=models.F("offerings__price"))
            .filter(offered_service_id__in=service_ids)
            .annotate(
                service_rank=models.Window(
                    RowNumber(),
                    partition_by=[models.F("offerings__service_id")],
                    order_by=[models.F("distance_km").asc(), models.F("business_name").asc(), models.F("id").asc()],
                )
            )
        )
        return ranked.filter(service_rank__lte=per_service).order_by("offered_service_id", "service_rank")

    def nearest(
        self, *, latitude: float, longitude: float, radius_km: float, limit: int = NEAREST_LIMIT
    ) -> MechanicQuerySet:
        """``nearby()``, cut down to a radius that still holds the ``limit`` nearest listings (or all of them).

        Its first ``limit`` rows are exactly ``nearby()``'s, in the same order; it may hold a few more. On
        PostgreSQL a probe walks the GiST index ``mechanic_location_gist`` outwards from the point (KNN on
        ``point(longitude, latitude)``, a flat distance in degrees) and reads the exact great-circle distance
        of the first ``limit`` listings it meets. Whatever order they came in, those ``limit`` listings lie
        within the farthest of their distances, so the true ``limit`` nearest do too: the answer is
        ``nearby()`` at that radius, a box of about ``limit`` rows however wide a radius was asked for. On
        SQLite, which has no such index, it is ``nearby()`` itself.
        """
        if connections[self.db].vendor != "postgresql":
            return self.nearby(latitude=latitude, longitude=longitude, radius_km=radius_km)
        # No radius condition here: with one, the planner misjudges how many rows the box holds and sorts
        # them all instead of walking the index. The other filters of this queryset do apply.
        probe = (
            self.annotate(_probe_km=haversine_km(latitude=latitude, longitude=longitude))
            .order_by(DegreeDistance(latitude=latitude, longitude=longitude))
            .values("_probe_km")[:limit]
        )
        # One row back, not ``limit``: PostgreSQL takes the count and the farthest distance of the probe.
        found = probe.aggregate(listings=models.Count("_probe_km"), farthest=models.Max("_probe_km"))
        reach = radius_km
        if found["listings"] == limit:
            reach = min(radius_km, found["farthest"] * (1 + RADIUS_SLACK) + RADIUS_SLACK)
        return self.nearby(latitude=latitude, longitude=longitude, radius_km=reach)


def zones_in_use(using: str | None = None) -> list[str]:
    """The distinct time zones of the listings, read by skipping through ``mechanic_time_zone_idx``.

    A plain ``SELECT DISTINCT`` reads every row (100 ms at 100,000 listings); this recursive query asks the
    index for the next zone after the last one, once per zone in use (a handful), in well under a millisecond.
    """
    table = connections[using or "default"].ops.quote_name(Mechanic._meta.db_table)
    sql = (
        f"WITH RECURSIVE zones(zone) AS (SELECT MIN(time_zone) FROM {table} "  # noqa: S608  # no user input
        f"UNION ALL SELECT (SELECT MIN(time_zone) FROM {table} WHERE time_zone > zones.zone) "
        "FROM zones WHERE zones.zone IS NOT NULL) SELECT zone FROM zones WHERE zone IS NOT NULL"
    )
    with connections[using or "default"].cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class DegreeDistance(models.Func):
    """PostgreSQL's ``point(longitude, latitude) <-> point(lng, lat)``: the flat distance in degrees that the
    GiST index ``mechanic_location_gist`` orders by (nearest-neighbour search). Only an order for candidates:
    a degree of longitude is shorter than one of latitude away from the equator."""

    template = "(%(expressions)s)"
    arg_joiner = " <-> "
    output_field = models.FloatField()

    def __init__(self, *, latitude: float, longitude: float) -> None:
        # The index is on exactly point(longitude, latitude); the constants are cast so the planner matches it.
        here = (Cast(models.Value(value), models.FloatField()) for value in (longitude, latitude))
        super().__init__(
            models.Func(models.F("longitude"), models.F("latitude"), function="point", output_field=self.output_field),
            models.Func(*here, function="point", output_field=self.output_field),
        )


def _open_condition(*, day: str, yesterday: str, hhmm: str, prefix: str) -> tuple[dict[str, Any], models.Q]:
    """The aliases and the condition of "open at ``hhmm`` on ``day``", the SQL twin of ``is_open_in``."""
    aliases: dict[str, Any] = {}
    condition = models.Q(pk__in=[])
    for when, name in ((day, "d"), (yesterday, "y")):
        for index in range(MAX_SPANS_PER_DAY):
            # Cast, so that the comparisons are plain text ones and not the JSON key-transform lookups.
            aliases[f"{prefix}{name}o{index}"] = Cast(KT(f"working_hours__{when}__{index}__0"), models.TextField())
            aliases[f"{prefix}{name}c{index}"] = Cast(KT(f"working_hours__{when}__{index}__1"), models.TextField())
    for index in range(MAX_SPANS_PER_DAY):
        opens, closes = f"{prefix}do{index}", f"{prefix}dc{index}"
        late_opens, late_closes = f"{prefix}yo{index}", f"{prefix}yc{index}"
        # Open in one of today's spans, or in today's span that runs past midnight, ...
        condition |= models.Q(**{f"{opens}__lte": hhmm, f"{closes}__gt": hhmm})
        condition |= models.Q(**{f"{opens}__lte": hhmm, f"{closes}__lt": models.F(opens)})
        # ... or still open in yesterday's late span (only a day's last span may cross midnight).
        condition |= models.Q(**{f"{late_closes}__gt": hhmm, f"{late_closes}__lt": models.F(late_opens)})
    return aliases, condition


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
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="IANA zone the working hours are written in, e.g. Africa/Douala.",
    )
    description = models.TextField(max_length=4000, blank=True, help_text="What the garage is known for.")
    languages = models.JSONField(
        default=list, blank=True, validators=[validate_languages], help_text='ISO 639 codes, e.g. ["fr", "en"].'
    )
    payment_methods = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_payment_methods],
        help_text=f"Any of: {', '.join(PaymentMethod.values)}.",
    )
    currency = models.CharField(max_length=3, default="XAF", help_text="ISO 4217 code of the listing's prices.")
    services_text = models.TextField(
        blank=True, editable=False, help_text="The names of the services offered, for the full-text search."
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
            # open_now reads the distinct zones in use on every list request.
            models.Index(fields=["time_zone"], name="mechanic_time_zone_idx"),
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
        day, yesterday, hhmm = local_day_and_time(moment, self.time_zone)
        return is_open_in(self.working_hours, day=day, yesterday=yesterday, hhmm=hhmm)


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


class ServiceForLight(models.Model):
    """One warning light that one directory service fixes (staff edit these; the seed links every light)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="light_links")
    warning_light = models.ForeignKey(WarningLight, on_delete=models.CASCADE, related_name="service_links")

    class Meta:
        ordering = ["service__name"]
        verbose_name = "service for a warning light"
        constraints = [
            models.UniqueConstraint(fields=["service", "warning_light"], name="serviceforlight_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service} fixes {self.warning_light}"


class ServiceForSound(models.Model):
    """One engine sound that one directory service fixes (staff edit these; the seed links every sound)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sound_links")
    engine_sound = models.ForeignKey(EngineSound, on_delete=models.CASCADE, related_name="service_links")

    class Meta:
        ordering = ["service__name"]
        verbose_name = "service for an engine sound"
        constraints = [
            models.UniqueConstraint(fields=["service", "engine_sound"], name="serviceforsound_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service} fixes {self.engine_sound}"


class ReviewQuerySet(models.QuerySet["Review"]):
    def visible_to(self, user: Any) -> ReviewQuerySet:
        """Published reviews for everyone, plus the caller's own even when hidden; staff see all."""
        if user.is_staff:
            return self
        return self.filter(models.Q(is_hidden=False) | models.Q(user=user))

    def published(self) -> ReviewQuerySet:
        """What the listing's rating counts: reviews staff have not hidden."""
        return self.filter(is_hidden=False)


class Review(models.Model):
    """One driver's rating of one mechanic: one per visit, or one not tied to a visit.

    ``visit_id`` names the driver's completed maintenance record at this garage (maintenance app; the
    directory sits below it, so it keeps the id and asks the maintenance app to vouch for it through
    ``cardoc.hooks.visit_verifiers``). A review with a visit is a "verified visit".
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(max_length=2000, blank=True)
    # Public like the review itself, so readers never need the author's profile (private, and hidden by
    # row-level security). Taken when the review is written or edited.
    author_name = models.CharField(max_length=80, blank=True, help_text="First name and initial, as shown.")
    visit_id = models.UUIDField(
        null=True, blank=True, editable=False, help_text="The completed maintenance record this review is about."
    )
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by staff: not shown, not in the rating.")
    hidden_reason = models.CharField(max_length=255, blank=True)
    reply = models.TextField(max_length=2000, blank=True, help_text="The listing owner's one public answer.")
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="review_replies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["mechanic", "is_hidden", "-created_at"], name="review_mechanic_newest_idx"),
            models.Index(fields=["mechanic", "is_hidden", "-helpful_count"], name="review_mechanic_helpful_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "mechanic"],
                condition=models.Q(visit_id__isnull=True),
                name="review_one_unverified_per_user_per_mechanic",
            ),
            models.UniqueConstraint(
                fields=["visit_id"], condition=models.Q(visit_id__isnull=False), name="review_one_per_visit"
            ),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.mechanic}"

    @property
    def verified_visit(self) -> bool:
        return self.visit_id is not None


class ReviewVote(models.Model):
    """One user finding one review helpful."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="reviewvote_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} found {self.review} helpful"


class ReportReason(models.TextChoices):
    SPAM = "spam", "Spam or advertising"
    OFFENSIVE = "offensive", "Offensive or hateful"
    FAKE = "fake", "Not a real experience"
    PRIVATE = "private", "Shares private information"
    OTHER = "other", "Other"


class ReviewReport(models.Model):
    """One user's report that a review is abusive, for staff to look at."""

    Reason = ReportReason

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reports")
    reason = models.CharField(max_length=16, choices=ReportReason)
    details = models.TextField(max_length=1000, blank=True)
    resolved = models.BooleanField(default=False, help_text="Staff looked at it (and hid the review or not).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resolved", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="reviewreport_once_per_user"),
            models.CheckConstraint(
                condition=models.Q(reason__in=ReportReason.values), name="reviewreport_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Report of {self.review}: {self.get_reason_display()}"


MAX_PHOTOS_PER_LISTING = 10


def photo_path(photo: GaragePhoto, filename: str) -> str:
    # The name is ours, never the uploader's: public URLs must not leak what a phone called the file.
    return f"garages/{photo.mechanic_id}/{photo.pk}.{filename.rsplit('.', 1)[-1]}"


def thumbnail_path(photo: GaragePhoto, filename: str) -> str:
    return f"garages/{photo.mechanic_id}/{photo.pk}-thumb.jpg"


class GaragePhoto(models.Model):
    """One public photo of a garage, uploaded by its owner; the worker adds the thumbnail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    thumbnail = models.ImageField(upload_to=thumbnail_path, blank=True)
    caption = models.CharField(max_length=140, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="garage_photos"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Photo of {self.mechanic}"


class ListingClaimQuerySet(models.QuerySet["ListingClaim"]):
    def visible_to(self, user: Any) -> ListingClaimQuerySet:
        if user.is_staff:
            return self
        return self.filter(user=user)


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ListingClaim(models.Model):
    """One mechanic account's request to manage a listing, decided by staff in the admin."""

    Status = ClaimStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listing_claims")
    message = models.TextField(max_length=2000, help_text="How the garage can be reached to confirm it is theirs.")
    status = models.CharField(max_length=16, choices=ClaimStatus, default=ClaimStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="claims_decided"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ListingClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mechanic", "user"],
                condition=models.Q(status=ClaimStatus.PENDING),
                name="listingclaim_one_pending_per_user",
            ),
            models.CheckConstraint(condition=models.Q(status__in=ClaimStatus.values), name="listingclaim_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.mechanic}"
