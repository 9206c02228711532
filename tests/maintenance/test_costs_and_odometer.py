"""A car's costs (/vehicles/{id}/costs) and odometer history (/vehicles/{id}/odometer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle
from diagnostics.models import DiagnosticRecord
from maintenance.models import FuelEntry, MaintenanceRecord
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db


def costs(vehicle: Vehicle) -> str:
    return f"/api/v1/vehicles/{vehicle.pk}/costs"


def odometer(vehicle: Vehicle) -> str:
    return f"/api/v1/vehicles/{vehicle.pk}/odometer"


def fuel(user: User, vehicle: Vehicle, on: date, km: int, cost: str, litres: str = "40") -> FuelEntry:
    return baker.make(
        FuelEntry, user=user, vehicle=vehicle, filled_on=on, odometer_km=km, litres=Decimal(litres), total_cost=cost
    )


def job(user: User, vehicle: Vehicle, on: date, km: int | None, cost: str | None, kind: str) -> MaintenanceRecord:
    return make_record(
        user,
        vehicle=vehicle,
        maintenance_type=kind,
        completed_date=on,
        scheduled_date=on,
        odometer_km=km,
        cost=Decimal(cost) if cost else None,
    )


@pytest.fixture
def month_of_driving(driver: User, vehicle: Vehicle) -> None:
    fuel(driver, vehicle, date(2026, 3, 2), 50_000, "33000.00")
    fuel(driver, vehicle, date(2026, 3, 16), 50_600, "30000.00")
    fuel(driver, vehicle, date(2026, 4, 1), 51_000, "20000.00")
    job(driver, vehicle, date(2026, 3, 10), 50_300, "25000.00", MaintenanceRecord.Type.SCHEDULED)
    job(driver, vehicle, date(2026, 4, 3), 51_000, "120000.00", MaintenanceRecord.Type.CORRECTIVE)
    # Planned, not done: not a cost yet.
    make_record(driver, vehicle=vehicle, cost=Decimal(99_999))


def test_costs_by_month_with_the_cost_per_km_in_the_drivers_currency(
    driver: User, vehicle: Vehicle, month_of_driving: None, client_for: Callable[[User], APIClient]
) -> None:
    UserProfile.objects.filter(user=driver).update(currency="EUR")

    response = client_for(driver).get(costs(vehicle))

    assert response.status_code == HTTPStatus.OK, response.json()
    body = response.json()
    assert (body["currency"], body["group"]) == ("EUR", "month")
    assert (body["maintenance"], body["fuel"], body["total"]) == ("145000.00", "83000.00", "228000.00")
    assert body["distance_km"] == 1_000
    assert body["cost_per_km"] == "228.0000"
    assert body["rows"] == [
        {"key": "2026-03", "maintenance": "25000.00", "fuel": "63000.00", "total": "88000.00"},
        {"key": "2026-04", "maintenance": "120000.00", "fuel": "20000.00", "total": "140000.00"},
    ]


def test_costs_by_category_and_year_within_a_date_range(
    driver: User, vehicle: Vehicle, month_of_driving: None, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    by_category = client.get(costs(vehicle), {"group": "category", "from": "2026-03-01", "to": "2026-03-31"}).json()
    by_year = client.get(costs(vehicle), {"group": "year"}).json()

    assert [(row["key"], row["total"]) for row in by_category["rows"]] == [
        ("fuel", "63000.00"),
        ("scheduled", "25000.00"),
    ]
    assert (by_category["total"], by_category["distance_km"]) == ("88000.00", 600)
    assert [(row["key"], row["total"]) for row in by_year["rows"]] == [("2026", "228000.00")]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"group": "week"}, "group"), ({"from": "March"}, "from"), ({"from": "2026-04-02", "to": "2026-04-01"}, "to")],
)
def test_costs_refuse_bad_parameters(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient], params: dict[str, str], field: str
) -> None:
    response = client_for(driver).get(costs(vehicle), params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


def test_a_car_without_costs_has_no_cost_per_km(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    body = client_for(driver).get(costs(vehicle)).json()

    assert (body["total"], body["distance_km"], body["cost_per_km"], body["rows"]) == ("0.00", 0, None, [])


def test_anonymous_and_other_drivers_are_refused(
    driver: User, other_vehicle: Vehicle, api_client: APIClient, client_for: Callable[[User], APIClient]
) -> None:
    for url in (costs(other_vehicle), odometer(other_vehicle)):
        assert api_client.get(url).status_code == HTTPStatus.UNAUTHORIZED
        assert client_for(driver).get(url).status_code == HTTPStatus.NOT_FOUND


def test_costs_run_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(driver)
    fuel(driver, vehicle, date(2026, 1, 5), 40_000, "1000")
    # The caller, their profile (currency), the car, two grouped totals and two overall ones.
    with django_assert_max_num_queries(7 + RLS_QUERIES) as few:
        assert client.get(costs(vehicle)).status_code == HTTPStatus.OK
    for month in range(2, 13):
        fuel(driver, vehicle, date(2026, month, 5), 40_000 + month * 500, "1000")
        job(driver, vehicle, date(2026, month, 6), None, "500", MaintenanceRecord.Type.PREVENTIVE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(costs(vehicle)).json()
    assert len(body["rows"]) == 12
    assert body["total"] == "17500.00"


def test_the_odometer_history_joins_every_source_and_flags_a_step_back(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    fuel(driver, vehicle, date(2026, 3, 2), 50_000, "1")
    job(driver, vehicle, date(2026, 3, 10), 50_300, None, MaintenanceRecord.Type.SCHEDULED)
    # A job typed with a reading lower than the fill-up before it: kept in the history, flagged.
    wrong = job(driver, vehicle, date(2026, 3, 12), 49_000, None, MaintenanceRecord.Type.CORRECTIVE)
    scan = baker.make(
        DiagnosticRecord, user=driver, vehicle=vehicle, diagnostic_type="dashboard_scan", odometer_km=50_500
    )

    response = client_for(driver).get(odometer(vehicle))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    readings = [(r["source"], r["odometer_km"], r["flagged"]) for r in body["readings"]]
    assert readings[:3] == [("fuel", 50_000, False), ("maintenance", 50_300, False), ("maintenance", 49_000, True)]
    assert ("diagnostic", 50_500, False) in readings
    assert ("vehicle", 50_000, False) in readings or ("vehicle", 50_000, True) in readings
    assert body["flagged"] == sum(flag for _, _, flag in readings)
    assert any(r["source_id"] == str(wrong.pk) and r["flagged"] for r in body["readings"])
    assert any(r["source_id"] == str(scan.pk) for r in body["readings"])
    vehicle.refresh_from_db()
    assert body["current_km"] == vehicle.odometer_km == 50_000


def test_the_odometer_history_runs_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(driver)
    fuel(driver, vehicle, date(2026, 1, 1), 50_000, "1")
    with django_assert_max_num_queries(6 + RLS_QUERIES) as few:
        assert client.get(odometer(vehicle)).status_code == HTTPStatus.OK
    for day in range(2, 20):
        fuel(driver, vehicle, date(2026, 1, day), 50_000 + day * 100, "1")
        job(driver, vehicle, date(2026, 2, day), 60_000 + day, None, MaintenanceRecord.Type.SCHEDULED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(odometer(vehicle)).json()["readings"]) == 38
