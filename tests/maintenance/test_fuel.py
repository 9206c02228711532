"""The fuel log (/api/v1/fuel) and a car's fuel economy: full fills measure, partial ones carry over."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from maintenance.models import FuelEntry
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db

LIST = "/api/v1/fuel"
START = date(2026, 3, 1)


def fill(client: APIClient, vehicle: Vehicle, *, days: int, km: int, litres: str, cost: str = "30000", **extra: object):
    payload = {
        "vehicle": str(vehicle.pk),
        "filled_on": (START + timedelta(days=days)).isoformat(),
        "odometer_km": km,
        "litres": litres,
        "total_cost": cost,
        **extra,
    }
    return client.post(LIST, payload, format="json")


def test_a_driver_logs_fill_ups_and_reads_the_economy_between_full_fills(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    first = fill(client, vehicle, days=0, km=50_100, litres="40")
    partial = fill(client, vehicle, days=5, km=50_400, litres="10", is_full=False, station="Total Bonapriso")
    full = fill(client, vehicle, days=9, km=50_700, litres="32", cost="26400")

    assert first.status_code == HTTPStatus.CREATED, first.json()
    assert first.json()["l_per_100km"] is None  # the first full fill is the baseline
    assert partial.json()["l_per_100km"] is None  # a partial fill measures nothing
    body = full.json()
    # 10 L carried from the partial fill + 32 L, over 600 km since the previous full fill.
    assert (body["distance_km"], body["l_per_100km"], body["km_per_l"]) == (600, "7.00", "14.29")
    assert body["price_per_litre"] == "825.000"
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_700
    assert FuelEntry.objects.filter(user=driver, vehicle=vehicle).count() == 3
    assert FuelEntry.objects.get(pk=partial.json()["id"]).station == "Total Bonapriso"

    summary = client.get(f"/api/v1/vehicles/{vehicle.pk}/fuel-economy").json()
    assert summary["fill_ups"] == 3
    assert summary["average"] == {"l_per_100km": "7.00", "km_per_l": "14.29", "distance_km": 600, "litres": "42.000"}


def test_it_refuses_a_fill_up_whose_odometer_goes_backwards(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    fill(client, vehicle, days=0, km=50_100, litres="40")

    response = fill(client, vehicle, days=3, km=49_900, litres="20")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "49,900 km is lower than the 50,100 km read on 2026-03-01" in error["fields"]["odometer_km"][0]
    assert FuelEntry.objects.count() == 1


def test_a_back_dated_fill_up_that_fits_is_kept_without_moving_the_odometer_back(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    fill(client, vehicle, days=10, km=51_000, litres="40")

    older = fill(client, vehicle, days=1, km=48_000, litres="35")
    later_but_lower = fill(client, vehicle, days=0, km=52_000, litres="35")

    assert older.status_code == HTTPStatus.CREATED
    assert later_but_lower.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "higher than the 51,000 km read later, on 2026-03-11"
        in later_but_lower.json()["error"]["fields"]["odometer_km"][0]
    )
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 51_000


def test_it_checks_readings_against_completed_maintenance(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    make_record(driver, vehicle=vehicle, completed_date=START, odometer_km=60_000, days_from_today=-300)

    response = fill(client_for(driver), vehicle, days=2, km=59_000, litres="30")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not FuelEntry.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"litres": "0"}, "litres"), ({"total_cost": "-5"}, "total_cost"), ({"odometer_km": -1}, "odometer_km")],
)
def test_it_refuses_bad_input_naming_the_field(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient], extra: dict[str, object], field: str
) -> None:
    payload = {"litres": "30", "km": 50_100} | extra
    response = fill(
        client_for(driver),
        vehicle,
        days=0,
        km=payload.pop("odometer_km", 50_100),  # type: ignore[arg-type]
        litres=payload["litres"],  # type: ignore[arg-type]
        cost=payload.get("total_cost", "100"),  # type: ignore[arg-type]
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]
    assert not FuelEntry.objects.exists()


def test_anonymous_callers_are_refused(api_client: APIClient, vehicle: Vehicle) -> None:
    assert api_client.get(LIST).status_code == HTTPStatus.UNAUTHORIZED
    assert fill(api_client, vehicle, days=0, km=1, litres="1").status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.get(f"/api/v1/vehicles/{vehicle.pk}/fuel-economy").status_code == HTTPStatus.UNAUTHORIZED


def test_another_drivers_fill_ups_and_cars_are_not_found(
    driver: User, other_driver: User, other_vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    theirs = baker.make(
        FuelEntry, user=other_driver, vehicle=other_vehicle, odometer_km=90_100, litres=Decimal(30), total_cost=1
    )
    client = client_for(driver)

    assert client.get(f"{LIST}/{theirs.pk}").status_code == HTTPStatus.NOT_FOUND
    assert client.patch(f"{LIST}/{theirs.pk}", {"litres": "1"}, format="json").status_code == HTTPStatus.NOT_FOUND
    assert client.delete(f"{LIST}/{theirs.pk}").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/api/v1/vehicles/{other_vehicle.pk}/fuel-economy").status_code == HTTPStatus.NOT_FOUND
    assert client.get(LIST).json()["count"] == 0
    refused = fill(client, other_vehicle, days=0, km=90_200, litres="10")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert list(refused.json()["error"]["fields"]) == ["vehicle"]
    assert FuelEntry.objects.get(pk=theirs.pk).litres == Decimal(30)


def test_the_owner_edits_and_deletes_a_fill_up(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    entry = fill(client, vehicle, days=0, km=50_100, litres="40").json()

    edited = client.patch(f"{LIST}/{entry['id']}", {"litres": "41.5", "station": "Tradex"}, format="json")
    assert edited.status_code == HTTPStatus.OK, edited.json()
    stored = FuelEntry.objects.get(pk=entry["id"])
    assert (stored.litres, stored.station) == (Decimal("41.5"), "Tradex")

    assert client.delete(f"{LIST}/{entry['id']}").status_code == HTTPStatus.NO_CONTENT
    assert not FuelEntry.objects.exists()


def test_the_list_runs_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(driver)
    baker.make(FuelEntry, user=driver, vehicle=vehicle, odometer_km=49_800, litres=Decimal(30), total_cost=1)
    with django_assert_max_num_queries(5 + RLS_QUERIES) as few:
        assert client.get(f"{LIST}?page_size=100").status_code == HTTPStatus.OK

    for index in range(20):
        baker.make(
            FuelEntry, user=driver, vehicle=vehicle, odometer_km=50_200 + index * 400, litres=Decimal(30), total_cost=1
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{LIST}?page_size=100")

    assert response.json()["count"] == 21
    assert sum(1 for row in response.json()["results"] if row["l_per_100km"] == "7.50") == 20
