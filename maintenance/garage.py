"""Reads of the driver's garage: fuel economy, costs and the odometer history of one car.

Economy needs each fill-up's neighbours, so it is computed over the car's fill-ups in one query; the cost
totals are SQL aggregates (``GROUP BY`` the period or category), never Python sums over rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, DecimalField, F, Max, Min, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncYear

from accounts.models import Vehicle
from diagnostics.models import DiagnosticRecord
from maintenance.models import FuelEntry, MaintenanceRecord

FUEL_CATEGORY = "fuel"
ZERO = Decimal("0.00")


class CostGroup:
    MONTH = "month"
    YEAR = "year"
    CATEGORY = "category"
    CHOICES = (MONTH, YEAR, CATEGORY)


@dataclass(frozen=True, slots=True)
class Economy:
    """The consumption measured at one full fill-up, over the distance since the previous full one."""

    distance_km: int
    litres: Decimal

    @property
    def l_per_100km(self) -> Decimal:
        return (self.litres * 100 / self.distance_km).quantize(Decimal("0.01"))

    @property
    def km_per_l(self) -> Decimal:
        return (self.distance_km / self.litres).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class FillUp:
    id: UUID
    odometer_km: int
    litres: Decimal
    is_full: bool


def economy_by_fill_up(fill_ups: Iterable[FillUp]) -> dict[UUID, Economy]:
    """Economy at each full fill-up after the first: the litres bought since the previous full fill-up
    (partial ones carried in) over the kilometres driven since it. A partial fill-up measures nothing."""
    measured: dict[UUID, Economy] = {}
    previous_full: int | None = None
    carried = Decimal(0)
    for fill_up in sorted(fill_ups, key=lambda f: (f.odometer_km, not f.is_full)):
        if previous_full is None:
            if fill_up.is_full:
                previous_full = fill_up.odometer_km
            continue
        carried += fill_up.litres
        if not fill_up.is_full:
            continue
        distance = fill_up.odometer_km - previous_full
        if distance > 0:
            measured[fill_up.id] = Economy(distance_km=distance, litres=carried)
        previous_full, carried = fill_up.odometer_km, Decimal(0)
    return measured


def fill_ups_of(entries: QuerySet[FuelEntry]) -> list[FillUp]:
    return [FillUp(*row) for row in entries.values_list("id", "odometer_km", "litres", "is_full")]


@dataclass(frozen=True, slots=True)
class EconomySummary:
    fill_ups: int
    measured_distance_km: int
    measured_litres: Decimal
    average: Economy | None
    last: Economy | None


def economy_summary(vehicle: Vehicle) -> EconomySummary:
    """The car's average economy over every measured stretch, and its latest one."""
    fill_ups = fill_ups_of(FuelEntry.objects.filter(vehicle=vehicle))
    measured = economy_by_fill_up(fill_ups)
    reading = {fill_up.id: fill_up.odometer_km for fill_up in fill_ups}
    by_reading = sorted(measured.items(), key=lambda item: reading[item[0]])
    distance = sum(e.distance_km for e in measured.values())
    litres = sum((e.litres for e in measured.values()), Decimal(0))
    return EconomySummary(
        fill_ups=len(fill_ups),
        measured_distance_km=distance,
        measured_litres=litres,
        average=Economy(distance_km=distance, litres=litres) if distance else None,
        last=by_reading[-1][1] if by_reading else None,
    )


# --- Costs ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class CostRow:
    key: str
    maintenance: Decimal = ZERO
    fuel: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.maintenance + self.fuel


@dataclass(slots=True)
class CostReport:
    currency: str
    group: str
    start: date | None
    end: date | None
    maintenance: Decimal
    fuel: Decimal
    distance_km: int
    rows: list[CostRow] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.maintenance + self.fuel

    @property
    def cost_per_km(self) -> Decimal | None:
        return (self.total / self.distance_km).quantize(Decimal("0.0001")) if self.distance_km else None


def _in_range(queryset: QuerySet[Any], column: str, start: date | None, end: date | None) -> QuerySet[Any]:
    if start is not None:
        queryset = queryset.filter(**{f"{column}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{column}__lte": end})
    return queryset


def _period_key(value: Any, group: str) -> str:
    day = value.date() if hasattr(value, "date") else value
    return f"{day:%Y}" if group == CostGroup.YEAR else f"{day:%Y-%m}"


def vehicle_costs(*, vehicle: Vehicle, currency: str, group: str, start: date | None, end: date | None) -> CostReport:
    """What the car cost between ``start`` and ``end`` (inclusive, either open): completed maintenance jobs
    by their completion date, fill-ups by theirs; grouped by month, year or category (the job's type, or
    ``fuel``). The cost per km is over the distance the readings of the period span."""
    money = DecimalField(max_digits=14, decimal_places=2)
    jobs = _in_range(
        MaintenanceRecord.objects.filter(vehicle=vehicle, completed_date__isnull=False),
        "completed_date",
        start,
        end,
    )
    fuel = _in_range(FuelEntry.objects.filter(vehicle=vehicle), "filled_on", start, end)
    rows: dict[str, CostRow] = {}
    if group == CostGroup.CATEGORY:
        job_groups = jobs.filter(cost__isnull=False).values(key=F("maintenance_type")).annotate(total=Sum("cost"))
        for item in job_groups.order_by("key"):
            rows[item["key"]] = CostRow(key=item["key"], maintenance=item["total"])
        fuel_total = fuel.aggregate(total=Sum("total_cost"))["total"]
        if fuel_total is not None:
            rows[FUEL_CATEGORY] = CostRow(key=FUEL_CATEGORY, fuel=fuel_total)
    else:
        trunc = TruncYear if group == CostGroup.YEAR else TruncMonth
        job_groups = (
            jobs.filter(cost__isnull=False)
            .annotate(period=trunc("completed_date"))
            .values("period")
            .annotate(total=Sum("cost"))
            .order_by("period")
        )
        fuel_groups = (
            fuel.annotate(period=trunc("filled_on")).values("period").annotate(total=Sum("total_cost")).order_by()
        )
        for item in job_groups:
            key = _period_key(item["period"], group)
            rows.setdefault(key, CostRow(key=key)).maintenance += item["total"]
        for item in fuel_groups:
            key = _period_key(item["period"], group)
            rows.setdefault(key, CostRow(key=key)).fuel += item["total"]
    job_totals = jobs.aggregate(
        total=Coalesce(Sum("cost"), Value(ZERO), output_field=money),
        low=Min("odometer_km"),
        high=Max("odometer_km"),
    )
    fuel_totals = fuel.aggregate(
        total=Coalesce(Sum("total_cost"), Value(ZERO), output_field=money),
        low=Min("odometer_km"),
        high=Max("odometer_km"),
        count=Count("id"),
    )
    readings = [value for totals in (job_totals, fuel_totals) for value in (totals["low"], totals["high"]) if value]
    return CostReport(
        currency=currency,
        group=group,
        start=start,
        end=end,
        maintenance=job_totals["total"],
        fuel=fuel_totals["total"],
        distance_km=(max(readings) - min(readings)) if readings else 0,
        rows=sorted(rows.values(), key=lambda row: row.key),
    )


# --- Odometer history -----------------------------------------------------------------------------


class ReadingSource:
    FUEL = "fuel"
    MAINTENANCE = "maintenance"
    DIAGNOSTIC = "diagnostic"
    VEHICLE = "vehicle"
    CHOICES = (FUEL, MAINTENANCE, DIAGNOSTIC, VEHICLE)


@dataclass(slots=True)
class Reading:
    on: date
    odometer_km: int
    source: str
    source_id: UUID
    flagged: bool = False


def odometer_history(vehicle: Vehicle) -> list[Reading]:
    """Every reading of the car, oldest first; a reading lower than an earlier one is flagged.

    The vehicle's own field counts as read on its last change. Same-day readings keep their order by km,
    so only a genuine step backwards in time is flagged.
    """
    readings = [
        Reading(on, km, ReadingSource.FUEL, pk)
        for pk, on, km in FuelEntry.objects.filter(vehicle=vehicle).values_list("id", "filled_on", "odometer_km")
    ]
    readings += [
        Reading(on, km, ReadingSource.MAINTENANCE, pk)
        for pk, on, km in MaintenanceRecord.objects.filter(
            vehicle=vehicle, completed_date__isnull=False, odometer_km__isnull=False
        ).values_list("id", "completed_date", "odometer_km")
    ]
    readings += [
        Reading(at.date(), km, ReadingSource.DIAGNOSTIC, pk)
        for pk, at, km in DiagnosticRecord.objects.filter(vehicle=vehicle, odometer_km__isnull=False).values_list(
            "id", "created_at", "odometer_km"
        )
    ]
    if vehicle.odometer_km:
        readings.append(Reading(vehicle.updated_at.date(), vehicle.odometer_km, ReadingSource.VEHICLE, vehicle.pk))
    readings.sort(key=lambda reading: (reading.on, reading.odometer_km))
    highest = 0
    for reading in readings:
        reading.flagged = reading.odometer_km < highest
        highest = max(highest, reading.odometer_km)
    return readings


def monthly_costs_by_vehicle(vehicles: QuerySet[Vehicle]) -> list[tuple[Vehicle, str, CostRow]]:
    """Every month's maintenance and fuel totals of each of these cars (two grouped queries in all)."""
    by_id = {vehicle.pk: vehicle for vehicle in vehicles}
    rows: dict[tuple[UUID, str], CostRow] = {}
    jobs = (
        MaintenanceRecord.objects.filter(vehicle__in=by_id, completed_date__isnull=False, cost__isnull=False)
        .annotate(period=TruncMonth("completed_date"))
        .values("vehicle_id", "period")
        .annotate(total=Sum("cost"))
        .order_by()
    )
    fills = (
        FuelEntry.objects.filter(vehicle__in=by_id)
        .annotate(period=TruncMonth("filled_on"))
        .values("vehicle_id", "period")
        .annotate(total=Sum("total_cost"))
        .order_by()
    )
    for item in jobs:
        key = _period_key(item["period"], CostGroup.MONTH)
        rows.setdefault((item["vehicle_id"], key), CostRow(key=key)).maintenance += item["total"]
    for item in fills:
        key = _period_key(item["period"], CostGroup.MONTH)
        rows.setdefault((item["vehicle_id"], key), CostRow(key=key)).fuel += item["total"]
    return [
        (by_id[vehicle_id], key, row)
        for (vehicle_id, key), row in sorted(rows.items(), key=lambda i: (str(i[0][0]), i[0][1]))
    ]
