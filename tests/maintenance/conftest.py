"""Fixtures for the maintenance tests: cars, planned jobs and finished diagnoses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

import pytest
from model_bakery import baker

from accounts.models import User, Vehicle
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from maintenance.dates import local_today
from maintenance.models import MaintenanceRecord


@pytest.fixture
def vehicle(driver: User) -> Vehicle:
    return baker.make(
        Vehicle, user=driver, make="Toyota", model="Corolla", year=2018, odometer_km=50_000, nickname="Corolla"
    )


@pytest.fixture
def other_vehicle(other_driver: User) -> Vehicle:
    return baker.make(Vehicle, user=other_driver, make="Honda", model="Civic", year=2016, odometer_km=90_000)


def today_for(user: User) -> date:
    return local_today(user)


def make_record(user: User, *, days_from_today: int = 10, **fields: object) -> MaintenanceRecord:
    values: dict[str, object] = {
        "maintenance_type": MaintenanceRecord.Type.SCHEDULED,
        "title": "Oil change",
        "scheduled_date": today_for(user) + timedelta(days=days_from_today),
        "reminder_status": MaintenanceRecord.ReminderStatus.PENDING,
        "notes": "",
    }
    if fields.get("completed_date"):
        values["reminder_status"] = MaintenanceRecord.ReminderStatus.COMPLETED
    return baker.make(MaintenanceRecord, user=user, **(values | fields))


@pytest.fixture
def record_for() -> Callable[..., MaintenanceRecord]:
    return make_record


def make_light(code: str, name: str, *, causes: Iterable[str] = (), repairs: Iterable[str] = ()) -> WarningLight:
    return baker.make(
        WarningLight,
        code=code,
        name=name,
        severity="critical",
        colour="red",
        common_causes=list(causes),
        repair_suggestions=list(repairs),
    )


def make_sound(code: str, name: str, *, severity: str = "moderate", causes: Iterable[str] = ()) -> EngineSound:
    return baker.make(
        EngineSound,
        code=code,
        name=name,
        sound_type="knocking",
        severity=severity,
        frequency_low_hz=100,
        frequency_high_hz=900,
        common_causes=list(causes),
        repair_suggestions=["Have the engine inspected"],
    )


def make_diagnostic(
    user: User,
    *,
    urgency: str = "immediate",
    status: str = "completed",
    vehicle: Vehicle | None = None,
    lights: Iterable[tuple[WarningLight, float]] = (),
    sounds: Iterable[tuple[EngineSound, float]] = (),
    with_result: bool = True,
) -> DiagnosticRecord:
    diagnostic = baker.make(
        DiagnosticRecord, user=user, vehicle=vehicle, diagnostic_type="dashboard_scan", status=status
    )
    if with_result:
        result = baker.make(DiagnosticResult, record=diagnostic, overall_confidence=0.9, urgency=urgency)
        for light, confidence in lights:
            baker.make(Detection, result=result, warning_light=light, engine_sound=None, confidence=confidence)
        for sound, confidence in sounds:
            baker.make(Detection, result=result, engine_sound=sound, warning_light=None, confidence=confidence)
    return diagnostic
