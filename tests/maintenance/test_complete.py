"""POST /api/v1/maintenance/{id}/complete: the rules, the odometer and the next occurrence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from maintenance.models import MaintenanceRecord, Notification
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db


def complete_url(record: MaintenanceRecord) -> str:
    return f"/api/v1/maintenance/{record.pk}/complete"


def test_completing_marks_the_record_done_and_keeps_the_findings(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, days_from_today=-2, notes="Check engine light: O2 sensor")
    reminder = baker.make(Notification, user=driver, maintenance_record=record, kind="maintenance_due", title="Due")

    response = client_for(driver).post(
        complete_url(record), {"odometer": 50_500, "cost": "18000.50", "notes": "Replaced the sensor."}
    )

    assert response.status_code == HTTPStatus.OK, response.json()
    body = response.json()
    assert body["completed"]["status"] == "completed"
    assert body["next"] is None
    record.refresh_from_db()
    assert record.completed_date == today_for(driver)
    assert record.reminder_status == "completed"
    assert (record.odometer_km, record.cost) == (50_500, Decimal("18000.50"))
    assert record.notes == "Check engine light: O2 sensor\n\nReplaced the sensor."
    reminder.refresh_from_db()
    assert reminder.is_read
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_500


def test_a_monthly_job_recurs_by_calendar_month_clamped_to_the_month_end(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_months=6, maintenance_type="preventive")

    response = client_for(driver).post(complete_url(record), {"completed_date": "2024-08-31"})

    assert response.status_code == HTTPStatus.OK
    following = MaintenanceRecord.objects.get(previous=record)
    assert following.scheduled_date == date(2025, 2, 28)
    assert (following.title, following.vehicle, following.maintenance_type) == ("Oil change", vehicle, "preventive")
    assert (following.recurrence_months, following.reminder_status, following.completed_date) == (6, "pending", None)
    assert response.json()["next"]["id"] == str(following.pk)
    assert response.json()["completed"]["next_record"] == str(following.pk)


def test_a_mileage_job_without_history_assumes_15000_km_a_year(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_km=10_000)
    done_on = today_for(driver) - timedelta(days=1)

    client_for(driver).post(complete_url(record), {"completed_date": done_on.isoformat(), "odometer": 52_000})

    following = MaintenanceRecord.objects.get(previous=record)
    # 10,000 km at 15,000 km a year is 243.3 days: the job is planned on day 244.
    assert following.scheduled_date == done_on + timedelta(days=244)
    assert following.due_odometer_km == 62_000
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 52_000


def test_a_mileage_job_follows_the_cars_own_pace(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    done_on = today_for(driver)
    make_record(driver, vehicle=vehicle, odometer_km=45_000, completed_date=done_on - timedelta(days=100))
    record = make_record(driver, vehicle=vehicle, recurrence_km=10_000)

    client_for(driver).post(complete_url(record), {"odometer": 55_000})

    # 10,000 km in 100 days is 100 km a day, so the next 10,000 km take 100 days.
    following = MaintenanceRecord.objects.get(previous=record)
    assert following.scheduled_date == done_on + timedelta(days=100)
    assert following.due_odometer_km == 65_000


@pytest.mark.parametrize(
    ("km_driven_in_100_days", "expected_days"),
    [
        (10_000, 100),  # 100 km a day: 10,000 km come before six months
        (2_000, None),  # 20 km a day: six months come first
    ],
)
def test_months_or_km_whichever_comes_first(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    km_driven_in_100_days: int,
    expected_days: int | None,
) -> None:
    done_on = date(2025, 1, 15)
    make_record(driver, vehicle=vehicle, odometer_km=40_000, completed_date=done_on - timedelta(days=100))
    vehicle.odometer_km = 40_000
    vehicle.save()
    record = make_record(driver, vehicle=vehicle, recurrence_months=6, recurrence_km=10_000)

    client_for(driver).post(
        complete_url(record), {"completed_date": done_on.isoformat(), "odometer": 40_000 + km_driven_in_100_days}
    )

    following = MaintenanceRecord.objects.get(previous=record)
    expected = done_on + timedelta(days=expected_days) if expected_days else date(2025, 7, 15)
    assert following.scheduled_date == expected
    assert following.due_odometer_km == 50_000 + km_driven_in_100_days


def test_without_a_reading_the_km_target_counts_from_the_cars_last_known_one(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_months=6, recurrence_km=10_000)

    client_for(driver).post(complete_url(record), {})

    assert MaintenanceRecord.objects.get(previous=record).due_odometer_km == 60_000


def test_completing_twice_is_a_conflict_and_schedules_one_next_record(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_months=6)
    client = client_for(driver)

    first = client.post(complete_url(record), {})
    second = client.post(complete_url(record), {"cost": "10.00"})

    assert first.status_code == HTTPStatus.OK
    assert second.status_code == HTTPStatus.CONFLICT
    assert second.json()["error"]["code"] == "already_completed"
    assert MaintenanceRecord.objects.filter(previous=record).count() == 1
    record.refresh_from_db()
    assert record.cost is None


def test_a_lower_odometer_reading_is_refused_with_a_clear_message(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_km=10_000)

    response = client_for(driver).post(complete_url(record), {"odometer": 49_999})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert list(error["fields"]) == ["odometer"]
    assert "49,999 km is lower than this vehicle's last known reading of 50,000 km" in error["message"]
    record.refresh_from_db()
    vehicle.refresh_from_db()
    assert (record.completed_date, vehicle.odometer_km) == (None, 50_000)
    assert not MaintenanceRecord.objects.filter(previous=record).exists()


def test_a_french_request_is_refused_in_french(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle, recurrence_km=10_000)
    tomorrow = today_for(driver) + timedelta(days=1)

    response = client_for(driver).post(
        complete_url(record),
        {"odometer": 49_999, "completed_date": tomorrow.isoformat()},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    fields = response.json()["error"]["fields"]
    # French groups digits with a (narrow) no-break space, not a comma.
    assert "est inférieur au dernier relevé connu de ce véhicule" in fields["odometer"][0]
    assert "49,999" not in fields["odometer"][0]
    assert fields["completed_date"] == [
        f"La date de réalisation ne peut pas être dans le futur (nous sommes le {today_for(driver):%Y-%m-%d})."
    ]
    record.refresh_from_db()
    assert record.completed_date is None


def test_the_same_reading_is_accepted_and_the_odometer_never_goes_back(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle)

    response = client_for(driver).post(complete_url(record), {"odometer": 50_000})

    assert response.status_code == HTTPStatus.OK
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_000


def test_a_completed_date_in_the_future_is_refused(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver)
    tomorrow = today_for(driver) + timedelta(days=1)

    response = client_for(driver).post(complete_url(record), {"completed_date": tomorrow.isoformat()})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["completed_date"]
    record.refresh_from_db()
    assert record.completed_date is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"cost": "-0.01"}, "cost"), ({"odometer": -5}, "odometer"), ({"completed_date": "x"}, "completed_date")],
)
def test_bad_completion_input_is_refused(
    driver: User, client_for: Callable[[User], APIClient], payload: dict[str, object], field: str
) -> None:
    record = make_record(driver)

    response = client_for(driver).post(complete_url(record), payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]
    record.refresh_from_db()
    assert record.completed_date is None
