"""The issue's "done when", end to end through the public surfaces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from maintenance.dates import add_months
from maintenance.models import MaintenanceRecord, Notification
from maintenance.services import ReminderRun, reminders_send
from maintenance.tasks import send_reminders
from tests.maintenance.conftest import make_diagnostic, make_light, today_for
from tests.maintenance.test_calendar import parse_calendar, unescape

pytestmark = pytest.mark.django_db


def test_an_oil_change_is_reminded_done_and_rescheduled_and_a_diagnosis_lands_on_the_calendar(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    api_client: APIClient,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    client = client_for(driver)
    today = today_for(driver)

    # The driver records "oil change every 6 months or 10,000 km", due in three days.
    created = client.post(
        "/api/v1/maintenance",
        {
            "vehicle": str(vehicle.pk),
            "maintenance_type": "scheduled",
            "title": "Oil change",
            "scheduled_date": (today + timedelta(days=3)).isoformat(),
            "recurrence_months": 6,
            "recurrence_km": 10_000,
        },
    )
    assert created.status_code == HTTPStatus.CREATED
    oil_change = MaintenanceRecord.objects.get(pk=created.json()["id"])

    # Four days before, the job stays quiet; three days before (the default lead), it speaks once.
    assert reminders_send(now=timezone.now() - timedelta(days=1)) == ReminderRun()
    assert send_reminders() == {"due": 1, "overdue": 0}
    assert send_reminders() == {"due": 0, "overdue": 0}
    inbox = client.get("/api/v1/notifications").json()["results"]
    assert [(row["kind"], row["title"], row["is_read"]) for row in inbox] == [
        ("maintenance_due", "Oil change due in 3 days", False)
    ]
    assert [(message.to, message.subject) for message in mailoutbox] == [([driver.email], "Oil change due in 3 days")]

    # Marking it done schedules the next one: six months on, sooner than 10,000 km at 15,000 km a year.
    done = client.post(f"/api/v1/maintenance/{oil_change.pk}/complete", {"odometer": 51_000, "cost": "30000"})
    assert done.status_code == HTTPStatus.OK
    following = MaintenanceRecord.objects.get(previous=oil_change)
    assert following.scheduled_date == add_months(today, 6)
    assert (following.due_odometer_km, following.reminder_status) == (61_000, "pending")
    assert Notification.objects.get(maintenance_record=oil_change).is_read
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 51_000

    # A diagnosis with an immediate finding becomes a repair item, today, in one call...
    light = make_light("oil_pressure", "Oil pressure warning", repairs=["Top up the oil"])
    diagnostic = make_diagnostic(driver, urgency="immediate", vehicle=vehicle, lights=[(light, 0.93)])
    repair = client.post(f"/api/v1/diagnostics/{diagnostic.pk}/maintenance")
    assert repair.status_code == HTTPStatus.CREATED
    assert repair.json()["scheduled_date"] == today.isoformat()

    # ...and it is on the driver's subscribed calendar, with the next oil change and without the done one.
    feed_url = client.post("/api/v1/maintenance/calendar-token").json()["feed_url"]
    parts = urlsplit(feed_url)
    feed = api_client.get(parts.path, {"token": parse_qs(parts.query)["token"][0]})
    assert feed.status_code == HTTPStatus.OK
    _, events = parse_calendar(feed.content.decode())
    assert sorted((event["DTSTART;VALUE=DATE"], unescape(event["SUMMARY"])) for event in events) == sorted(
        [
            (f"{today:%Y%m%d}", "Repair: Oil pressure warning (Corolla)"),
            (f"{following.scheduled_date:%Y%m%d}", "Oil change (Corolla)"),
        ]
    )
