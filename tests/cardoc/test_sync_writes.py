"""Client-chosen ids, ETag / If-Match and POST /api/v1/sync/push: writing from a phone that was offline."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import SyncChange
from cardoc.sync_api import PUSH_MAX_OPERATIONS
from maintenance.models import MaintenanceRecord

pytestmark = pytest.mark.django_db

VEHICLES = "/api/v1/vehicles"
MAINTENANCE = "/api/v1/maintenance"
PUSH = "/api/v1/sync/push"
CAR = {"make": "Toyota", "model": "Corolla", "year": 2014}
JOB = {"maintenance_type": "scheduled", "title": "Oil change", "scheduled_date": "2030-03-01"}


def version(object_id: Any) -> int:
    return SyncChange.objects.get(object_id=object_id).version


# --- Client-chosen ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "body"), [(VEHICLES, CAR), (MAINTENANCE, JOB)])
def test_a_create_with_a_client_id_keeps_that_id(
    driver: User, client_for: Callable[[User], APIClient], url: str, body: dict[str, Any]
) -> None:
    chosen = str(uuid.uuid4())

    response = client_for(driver).post(url, {**body, "id": chosen}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["id"] == chosen
    assert response["ETag"] == f'"{version(chosen)}"'


@pytest.mark.parametrize(("url", "body", "model"), [(VEHICLES, CAR, Vehicle), (MAINTENANCE, JOB, MaintenanceRecord)])
def test_a_repeated_create_answers_the_stored_object_once(
    driver: User, client_for: Callable[[User], APIClient], url: str, body: dict[str, Any], model: Any
) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())
    first = client.post(url, {**body, "id": chosen}, format="json")

    again = client.post(url, {**body, "id": chosen}, format="json")

    assert again.status_code == HTTPStatus.OK
    assert again.json() == first.json()
    assert model.objects.filter(user=driver).count() == 1


def test_the_same_id_with_another_body_is_a_409(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    chosen = str(uuid.uuid4())
    client.post(VEHICLES, {**CAR, "id": chosen}, format="json")

    response = client.post(VEHICLES, {**CAR, "id": chosen, "year": 2015}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "id_conflict"
    assert Vehicle.objects.get(pk=chosen).year == 2014


def test_another_drivers_id_is_a_409_that_shows_nothing_of_theirs(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    chosen = str(uuid.uuid4())
    client_for(other_driver).post(VEHICLES, {**CAR, "id": chosen}, format="json")

    response = client_for(driver).post(VEHICLES, {**CAR, "id": chosen}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert "Corolla" not in response.content.decode()
    assert Vehicle.objects.get(pk=chosen).user == other_driver


def test_an_update_cannot_change_the_id(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)

    response = client_for(driver).patch(f"{VEHICLES}/{car.pk}", {"id": str(uuid.uuid4())}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"id": ["An object's id cannot change."]}


# --- ETag and If-Match ---------------------------------------------------------------------------------


def test_get_returns_the_version_as_etag(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)

    response = client_for(driver).get(f"{VEHICLES}/{car.pk}")

    assert response["ETag"] == f'"{version(car.pk)}"'


def test_a_stale_if_match_is_a_412_and_changes_nothing(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    car = baker.make(Vehicle, user=driver, year=2012, nickname="old")
    stale = client.get(f"{VEHICLES}/{car.pk}")["ETag"]
    client.patch(f"{VEHICLES}/{car.pk}", {"nickname": "from the other phone"}, format="json")

    response = client.patch(f"{VEHICLES}/{car.pk}", {"nickname": "mine"}, format="json", HTTP_IF_MATCH=stale)

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert response.json()["error"]["code"] == "precondition_failed"
    car.refresh_from_db()
    assert car.nickname == "from the other phone"


def test_a_current_if_match_applies_and_returns_the_new_etag(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    record = baker.make(MaintenanceRecord, user=driver, maintenance_type="scheduled", scheduled_date="2030-01-01")
    current = client.get(f"{MAINTENANCE}/{record.pk}")["ETag"]

    response = client.patch(f"{MAINTENANCE}/{record.pk}", {"title": "Brakes"}, format="json", HTTP_IF_MATCH=current)

    assert response.status_code == HTTPStatus.OK
    assert response["ETag"] == f'"{version(record.pk)}"' != current
    record.refresh_from_db()
    assert record.title == "Brakes"


def test_a_delete_with_a_stale_if_match_keeps_the_object(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)

    response = client_for(driver).delete(f"{VEHICLES}/{car.pk}", HTTP_IF_MATCH='"0"')

    assert response.status_code == HTTPStatus.PRECONDITION_FAILED
    assert Vehicle.objects.filter(pk=car.pk).exists()


def test_a_malformed_if_match_is_a_400(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)

    response = client_for(driver).delete(f"{VEHICLES}/{car.pk}", HTTP_IF_MATCH="yesterday")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Vehicle.objects.filter(pk=car.pk).exists()


def test_if_match_on_another_drivers_car_is_a_404(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    car = baker.make(Vehicle, user=other_driver, year=2012)

    response = client_for(driver).delete(f"{VEHICLES}/{car.pk}", HTTP_IF_MATCH=f'"{version(car.pk)}"')

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Vehicle.objects.filter(pk=car.pk).exists()


# --- The batch upload ----------------------------------------------------------------------------------


def test_anonymous_pushes_are_refused(api_client: APIClient) -> None:
    assert api_client.post(PUSH, {"operations": []}, format="json").status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"operations": []}, "operations"),
        ({"operations": [{"op": "upsert", "type": "vehicle", "id": str(uuid.uuid4())}]}, "operations"),
        ({"operations": [{"op": "create", "type": "vehicle"}]}, "operations"),
        ({"ops": []}, "ops"),
    ],
)
def test_a_malformed_push_is_a_400(
    driver: User, client_for: Callable[[User], APIClient], body: dict[str, Any], field: str
) -> None:
    response = client_for(driver).post(PUSH, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]


def test_an_empty_or_oversized_push_names_operations_with_flat_messages(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    too_many = [{"op": "delete", "type": "vehicle", "id": str(uuid.uuid4())}] * (PUSH_MAX_OPERATIONS + 1)
    for operations, message in (([], "Send at least one operation."), (too_many, "Send at most")):
        response = client.post(PUSH, {"operations": operations}, format="json")

        assert response.status_code == HTTPStatus.BAD_REQUEST
        # The error shape's fields are lists of strings, never nested objects.
        [text] = response.json()["error"]["fields"]["operations"]
        assert text.startswith(message)

    # An error inside one operation is named by its place in the list.
    response = client.post(PUSH, {"operations": [{"op": "delete", "type": "vehicle", "id": "nope"}]}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"]["operations"] == ["0.id: Must be a valid UUID."]


def test_a_push_applies_each_operation_and_reports_each(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car_id, job_id, bad_id, orphan_id = (str(uuid.uuid4()) for _ in range(4))
    old = baker.make(Vehicle, user=driver, year=2001)
    operations = [
        {"op": "create", "type": "vehicle", "id": car_id, "data": CAR},
        {"op": "create", "type": "maintenance", "id": job_id, "data": {**JOB, "vehicle": car_id}},
        {"op": "create", "type": "vehicle", "id": bad_id, "data": {**CAR, "year": 1700}},
        {"op": "create", "type": "maintenance", "id": orphan_id, "data": {**JOB, "vehicle": bad_id}},
        {"op": "delete", "type": "vehicle", "id": str(old.pk), "base_version": version(old.pk)},
    ]

    response = client_for(driver).post(PUSH, {"operations": operations}, format="json")

    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["ok", "ok", "invalid", "failed_dependency", "ok"]
    assert results[2]["error"]["fields"] == {"year": ["Ensure this value is greater than or equal to 1886."]}
    assert results[1]["data"]["vehicle"] == car_id
    assert results[0]["version"] == version(car_id)
    assert set(Vehicle.objects.filter(user=driver).values_list("pk", flat=True)) == {uuid.UUID(car_id)}
    assert MaintenanceRecord.objects.get(pk=job_id).vehicle_id == uuid.UUID(car_id)
    assert not MaintenanceRecord.objects.filter(pk=orphan_id).exists()


def test_a_pushed_update_on_a_stale_version_is_a_conflict_with_the_servers_copy(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    car = baker.make(Vehicle, user=driver, year=2012, nickname="old")
    base = version(car.pk)
    client.patch(f"{VEHICLES}/{car.pk}", {"nickname": "newer"}, format="json")

    response = client.post(
        PUSH,
        {
            "operations": [
                {"op": "update", "type": "vehicle", "id": str(car.pk), "base_version": base, "data": {"nickname": "x"}}
            ]
        },
        format="json",
    )

    [result] = response.json()["results"]
    assert result["status"] == "conflict"
    assert result["version"] == version(car.pk)
    assert result["data"]["nickname"] == "newer"
    car.refresh_from_db()
    assert car.nickname == "newer"


def test_an_update_without_base_version_is_invalid(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)

    response = client_for(driver).post(
        PUSH,
        {"operations": [{"op": "update", "type": "vehicle", "id": str(car.pk), "data": {"nickname": "x"}}]},
        format="json",
    )

    [result] = response.json()["results"]
    assert result["status"] == "invalid"
    assert "base_version" in result["error"]["fields"]


def test_a_push_never_reaches_another_drivers_objects(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    car = baker.make(Vehicle, user=other_driver, year=2012, nickname="theirs")
    operations = [
        {
            "op": "update",
            "type": "vehicle",
            "id": str(car.pk),
            "base_version": version(car.pk),
            "data": {"nickname": "x"},
        },
        {"op": "delete", "type": "vehicle", "id": str(car.pk), "base_version": version(car.pk)},
    ]

    response = client_for(driver).post(PUSH, {"operations": operations}, format="json")

    assert [result["status"] for result in response.json()["results"]] == ["not_found", "not_found"]
    assert all(result["data"] is None for result in response.json()["results"])
    car.refresh_from_db()
    assert car.nickname == "theirs"


def test_an_operation_on_a_type_that_takes_no_push_is_invalid(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(
        PUSH,
        {"operations": [{"op": "create", "type": "warning_light", "id": str(uuid.uuid4()), "data": {}}]},
        format="json",
    )

    [result] = response.json()["results"]
    assert result["status"] == "invalid"
    assert "op" in result["error"]["fields"]


def test_a_retried_push_changes_nothing_and_answers_ok(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    car = baker.make(Vehicle, user=driver, year=2012)
    gone = baker.make(Vehicle, user=driver, year=2013)
    new_id = str(uuid.uuid4())
    operations = [
        {"op": "create", "type": "vehicle", "id": new_id, "data": CAR},
        {
            "op": "update",
            "type": "vehicle",
            "id": str(car.pk),
            "base_version": version(car.pk),
            "data": {"odometer_km": 5},
        },
        {"op": "delete", "type": "vehicle", "id": str(gone.pk), "base_version": version(gone.pk)},
    ]
    first = client.post(PUSH, {"operations": operations}, format="json").json()["results"]
    after_first = {change.object_id: change.version for change in SyncChange.objects.all()}

    second = client.post(PUSH, {"operations": operations}, format="json").json()["results"]

    assert [result["status"] for result in first] == [result["status"] for result in second] == ["ok", "ok", "ok"]
    assert {change.object_id: change.version for change in SyncChange.objects.all()} == after_first
    assert Vehicle.objects.filter(user=driver).count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite takes the write lock at BEGIN (IMMEDIATE), so writers never overlap and there is no race to test",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("url", "body", "model"), [(VEHICLES, CAR, Vehicle), (MAINTENANCE, JOB, MaintenanceRecord)])
def test_racing_creates_with_one_client_id_make_one_object(
    driver: User, client_for: Callable[[User], APIClient], url: str, body: dict[str, Any], model: Any
) -> None:
    chosen = str(uuid.uuid4())
    racers = 6
    start = threading.Barrier(racers)
    answers: list[tuple[int, str]] = []

    def post(api: APIClient) -> None:
        try:
            start.wait()
            response = api.post(url, {**body, "id": chosen}, format="json")
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client_for(driver),)) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in answers) == [HTTPStatus.OK] * (racers - 1) + [HTTPStatus.CREATED]
    assert {object_id for _, object_id in answers} == {chosen}
    assert model.objects.filter(user=driver).count() == 1
