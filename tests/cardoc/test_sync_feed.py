"""GET /api/v1/sync/changes: the change feed a phone pulls to keep its offline copy."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import SyncChange, SyncCounter
from cardoc.sync import cursor_encode
from cardoc.tasks import prune_sync_tombstones
from catalog.models import WarningLight
from maintenance.models import MaintenanceRecord
from tests.conftest import RLS_QUERIES

pytestmark = pytest.mark.django_db

FEED = "/api/v1/sync/changes"
VEHICLES = "/api/v1/vehicles"
CAR = {"make": "Toyota", "model": "Corolla", "year": 2014}


def pull_all(client: APIClient, cursor: str = "", limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    entries: list[dict[str, Any]] = []
    while True:
        response = client.get(FEED, {"cursor": cursor, "limit": limit})
        assert response.status_code == HTTPStatus.OK, response.content
        entries += response.json()["entries"]
        cursor = response.json()["cursor"]
        if not response.json()["has_more"]:
            return entries, cursor


def test_anonymous_callers_are_refused(api_client: APIClient) -> None:
    response = api_client.get(FEED)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


def test_it_lists_the_drivers_new_car_with_its_version(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    car = client.post(VEHICLES, CAR).json()

    entries, _ = pull_all(client)

    mine = [entry for entry in entries if entry["type"] == "vehicle"]
    assert mine == [
        {
            "type": "vehicle",
            "id": car["id"],
            "version": SyncChange.objects.get(object_id=car["id"]).version,
            "deleted": False,
            "data": car | {"updated_at": mine[0]["data"]["updated_at"]},
        }
    ]


def test_it_never_shows_another_drivers_changes(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    theirs = client_for(other_driver).post(VEHICLES, CAR).json()
    client_for(other_driver).delete(f"{VEHICLES}/{theirs['id']}")
    baker.make(
        MaintenanceRecord, user=other_driver, maintenance_type="scheduled", title="Oil", scheduled_date="2030-01-01"
    )

    entries, _ = pull_all(client_for(driver))

    assert {entry["type"] for entry in entries} <= {"warning_light", "engine_sound", "tutorial", "service", "mechanic"}
    assert theirs["id"] not in {entry["id"] for entry in entries}


def test_staff_see_only_their_own_changes_in_the_feed(
    staff: User, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    car = client_for(driver).post(VEHICLES, CAR).json()

    entries, _ = pull_all(client_for(staff))

    assert car["id"] not in {entry["id"] for entry in entries}


def test_a_deleted_car_comes_back_as_a_tombstone(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    car = client.post(VEHICLES, CAR).json()
    _, cursor = pull_all(client)

    client.delete(f"{VEHICLES}/{car['id']}")
    entries, _ = pull_all(client, cursor)

    assert entries == [
        {"type": "vehicle", "id": car["id"], "version": entries[0]["version"], "deleted": True, "data": None}
    ]
    assert not Vehicle.objects.filter(pk=car["id"]).exists()


def test_the_catalog_is_in_every_feed_and_staff_edits_reach_it(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    light = baker.make(WarningLight, code="oil-pressure", name="Oil pressure", severity="critical")
    client = client_for(driver)
    entries, cursor = pull_all(client)
    assert str(light.pk) in {entry["id"] for entry in entries if entry["type"] == "warning_light"}

    light.name = "Low oil pressure"
    light.save()
    entries, _ = pull_all(client, cursor)

    assert [(entry["type"], entry["data"]["name"]) for entry in entries] == [("warning_light", "Low oil pressure")]


def test_paging_while_writes_happen_loses_nothing_and_repeats_nothing(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    made = [client.post(VEHICLES, {**CAR, "nickname": f"car {n}"}).json()["id"] for n in range(5)]
    seen: list[tuple[str, int]] = []
    cursor = ""
    for step in range(12):
        page = client.get(FEED, {"cursor": cursor, "limit": 2}).json()
        seen += [(entry["id"], entry["version"]) for entry in page["entries"] if entry["type"] == "vehicle"]
        cursor = page["cursor"]
        # Between pages: a new car, an edit of one already read, and (once) a deletion.
        if step < 4:
            made.append(client.post(VEHICLES, {**CAR, "nickname": f"new {step}"}).json()["id"])
            client.patch(f"{VEHICLES}/{made[step]}", {"odometer_km": 1000 + step}, format="json")
        if step == 4:
            client.delete(f"{VEHICLES}/{made[0]}")
        if not page["has_more"] and step >= 5:
            break

    assert len(seen) == len(set(seen)), "an (object, version) came twice"
    final = {change.object_id.hex: change.version for change in SyncChange.objects.filter(kind="vehicle")}
    latest_seen = {uuid.UUID(object_id).hex: version for object_id, version in seen}
    assert latest_seen == final, "the last version of every car reached the phone"


def test_two_changes_in_one_transaction_get_distinct_versions(driver: User) -> None:
    first = baker.make(Vehicle, user=driver, year=2010)
    second = baker.make(Vehicle, user=driver, year=2011)

    versions = list(SyncChange.objects.filter(object_id__in=[first.pk, second.pk]).values_list("version", flat=True))

    assert len(set(versions)) == 2


@pytest.mark.parametrize("cursor", ["garbage", "djE6LTU", "eHg6MTI"])
def test_a_malformed_cursor_is_a_400(driver: User, client_for: Callable[[User], APIClient], cursor: str) -> None:
    response = client_for(driver).get(FEED, {"cursor": cursor})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"cursor": ["This is not a cursor this server issued."]}


def test_a_bad_limit_is_a_400(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).get(FEED, {"limit": 0})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "limit" in response.json()["error"]["fields"]


def test_old_tombstones_are_pruned_and_a_cursor_before_them_gets_a_410(
    driver: User, client_for: Callable[[User], APIClient], settings: Any
) -> None:
    client = client_for(driver)
    car = client.post(VEHICLES, CAR).json()
    _, before = pull_all(client)  # this phone has the car
    client.delete(f"{VEHICLES}/{car['id']}")
    kept = client.post(VEHICLES, CAR).json()
    client.delete(f"{VEHICLES}/{kept['id']}")
    SyncChange.objects.filter(object_id=car["id"]).update(changed_at=timezone.now() - timedelta(days=91))
    _, after = pull_all(client)

    assert prune_sync_tombstones() == 1

    assert not SyncChange.objects.filter(object_id=car["id"]).exists()
    assert SyncChange.objects.filter(object_id=kept["id"], deleted=True).exists()
    expired = client.get(FEED, {"cursor": before})
    assert expired.status_code == HTTPStatus.GONE
    assert expired.json()["error"]["code"] == "cursor_expired"
    assert client.get(FEED, {"cursor": after}).status_code == HTTPStatus.OK
    assert client.get(FEED).status_code == HTTPStatus.OK  # the full resync the 410 asks for


def test_a_cursor_from_another_server_gets_a_410(driver: User, client_for: Callable[[User], APIClient]) -> None:
    # get_or_create: a transactional test elsewhere in the run flushes the row the migration made.
    counter, _ = SyncCounter.objects.get_or_create(name=SyncCounter.NAME)
    future = cursor_encode(counter.value + 100)

    assert client_for(driver).get(FEED, {"cursor": future}).status_code == HTTPStatus.GONE


def test_the_feed_costs_a_constant_number_of_queries(
    driver: User, client_for: Callable[[User], APIClient], django_assert_max_num_queries: Any
) -> None:
    client = client_for(driver)
    for n in range(30):
        client.post(VEHICLES, {**CAR, "nickname": f"car {n}"})
        baker.make(
            MaintenanceRecord, user=driver, maintenance_type="scheduled", title=f"Oil {n}", scheduled_date="2030-1-1"
        )

    # Auth (user, token checks), the counter, the page, then one query per type and its prefetches.
    with django_assert_max_num_queries(12 + RLS_QUERIES):
        response = client.get(FEED, {"limit": 500})

    assert len(response.json()["entries"]) >= 60


def test_sync_backfill_logs_rows_older_than_sync(driver: User) -> None:
    car = baker.make(Vehicle, user=driver, year=2012)
    SyncChange.objects.filter(object_id=car.pk).delete()

    out = StringIO()
    call_command("sync_backfill", stdout=out)

    assert "vehicle: 1" in out.getvalue()
    assert SyncChange.objects.get(object_id=car.pk).owner == driver
