"""The issue's story, through the API only: a month of fill-ups and repairs, its cost per km and fuel economy,
a receipt, the export, and a LubeLogger import."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from maintenance.models import Attachment, FuelEntry, MaintenanceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storages["private"])


def test_a_month_in_the_garage(driver: User, client_for: Callable[[User], APIClient]) -> None:
    api = client_for(driver)
    car = api.post(
        "/api/v1/vehicles", {"make": "Honda", "model": "Accord", "year": 2003, "vin": "1HGCM82633A004352"}
    ).json()
    assert car["vin_info"]["manufacturer"] == "Honda"

    def fill(day: int, km: int, litres: str, cost: str) -> None:
        response = api.post(
            "/api/v1/fuel",
            {
                "vehicle": car["id"],
                "filled_on": f"2026-05-{day:02d}",
                "odometer_km": km,
                "litres": litres,
                "total_cost": cost,
            },
        )
        assert response.status_code == HTTPStatus.CREATED, response.json()

    fill(1, 1_000, "45", "37000")
    fill(10, 1_500, "35", "29000")
    job = api.post(
        "/api/v1/maintenance",
        {"vehicle": car["id"], "maintenance_type": "corrective", "title": "Brake pads", "scheduled_date": "2026-05-15"},
    ).json()
    done = api.post(
        f"/api/v1/maintenance/{job['id']}/complete",
        {"completed_date": "2026-05-15", "odometer": 1_700, "cost": "40000"},
    )
    assert done.status_code == HTTPStatus.OK, done.json()
    fill(20, 2_000, "36", "30000")
    receipt = api.post(
        f"/api/v1/maintenance/{job['id']}/attachments",
        {"file": SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%%EOF\n")},
        format="multipart",
    )
    assert receipt.status_code == HTTPStatus.CREATED

    costs = api.get(f"/api/v1/vehicles/{car['id']}/costs", {"from": "2026-05-01", "to": "2026-05-31"}).json()
    economy = api.get(f"/api/v1/vehicles/{car['id']}/fuel-economy").json()
    assert (costs["total"], costs["distance_km"], costs["cost_per_km"]) == ("136000.00", 1_000, "136.0000")
    assert economy["average"]["l_per_100km"] == "7.10"  # 71 L over 1,000 km
    assert api.get("/api/v1/export/fuel.csv").status_code == HTTPStatus.OK

    lubelogger = (
        "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n"
        "6/1/2026,2500,35,29000,0,True,False,,\n"
    )
    upload = SimpleUploadedFile("gas.csv", lubelogger.encode())
    imported = api.post(
        f"/api/v1/vehicles/{car['id']}/import", {"file": upload, "kind": "fuel", "commit": "true"}, format="multipart"
    )
    assert imported.status_code == HTTPStatus.CREATED, imported.json()
    assert FuelEntry.objects.filter(user=driver).count() == 4
    assert MaintenanceRecord.objects.get(pk=job["id"]).attachments.count() == 1
    assert api.get(f"/api/v1/vehicles/{car['id']}").json()["odometer_km"] == 2_500
