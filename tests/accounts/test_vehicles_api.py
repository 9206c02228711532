"""A driver's garage through /api/v1/vehicles: only their own cars, validated."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from diagnostics.models import DiagnosticRecord
from tests.conftest import RLS_QUERIES

pytestmark = pytest.mark.django_db

VEHICLES = "/api/v1/vehicles"
VIN = "1HGCM82633A004352"
CAR = {"make": "Toyota", "model": "Corolla", "year": 2014, "fuel_type": "petrol", "odometer_km": 182000}


def detail(vehicle: Vehicle | uuid.UUID) -> str:
    return f"{VEHICLES}/{getattr(vehicle, 'pk', vehicle)}"


def test_a_driver_adds_a_car_with_a_vin_typed_in_lower_case(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(VEHICLES, {**CAR, "vin": f" {VIN.lower()} ", "nickname": "Blue one"})

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    vehicle = Vehicle.objects.get(pk=body["id"])
    assert vehicle.user == driver
    assert vehicle.vin == VIN
    assert body["vin"] == VIN
    assert (vehicle.make, vehicle.model, vehicle.year, vehicle.odometer_km) == ("Toyota", "Corolla", 2014, 182000)


def test_the_list_shows_only_the_drivers_own_cars_with_constant_queries(
    driver: User,
    other_driver: User,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(driver)
    baker.make(Vehicle, user=driver, year=2010)
    baker.make(Vehicle, user=other_driver, year=2010, _quantity=3)
    with django_assert_max_num_queries(3 + RLS_QUERIES) as few:
        assert client.get(VEHICLES).json()["count"] == 1
    baker.make(Vehicle, user=driver, year=2012, _quantity=15)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(VEHICLES)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == 16
    assert {row["id"] for row in response.json()["results"]} == {
        str(pk) for pk in Vehicle.objects.filter(user=driver).values_list("pk", flat=True)
    }


def test_a_driver_reads_updates_and_deletes_their_car(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    vehicle = baker.make(Vehicle, user=driver, make="Toyota", model="Yaris", year=2011, odometer_km=1000)
    diagnostic = baker.make(DiagnosticRecord, user=driver, vehicle=vehicle, diagnostic_type="engine_sound")

    assert client.get(detail(vehicle)).json()["model"] == "Yaris"

    patched = client.patch(detail(vehicle), {"odometer_km": 2500, "vin": VIN})
    assert patched.status_code == HTTPStatus.OK
    vehicle.refresh_from_db()
    assert (vehicle.odometer_km, vehicle.vin, vehicle.model) == (2500, VIN, "Yaris")

    put = client.put(detail(vehicle), {**CAR, "nickname": "Work car"})
    assert put.status_code == HTTPStatus.OK
    vehicle.refresh_from_db()
    assert (vehicle.model, vehicle.nickname, vehicle.odometer_km, vehicle.vin) == ("Corolla", "Work car", 182000, VIN)

    assert client.delete(detail(vehicle)).status_code == HTTPStatus.NO_CONTENT
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()
    diagnostic.refresh_from_db()
    assert diagnostic.vehicle is None


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_another_drivers_car_is_not_found(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], method: str
) -> None:
    theirs = baker.make(Vehicle, user=other_driver, year=2010, odometer_km=10)

    response = getattr(client_for(driver), method)(detail(theirs), {**CAR, "odometer_km": 99})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.odometer_km == 10


def test_a_malformed_id_is_not_found(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).get(f"{VEHICLES}/not-a-uuid")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vin": "1HGCM82633A00435"}, "vin"),  # 16 characters
        ({"vin": "1HGCM82633A0043521"}, "vin"),  # 18 characters
        ({"vin": "1HGCM82633A00435I"}, "vin"),  # I is not used in VINs
        ({"vin": "OHGCM82633A004352"}, "vin"),  # nor O
        ({"vin": "1HGCM82633A00435Q"}, "vin"),  # nor Q
        ({"year": 1885}, "year"),
        ({"year": timezone.now().year + 2}, "year"),
        ({"odometer_km": -1}, "odometer_km"),
        ({"fuel_type": "steam"}, "fuel_type"),
        ({"make": "x" * 65}, "make"),
        ({"make": ""}, "make"),
        ({"owner": "someone"}, "owner"),
        ({"id": "not-a-uuid"}, "id"),  # a client-chosen id (cardoc.sync) must at least be a UUID
    ],
)
def test_an_invalid_car_is_refused_with_the_field_named(
    driver: User, client_for: Callable[[User], APIClient], changes: dict[str, Any], field: str
) -> None:
    response = client_for(driver).post(VEHICLES, {**CAR, **changes})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]
    assert not Vehicle.objects.exists()


def test_next_years_model_is_accepted(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(VEHICLES, {**CAR, "year": timezone.now().year + 1})

    assert response.status_code == HTTPStatus.CREATED


def test_a_driver_cannot_have_two_cars_with_one_vin_but_two_drivers_can(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    baker.make(Vehicle, user=driver, year=2010, vin=VIN)

    mine = client_for(driver).post(VEHICLES, {**CAR, "vin": VIN.lower()})
    theirs = client_for(other_driver).post(VEHICLES, {**CAR, "vin": VIN})

    assert mine.status_code == HTTPStatus.BAD_REQUEST
    assert list(mine.json()["error"]["fields"]) == ["vin"]
    assert theirs.status_code == HTTPStatus.CREATED
    assert Vehicle.objects.filter(vin=VIN).count() == 2


def test_a_mechanic_account_has_no_garage(mechanic: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(mechanic).post(VEHICLES, CAR)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Vehicle.objects.exists()
