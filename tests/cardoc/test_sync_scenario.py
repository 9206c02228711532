"""The issue's story: one driver's two phones go offline, edit (one edit clashes), come back, retry, converge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from benchmarks.sync_soak import Phone, server_state
from cardoc.models import SyncChange
from catalog.models import WarningLight
from maintenance.models import MaintenanceRecord

pytestmark = pytest.mark.django_db

JOB = {"maintenance_type": "scheduled", "title": "Oil change", "scheduled_date": "2031-01-15"}


def test_two_offline_phones_converge_without_duplicates_or_lost_changes(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    baker.make(WarningLight, code="abs", name="ABS", severity="moderate")
    theirs = baker.make(Vehicle, user=other_driver, year=2010)
    home, garage = Phone(client_for(driver), "home"), Phone(client_for(driver), "garage")
    car = home.create("vehicle", {"make": "Toyota", "model": "Corolla", "year": 2014})
    brakes = home.create("maintenance", {**JOB, "title": "Brakes", "vehicle": car})
    tyres = home.create("maintenance", {**JOB, "title": "Tyres", "vehicle": car})
    home.push()
    for phone in (home, garage):
        phone.pull()
    assert home.snapshot() == garage.snapshot()

    # Offline, both edit the brakes job; the garage phone also logs a new repair, the home phone deletes
    # the tyres job and renames the car.
    home.update("maintenance", brakes, {"title": "Brakes and discs"})
    home.delete("maintenance", tyres)
    home.update("vehicle", car, {"nickname": "Daily"})
    garage.update("maintenance", brakes, {"notes": "Pads at 2 mm"})
    repair = garage.create("maintenance", {**JOB, "maintenance_type": "corrective", "title": "Wipers", "vehicle": car})

    # Home comes back first; each pushes twice (the first answer is lost), then pulls to the end.
    home_results = home.push()
    garage_results = garage.push()
    for phone in (home, garage):
        phone.pull()

    assert [result["status"] for result in home_results] == ["ok", "ok", "ok"]
    assert [result["status"] for result in garage_results] == ["conflict", "ok"]
    assert garage.conflicts == [("maintenance", brakes)], "the phone that lost was told"
    assert home.conflicts == []
    assert home.snapshot() == garage.snapshot() == server_state(client_for(driver))
    # No duplicates: every create happened once, whatever the retries.
    assert MaintenanceRecord.objects.filter(user=driver).count() == 2
    assert Vehicle.objects.filter(user=driver).count() == 1
    # No change lost: each accepted edit is on the server and on both phones; the refused one is not.
    assert MaintenanceRecord.objects.get(pk=brakes).title == "Brakes and discs"
    assert MaintenanceRecord.objects.get(pk=brakes).notes == ""
    assert not MaintenanceRecord.objects.filter(pk=tyres).exists()
    assert MaintenanceRecord.objects.get(pk=repair).title == "Wipers"
    assert Vehicle.objects.get(pk=car).nickname == "Daily"
    assert home.store[("maintenance", brakes)]["title"] == garage.store[("maintenance", brakes)]["title"]
    # The catalog came along, and nothing of the other driver's did.
    assert any(kind == "warning_light" for kind, _ in home.store)
    assert ("vehicle", str(theirs.pk)) not in home.store
    assert SyncChange.objects.filter(object_id=tyres, deleted=True).exists()
