"""Behaviours the mutation run found untested (issue 14, "Tests that would have caught it")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import Role, User, UserProfile, Vehicle
from directory.models import Mechanic
from maintenance.models import MaintenanceRecord, Notification, NotificationKind
from maintenance.services import maintenance_complete, reminders_send
from tests.conftest import make_user
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db


# --- Staff with the directory-wide permission, not superusers -------------------------------------------


@pytest.fixture
def directory_editor(db: None) -> User:
    user = make_user("editor@example.com", role=Role.ADMINISTRATOR, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_mechanic"))
    return user


@pytest.fixture
def plain_staff(db: None) -> User:
    return make_user("plain.staff@example.com", role=Role.ADMINISTRATOR, is_staff=True)


def test_staff_with_the_directory_wide_permission_edit_every_listing(directory_editor: User, mechanic: User) -> None:
    owned = baker.make(Mechanic, business_name="Owned Elsewhere", latitude=3.8, longitude=11.5)
    owned.owners.add(mechanic)
    client = Client()
    client.force_login(directory_editor)

    listing_page = client.get("/mechanics/listings/")
    edit_page = client.get(f"/mechanics/listings/{owned.pk}/edit/")

    assert not directory_editor.is_superuser
    assert "Owned Elsewhere" in listing_page.content.decode()
    assert edit_page.status_code == HTTPStatus.OK


def test_staff_without_it_edit_no_listing(plain_staff: User, mechanic: User) -> None:
    owned = baker.make(Mechanic, business_name="Owned Elsewhere", latitude=3.8, longitude=11.5)
    owned.owners.add(mechanic)
    client = Client()
    client.force_login(plain_staff)

    assert "Owned Elsewhere" not in client.get("/mechanics/listings/").content.decode()
    assert client.get(f"/mechanics/listings/{owned.pk}/edit/").status_code == HTTPStatus.NOT_FOUND


# --- Maintenance scheduling --------------------------------------------------------------------------------


def car(user: User, km: int = 0) -> Vehicle:
    return Vehicle.objects.create(user=user, make="Toyota", model="Corolla", year=2015, odometer_km=km)


def test_the_mileage_pace_reads_this_cars_own_oldest_reading(driver: User) -> None:
    today = today_for(driver)
    mine, other = car(driver, 10_000), car(driver, 0)
    # This car: 10,000 km in 100 days (100 km a day). The other car would give a pace of 1 km a day.
    make_record(driver, vehicle=mine, completed_date=today - timedelta(days=100), odometer_km=10_000)
    make_record(driver, vehicle=other, completed_date=today - timedelta(days=1000), odometer_km=0)
    record = make_record(driver, vehicle=mine, days_from_today=-1, recurrence_km=5_000)

    completion = maintenance_complete(record=record, odometer=20_000)

    assert completion.next is not None
    assert completion.next.scheduled_date == today + timedelta(days=50)


def test_the_next_record_keeps_the_km_interval_and_due_reading(driver: User) -> None:
    mine = car(driver, 40_000)
    record = make_record(driver, vehicle=mine, days_from_today=-1, recurrence_km=10_000, recurrence_months=12)

    nxt = maintenance_complete(record=record, odometer=41_000).next

    assert nxt is not None
    assert (nxt.recurrence_km, nxt.recurrence_months, nxt.due_odometer_km) == (10_000, 12, 51_000)


def test_rescheduling_re_arms_both_reminders(driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = make_record(driver, days_from_today=-2)
    reminders_send()
    record.refresh_from_db()
    assert record.overdue_notified_at is not None
    assert Notification.objects.filter(maintenance_record=record).exists()

    new_date = (today_for(driver) + timedelta(days=1)).isoformat()
    response = client_for(driver).patch(f"/api/v1/maintenance/{record.pk}", {"scheduled_date": new_date})

    assert response.status_code == HTTPStatus.OK
    record.refresh_from_db()
    assert (record.reminder_status, record.reminder_sent_at, record.overdue_notified_at) == ("pending", None, None)
    assert not Notification.objects.filter(maintenance_record=record).exists()
    mail.outbox.clear()
    assert reminders_send().due == 1


@pytest.mark.parametrize(("offset", "expected"), [(-1, "overdue"), (0, "upcoming"), (1, "upcoming")])
def test_the_status_filter_boundary_is_the_due_date_itself(
    driver: User, client_for: Callable[[User], APIClient], offset: int, expected: str
) -> None:
    record = make_record(driver, days_from_today=offset)
    client = client_for(driver)

    ids = {
        status: [item["id"] for item in client.get("/api/v1/maintenance", {"status": status}).json()["results"]]
        for status in ("overdue", "upcoming")
    }

    assert str(record.pk) in ids[expected]
    assert str(record.pk) not in ids[{"overdue": "upcoming", "upcoming": "overdue"}[expected]]


@pytest.mark.parametrize(("lead", "days_ahead", "sent"), [(45, 45, 1), (45, 46, 0), (60, 60, 1)])
def test_lead_times_over_thirty_days_are_honoured(driver: User, lead: int, days_ahead: int, sent: int) -> None:
    UserProfile.objects.filter(user=driver).update(reminder_lead_days=lead)
    driver.refresh_from_db()
    make_record(driver, days_from_today=days_ahead)

    assert reminders_send().due == sent
    assert Notification.objects.filter(kind=NotificationKind.MAINTENANCE_DUE).count() == sent


def test_a_completed_record_on_another_car_never_feeds_the_pace(driver: User, other_driver: User) -> None:
    today = today_for(driver)
    mine = car(driver, 0)
    theirs = car(other_driver, 0)
    make_record(other_driver, vehicle=theirs, completed_date=date(2000, 1, 1), odometer_km=0)
    record = make_record(driver, vehicle=mine, days_from_today=-1, recurrence_km=15_000)

    nxt = maintenance_complete(record=record, odometer=10).next

    # No history of its own: the default 15,000 km a year, so one year away.
    assert nxt is not None
    assert nxt.scheduled_date == today + timedelta(days=365)
    assert MaintenanceRecord.objects.filter(user=driver).count() == 2
