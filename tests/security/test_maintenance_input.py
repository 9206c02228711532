"""Maintenance input is bounded, the odometer never goes backwards, and edits never undo each other
(issue 14, defects 5, 6, 14 and 16)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from accounts.services import vehicle_update
from maintenance.models import MaintenanceRecord
from maintenance.services import maintenance_complete, maintenance_update
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/maintenance"
TOKEN_URL = "/api/v1/maintenance/calendar-token"


def plan(**fields: object) -> dict[str, object]:
    return {"maintenance_type": "scheduled", "title": "Oil change", "scheduled_date": "2027-03-01", **fields}


# --- Defect 5: dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "0001-01-01"])
def test_a_date_outside_the_sane_range_is_refused(
    day: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(RECORDS, plan(scheduled_date=day))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["scheduled_date"]
    assert not MaintenanceRecord.objects.exists()


def test_a_completed_date_outside_the_range_is_refused(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver)

    response = client_for(driver).post(f"{RECORDS}/{record.pk}/complete", {"completed_date": "1800-01-01"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    record.refresh_from_db()
    assert record.completed_date is None


def test_one_record_the_feed_cannot_write_does_not_break_the_feed(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    make_record(driver, title="Tyres")
    # Stored before the bound existed (or by raw SQL): the feed must still answer.
    make_record(driver, title="Far away", scheduled_date=date(9999, 12, 31))
    feed_url = client_for(driver).post(TOKEN_URL).json()["feed_url"]
    path, _, query = feed_url.partition("?")

    response = api_client.get(path.replace("http://testserver", ""), {"token": query.split("=", 1)[1]})

    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "SUMMARY:Tyres" in body
    assert "Far away" not in body


# --- Defect 6: free text ---------------------------------------------------------------------------------


def test_notes_are_bounded(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(RECORDS, plan(notes="x" * 2_000_000))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["notes"]
    assert not MaintenanceRecord.objects.exists()


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u0000", "\u2066", "\ufeff", "\u0007"])
def test_invisible_and_control_characters_are_refused_in_names(
    char: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    title = client.post(RECORDS, plan(title=f"Oil{char} change"))
    nickname = client.post("/api/v1/vehicles", {"make": "Kia", "model": "Rio", "year": 2019, "nickname": f"a{char}b"})
    name = client.patch("/api/v1/me", {"full_name": f"Ada{char}Lovelace"})

    for response, field in [(title, "title"), (nickname, "nickname"), (name, "full_name")]:
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert list(response.json()["error"]["fields"]) == [field]
        if char != "\u0000":  # DRF's own message names the null character in words
            assert f"U+{ord(char):04X}" in response.json()["error"]["fields"][field][0]
    assert not MaintenanceRecord.objects.exists()
    assert not Vehicle.objects.exists()


def test_ordinary_text_with_accents_emoji_and_line_breaks_is_kept(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    notes = "Vidange faite à Douala 👨\u200d🔧\nfiltre changé\tOK"

    response = client_for(driver).post(RECORDS, plan(title="Révision", notes=notes))

    assert response.status_code == HTTPStatus.CREATED
    assert MaintenanceRecord.objects.get().notes == notes


# --- Defect 14: the odometer and racing edits ------------------------------------------------------------


def test_the_odometer_cannot_go_backwards(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = Vehicle.objects.create(user=driver, make="Toyota", model="Hilux", year=2010, odometer_km=500_000)

    response = client_for(driver).patch(f"/api/v1/vehicles/{car.pk}", {"odometer_km": 3})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["odometer_km"]
    car.refresh_from_db()
    assert car.odometer_km == 500_000
    forward = client_for(driver).patch(f"/api/v1/vehicles/{car.pk}", {"odometer_km": 500_100})
    assert forward.status_code == HTTPStatus.OK


def test_a_nickname_edit_from_a_stale_copy_keeps_the_odometer_a_completion_moved(driver: User) -> None:
    car = Vehicle.objects.create(user=driver, make="Toyota", model="Hilux", year=2010, odometer_km=50_000)
    stale = Vehicle.objects.get(pk=car.pk)  # what the PATCH read at the start of its request
    record = make_record(driver, vehicle=car, days_from_today=-1)
    maintenance_complete(record=record, odometer=61_000)

    vehicle_update(vehicle=stale, nickname="Workhorse")

    car.refresh_from_db()
    assert (car.nickname, car.odometer_km) == ("Workhorse", 61_000)


def test_a_title_edit_from_a_stale_copy_keeps_what_the_completion_added(driver: User) -> None:
    record = make_record(driver, days_from_today=-1)
    stale = MaintenanceRecord.objects.get(pk=record.pk)
    maintenance_complete(record=record, cost=Decimal("45.00"), notes="Filter replaced")

    maintenance_update(record=stale, title="Oil and filter")

    record.refresh_from_db()
    assert record.title == "Oil and filter"
    assert record.cost == Decimal("45.00")
    assert record.notes == "Filter replaced"
    assert record.completed_date is not None


def test_a_title_patch_through_the_api_leaves_the_other_fields(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, cost=Decimal("12.50"), notes="keep me")

    response = client_for(driver).patch(f"{RECORDS}/{record.pk}", {"title": "New title"})

    assert response.status_code == HTTPStatus.OK
    record.refresh_from_db()
    assert (record.title, record.cost, record.notes) == ("New title", Decimal("12.50"), "keep me")


@pytest.mark.django_db(transaction=True)
def test_racing_nickname_edits_and_completions_never_lose_the_odometer(driver: User) -> None:
    import threading

    from django.db import connection

    car = Vehicle.objects.create(user=driver, make="Toyota", model="Hilux", year=2010, odometer_km=10_000)
    records = [make_record(driver, vehicle=car, days_from_today=-1, title=f"Job {n}") for n in range(6)]
    errors: list[BaseException] = []

    def complete(n: int) -> None:
        try:
            maintenance_complete(record=records[n], odometer=10_000 + (n + 1) * 1000)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def rename(n: int) -> None:
        try:
            vehicle_update(vehicle=Vehicle.objects.get(pk=car.pk), nickname=f"Name {n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(6) for target in (complete, rename)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Completions refuse readings below the car's current one, so only some land; none may be undone.
    assert all("Odometers only go forward" in str(error) for error in errors), errors
    car.refresh_from_db()
    highest = max(r.odometer_km or 0 for r in MaintenanceRecord.objects.filter(completed_date__isnull=False))
    assert car.odometer_km == highest


# --- Defect 16: schedules that cannot be scheduled --------------------------------------------------------


def test_a_pace_that_would_overflow_the_next_date_is_a_400_and_nothing_is_written(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    car = Vehicle.objects.create(user=driver, make="Toyota", model="Hilux", year=2010, odometer_km=0)
    make_record(driver, vehicle=car, completed_date=date(2000, 1, 1), odometer_km=0, scheduled_date=date(2000, 1, 1))
    record = make_record(driver, vehicle=car, days_from_today=-1, recurrence_km=1_000_000)

    response = client_for(driver).post(f"{RECORDS}/{record.pk}/complete", {"odometer": 100})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    record.refresh_from_db()
    assert record.completed_date is None
    car.refresh_from_db()
    assert car.odometer_km == 0
    assert MaintenanceRecord.objects.filter(previous=record).count() == 0


def test_a_slow_but_schedulable_pace_is_clamped_not_refused(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    car = Vehicle.objects.create(user=driver, make="Toyota", model="Hilux", year=2010, odometer_km=0)
    today = today_for(driver)
    make_record(driver, vehicle=car, completed_date=today - timedelta(days=3650), odometer_km=0)
    record = make_record(driver, vehicle=car, days_from_today=-1, recurrence_km=1000)

    response = client_for(driver).post(f"{RECORDS}/{record.pk}/complete", {"odometer": 1})

    assert response.status_code == HTTPStatus.OK
    nxt = MaintenanceRecord.objects.get(previous=record)
    # 1 km in ten years would put it 27,000 years away; the floor of 100 km a year gives ten years.
    assert nxt.scheduled_date == today + timedelta(days=3650)
