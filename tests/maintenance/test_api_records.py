"""The /api/v1/maintenance CRUD: ownership, validation, the derived status and the filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle
from cardoc.models import AuditEvent
from maintenance.models import MaintenanceRecord, Notification
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/maintenance"


def detail(record: MaintenanceRecord) -> str:
    return f"{LIST}/{record.pk}"


def test_a_driver_plans_a_recurring_oil_change(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    scheduled = today_for(driver) + timedelta(days=30)
    response = client_for(driver).post(
        LIST,
        {
            "vehicle": str(vehicle.pk),
            "maintenance_type": "scheduled",
            "title": "Oil change",
            "scheduled_date": scheduled.isoformat(),
            "recurrence_months": 6,
            "recurrence_km": 10_000,
            "cost": "25000.00",
        },
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    assert body["status"] == "upcoming"
    assert body["reminder_status"] == "pending"
    record = MaintenanceRecord.objects.get(pk=body["id"])
    assert (record.user, record.vehicle, record.scheduled_date) == (driver, vehicle, scheduled)
    assert (record.recurrence_months, record.recurrence_km, record.cost) == (6, 10_000, Decimal(25000))
    assert AuditEvent.objects.filter(user=driver, action="maintenance", details__event="created").exists()


def test_it_refuses_another_drivers_vehicle_naming_the_field(
    driver: User, other_vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(
        LIST,
        {
            "vehicle": str(other_vehicle.pk),
            "maintenance_type": "scheduled",
            "title": "Brakes",
            "scheduled_date": "2030-01-01",
        },
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == ["vehicle"]
    assert not MaintenanceRecord.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cost": "-1.00"}, "cost"),
        ({"maintenance_type": "cosmetic"}, "maintenance_type"),
        ({"title": ""}, "title"),
        ({"scheduled_date": "next tuesday"}, "scheduled_date"),
        ({"recurrence_months": 0}, "recurrence_months"),
        ({"recurrence_km": 5000}, "recurrence_km"),  # a mileage interval without a car to follow
        ({"due_odometer_km": 60000}, "due_odometer_km"),
    ],
)
def test_it_rejects_bad_input_naming_the_field(
    driver: User, client_for: Callable[[User], APIClient], payload: dict[str, object], field: str
) -> None:
    base = {"maintenance_type": "scheduled", "title": "Oil change", "scheduled_date": "2030-01-01"}
    response = client_for(driver).post(LIST, base | payload)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]
    assert not MaintenanceRecord.objects.exists()


def test_it_lists_only_the_drivers_own_records(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    mine = make_record(driver)
    make_record(other_driver)

    response = client_for(driver).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


def test_another_drivers_record_is_not_found_for_every_verb(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    theirs = make_record(other_driver, title="Their brakes")
    client = client_for(driver)

    responses = [
        client.get(detail(theirs)),
        client.patch(detail(theirs), {"title": "Mine now"}),
        client.put(detail(theirs), {"maintenance_type": "scheduled", "title": "x", "scheduled_date": "2030-01-01"}),
        client.delete(detail(theirs)),
        client.post(f"{detail(theirs)}/complete", {}),
    ]

    assert [r.status_code for r in responses] == [HTTPStatus.NOT_FOUND] * 5
    assert all(r.json()["error"]["code"] == "not_found" for r in responses)
    theirs.refresh_from_db()
    assert (theirs.title, theirs.completed_date) == ("Their brakes", None)


def test_anonymous_callers_get_401_everywhere(driver: User, api_client: APIClient) -> None:
    record = make_record(driver)

    responses = [
        api_client.get(LIST),
        api_client.post(LIST, {}),
        api_client.get(detail(record)),
        api_client.patch(detail(record), {}),
        api_client.delete(detail(record)),
        api_client.post(f"{detail(record)}/complete", {}),
    ]

    assert [r.status_code for r in responses] == [HTTPStatus.UNAUTHORIZED] * 6
    assert MaintenanceRecord.objects.filter(pk=record.pk, completed_date=None).exists()


def test_the_owner_reads_updates_and_deletes_a_record(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver)
    client = client_for(driver)

    assert client.get(detail(record)).json()["title"] == "Oil change"
    response = client.patch(detail(record), {"title": "Oil and filter", "vehicle": str(vehicle.pk), "notes": "5W-30"})
    assert response.status_code == HTTPStatus.OK
    record.refresh_from_db()
    assert (record.title, record.vehicle, record.notes) == ("Oil and filter", vehicle, "5W-30")

    assert client.delete(detail(record)).status_code == HTTPStatus.NO_CONTENT
    assert not MaintenanceRecord.objects.filter(pk=record.pk).exists()


def test_completion_fields_cannot_be_written_through_crud(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver)

    client_for(driver).patch(detail(record), {"completed_date": "2020-01-01", "reminder_status": "completed"})

    record.refresh_from_db()
    assert (record.completed_date, record.reminder_status) == (None, "pending")


def test_rescheduling_re_arms_a_sent_reminder(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver, days_from_today=2, reminder_status="sent")
    baker.make(Notification, user=driver, maintenance_record=record, kind="maintenance_due", title="Due soon")
    later = today_for(driver) + timedelta(days=40)

    response = client_for(driver).patch(detail(record), {"scheduled_date": later.isoformat()})

    assert response.status_code == HTTPStatus.OK
    record.refresh_from_db()
    assert (record.reminder_status, record.reminder_sent_at, record.scheduled_date) == ("pending", None, later)
    assert not Notification.objects.filter(maintenance_record=record).exists()


def test_a_title_change_keeps_the_reminder_state(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver, days_from_today=2, reminder_status="sent")
    baker.make(Notification, user=driver, maintenance_record=record, kind="maintenance_due", title="Due soon")

    client_for(driver).patch(detail(record), {"title": "Oil change (synthetic)"})

    record.refresh_from_db()
    assert record.reminder_status == "sent"
    assert Notification.objects.filter(maintenance_record=record).count() == 1


def test_status_is_derived_from_the_dates(driver: User, client_for: Callable[[User], APIClient]) -> None:
    upcoming = make_record(driver, days_from_today=0)
    overdue = make_record(driver, days_from_today=-1)
    completed = make_record(driver, days_from_today=-5, completed_date=today_for(driver) - timedelta(days=4))

    rows = client_for(driver).get(LIST).json()["results"]

    status = {row["id"]: row["status"] for row in rows}
    assert status == {str(upcoming.pk): "upcoming", str(overdue.pk): "overdue", str(completed.pk): "completed"}


def test_status_follows_the_drivers_time_zone(driver: User, client_for: Callable[[User], APIClient]) -> None:
    # Kiritimati (UTC+14) and Niue (UTC-11) are never on the same date, so one of them sees
    # yesterday's job as overdue while the other still sees it as today's or tomorrow's.
    UserProfile.objects.filter(user=driver).update(timezone="Pacific/Kiritimati")
    driver.refresh_from_db()
    kiritimati_today = today_for(driver)
    record = make_record(driver, scheduled_date=kiritimati_today - timedelta(days=1))

    assert client_for(driver).get(detail(record)).json()["status"] == "overdue"

    UserProfile.objects.filter(user=driver).update(timezone="Pacific/Niue")
    driver.refresh_from_db()
    assert today_for(driver) < kiritimati_today
    assert client_for(driver).get(detail(record)).json()["status"] == "upcoming"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=upcoming", {"soon", "later", "other_car"}),
        ("status=overdue", {"late"}),
        ("status=completed", {"done"}),
        ("maintenance_type=corrective", {"other_car"}),
        ("scheduled_after={in_6}", {"later"}),
        ("scheduled_before={yesterday}", {"late", "done"}),
        ("scheduled_after={yesterday}&scheduled_before={in_6}", {"late", "soon", "other_car"}),
        ("vehicle={second_car}", {"other_car"}),
        ("status=upcoming&vehicle={first_car}", {"soon", "later"}),
    ],
)
def test_the_list_filters(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient], query: str, expected: set[str]
) -> None:
    second_car = baker.make(Vehicle, user=driver, year=2020, make="Kia", model="Rio")
    today = today_for(driver)
    make_record(driver, title="soon", vehicle=vehicle, days_from_today=2)
    make_record(driver, title="later", vehicle=vehicle, days_from_today=30)
    make_record(driver, title="late", vehicle=vehicle, days_from_today=-1)
    make_record(driver, title="done", vehicle=vehicle, days_from_today=-10, completed_date=today - timedelta(days=9))
    make_record(driver, title="other_car", vehicle=second_car, days_from_today=5, maintenance_type="corrective")
    query = query.format(
        in_6=today + timedelta(days=6),
        yesterday=today - timedelta(days=1),
        first_car=vehicle.pk,
        second_car=second_car.pk,
    )

    response = client_for(driver).get(f"{LIST}?{query}")

    assert response.status_code == HTTPStatus.OK
    assert {row["title"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", ["status=someday", "scheduled_after=soon", "vehicle=not-a-uuid"])
def test_a_bad_filter_value_is_a_400(driver: User, client_for: Callable[[User], APIClient], query: str) -> None:
    response = client_for(driver).get(f"{LIST}?{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"]


def test_the_list_runs_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(driver)
    previous = make_record(driver, vehicle=vehicle, days_from_today=-200, completed_date=today_for(driver))
    make_record(driver, vehicle=vehicle, previous=previous)
    with django_assert_max_num_queries(5 + RLS_QUERIES) as few:
        assert client.get(f"{LIST}?page_size=100").status_code == HTTPStatus.OK

    for index in range(15):
        done = make_record(driver, vehicle=vehicle, days_from_today=-100 - index, completed_date=today_for(driver))
        make_record(driver, vehicle=vehicle, previous=done, days_from_today=index)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{LIST}?page_size=100")

    assert response.json()["count"] == 32
