"""POST /api/v1/diagnostics/{id}/maintenance: a finished diagnosis becomes a repair item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle
from diagnostics.models import DiagnosticRecord
from maintenance.models import MaintenanceRecord
from tests.maintenance.conftest import make_diagnostic, make_light, make_sound, today_for

pytestmark = pytest.mark.django_db


def url(diagnostic: DiagnosticRecord) -> str:
    return f"/api/v1/diagnostics/{diagnostic.pk}/maintenance"


@pytest.mark.parametrize(("urgency", "days"), [("immediate", 0), ("soon", 7), ("monitoring", 30)])
def test_the_repair_date_follows_the_urgency(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient], urgency: str, days: int
) -> None:
    light = make_light("check_engine", "Check engine light")
    diagnostic = make_diagnostic(driver, urgency=urgency, vehicle=vehicle, lights=[(light, 0.9)])

    response = client_for(driver).post(url(diagnostic))

    assert response.status_code == HTTPStatus.CREATED, response.json()
    record = MaintenanceRecord.objects.get(pk=response.json()["id"])
    assert record.scheduled_date == today_for(driver) + timedelta(days=days)
    assert (record.diagnostic, record.vehicle, record.user) == (diagnostic, vehicle, driver)
    assert (record.maintenance_type, record.reminder_status) == ("corrective", "pending")
    assert response.json()["diagnostic"] == str(diagnostic.pk)


def test_the_title_and_notes_come_from_the_findings(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    oil = make_light(
        "oil_pressure",
        "Oil pressure warning",
        causes=["Low engine oil level", "Worn oil pump"],
        repairs=["Top up the oil", "Measure the oil pressure"],
    )
    knock = make_sound("rod_knock", "Rod knock", causes=["Worn bearings"])
    idle = make_sound("normal_idle", "Healthy engine idle", severity="normal")
    diagnostic = make_diagnostic(
        driver,
        urgency="immediate",
        vehicle=vehicle,
        lights=[(oil, 0.92), (oil, 0.40)],
        sounds=[(knock, 0.71), (idle, 0.99)],
    )

    response = client_for(driver).post(url(diagnostic))

    record = MaintenanceRecord.objects.get(pk=response.json()["id"])
    assert record.title == "Repair: Oil pressure warning, Rod knock"
    assert "urgency: immediate" in record.notes
    assert "Oil pressure warning (detected with 92% confidence)" in record.notes
    assert "Likely causes: Low engine oil level; Worn oil pump" in record.notes
    assert "Suggested repairs: Top up the oil; Measure the oil pressure" in record.notes
    assert "Rod knock (detected with 71% confidence)\nLikely causes: Worn bearings" in record.notes
    assert "Healthy engine idle" not in record.notes
    assert record.notes.count("Oil pressure warning") == 1


def test_a_diagnosis_without_faults_becomes_a_check_up(driver: User, client_for: Callable[[User], APIClient]) -> None:
    diagnostic = make_diagnostic(driver, urgency="monitoring")

    response = client_for(driver).post(url(diagnostic))

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["title"] == "Check-up after your dashboard scan"
    assert response.json()["vehicle"] is None


def test_the_date_is_today_in_the_drivers_time_zone(driver: User, client_for: Callable[[User], APIClient]) -> None:
    UserProfile.objects.filter(user=driver).update(timezone="Pacific/Kiritimati")
    driver.refresh_from_db()
    diagnostic = make_diagnostic(driver, urgency="immediate")

    response = client_for(driver).post(url(diagnostic))

    assert response.json()["scheduled_date"] == today_for(driver).isoformat()


def test_calling_again_returns_the_same_repair_item(driver: User, client_for: Callable[[User], APIClient]) -> None:
    diagnostic = make_diagnostic(driver, urgency="soon", lights=[(make_light("abs", "ABS warning"), 0.8)])
    client = client_for(driver)

    first = client.post(url(diagnostic))
    second = client.post(url(diagnostic))

    assert (first.status_code, second.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert first.json()["id"] == second.json()["id"]
    assert MaintenanceRecord.objects.filter(diagnostic=diagnostic).count() == 1


@pytest.mark.parametrize("status", ["pending", "in_progress", "failed"])
def test_an_unfinished_diagnosis_is_a_conflict(
    driver: User, client_for: Callable[[User], APIClient], status: str
) -> None:
    diagnostic = make_diagnostic(driver, status=status, with_result=False)

    response = client_for(driver).post(url(diagnostic))

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "diagnostic_not_completed"
    assert not MaintenanceRecord.objects.exists()


def test_a_completed_diagnosis_without_a_result_is_a_conflict(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    diagnostic = make_diagnostic(driver, with_result=False)

    response = client_for(driver).post(url(diagnostic))

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "diagnostic_without_result"


def test_another_drivers_diagnosis_is_not_found(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    theirs = make_diagnostic(other_driver, lights=[(make_light("abs", "ABS warning"), 0.8)])

    response = client_for(driver).post(url(theirs))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"
    assert not MaintenanceRecord.objects.exists()


def test_anonymous_callers_get_401(driver: User, api_client: APIClient) -> None:
    diagnostic = make_diagnostic(driver)

    assert api_client.post(url(diagnostic)).status_code == HTTPStatus.UNAUTHORIZED
    assert not MaintenanceRecord.objects.exists()
