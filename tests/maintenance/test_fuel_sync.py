"""A fill-up logged offline: a client-chosen id, ETag / If-Match, and the push and feed of /api/v1/sync."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import SyncChange
from maintenance.models import FuelEntry

pytestmark = pytest.mark.django_db

LIST = "/api/v1/fuel"
PUSH = "/api/v1/sync/push"
FEED = "/api/v1/sync/changes"


def body(vehicle: Vehicle, **changes: object) -> dict[str, object]:
    return {
        "vehicle": str(vehicle.pk),
        "filled_on": "2026-03-01",
        "odometer_km": 50_100,
        "litres": "40.000",
        "total_cost": "30000.00",
        **changes,
    }


def version(object_id: object) -> int:
    return SyncChange.objects.get(kind="fuel", object_id=object_id).version


def test_a_retried_create_with_the_same_id_is_stored_once(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())

    first = client.post(LIST, body(vehicle, id=chosen), format="json")
    again = client.post(LIST, body(vehicle, id=chosen), format="json")

    assert (first.status_code, again.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert first.json()["id"] == again.json()["id"] == chosen
    assert first["ETag"] == again["ETag"] == f'"{version(chosen)}"'
    assert list(FuelEntry.objects.values_list("pk", flat=True)) == [uuid.UUID(chosen)]
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_100


def test_the_same_id_with_another_body_or_from_another_driver_is_a_conflict(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    chosen = str(uuid.uuid4())
    assert client_for(driver).post(LIST, body(vehicle, id=chosen), format="json").status_code == HTTPStatus.CREATED

    changed = client_for(driver).post(LIST, body(vehicle, id=chosen, litres="41"), format="json")
    stranger = baker.make(User)
    their_car = baker.make(Vehicle, user=stranger, year=2015, odometer_km=1_000)
    theirs = client_for(stranger).post(LIST, body(their_car, id=chosen), format="json")

    assert changed.status_code == theirs.status_code == HTTPStatus.CONFLICT
    assert changed.json()["error"]["code"] == theirs.json()["error"]["code"] == "id_conflict"
    assert FuelEntry.objects.get().litres == Decimal(40)
    assert not FuelEntry.objects.filter(vehicle=their_car).exists()


def test_a_malformed_id_is_refused_naming_the_field(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(LIST, body(vehicle, id="not-a-uuid"), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["id"]
    assert not FuelEntry.objects.exists()


def test_an_edit_on_a_stale_version_is_refused_and_a_current_one_applies(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    entry = client.post(LIST, body(vehicle), format="json").json()
    url = f"{LIST}/{entry['id']}"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"station": "Tradex"}, format="json", HTTP_IF_MATCH=etag).status_code == HTTPStatus.OK

    stale = client.patch(url, {"station": "Total"}, format="json", HTTP_IF_MATCH=etag)
    stale_delete = client.delete(url, HTTP_IF_MATCH=etag)

    assert stale.status_code == stale_delete.status_code == HTTPStatus.PRECONDITION_FAILED
    assert FuelEntry.objects.get(pk=entry["id"]).station == "Tradex"
    current = client.get(url)["ETag"]
    assert current == f'"{version(entry["id"])}"' != etag
    assert client.delete(url, HTTP_IF_MATCH=current).status_code == HTTPStatus.NO_CONTENT
    assert not FuelEntry.objects.exists()


def test_a_pushed_fill_up_sent_twice_is_stored_once_and_reaches_the_feed(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    cursor = client.get(FEED, {"limit": 500}).json()["cursor"]
    chosen = str(uuid.uuid4())
    operations = {"operations": [{"op": "create", "type": "fuel", "id": chosen, "data": body(vehicle)}]}

    answers = [client.post(PUSH, operations, format="json").json()["results"][0] for _ in range(2)]
    edit = {"op": "update", "type": "fuel", "id": chosen, "base_version": version(chosen), "data": {"notes": "A/C on"}}
    [edited] = client.post(PUSH, {"operations": [edit]}, format="json").json()["results"]

    assert [answer["status"] for answer in answers] == ["ok", "ok"]
    assert edited["status"] == "ok"
    assert FuelEntry.objects.get().notes == "A/C on"
    entries = [e for e in client.get(FEED, {"cursor": cursor}).json()["entries"] if e["type"] == "fuel"]
    assert [(entry["id"], entry["data"]["notes"]) for entry in entries] == [(chosen, "A/C on")]
