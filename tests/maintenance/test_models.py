"""Date arithmetic and the database rules of the maintenance tables."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from maintenance.dates import add_months, km_per_day_between, next_due_date
from maintenance.models import MaintenanceRecord
from tests.maintenance.conftest import make_record


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 3, 31), 12, date(2026, 3, 31)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
    ],
)
def test_add_months_steps_calendar_months_and_clamps_to_the_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_next_due_date_takes_whichever_comes_first() -> None:
    done = date(2025, 1, 1)
    assert next_due_date(done_on=done, every_months=6, every_km=None) == date(2025, 7, 1)
    assert next_due_date(done_on=done, every_months=None, every_km=1000, km_per_day=100) == date(2025, 1, 11)
    assert next_due_date(done_on=done, every_months=6, every_km=1000, km_per_day=100) == date(2025, 1, 11)
    assert next_due_date(done_on=done, every_months=1, every_km=100_000, km_per_day=100) == date(2025, 2, 1)
    with pytest.raises(ValueError, match="interval"):
        next_due_date(done_on=done, every_months=None, every_km=None)


def test_a_pace_needs_a_month_of_history_and_a_forward_odometer() -> None:
    assert (
        km_per_day_between(earlier_day=date(2025, 1, 1), earlier_km=0, later_day=date(2025, 1, 31), later_km=3000)
        == 100
    )
    assert (
        km_per_day_between(earlier_day=date(2025, 1, 1), earlier_km=0, later_day=date(2025, 1, 20), later_km=3000)
        is None
    )
    assert (
        km_per_day_between(earlier_day=date(2024, 1, 1), earlier_km=5000, later_day=date(2025, 1, 1), later_km=5000)
        is None
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"completed_date": date(2025, 1, 1), "reminder_status": "pending"},
        {"completed_date": None, "reminder_status": "completed"},
    ],
    ids=["done-but-pending", "completed-without-a-date"],
)
def test_completion_and_reminder_status_cannot_disagree(driver: User, fields: dict[str, object]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_record(driver, **fields)


@pytest.mark.django_db
def test_a_diagnosis_has_at_most_one_repair_item(driver: User) -> None:
    diagnostic = baker.make(DiagnosticRecord, user=driver, diagnostic_type="dashboard_scan", status="completed")
    make_record(driver, diagnostic=diagnostic, maintenance_type="corrective")
    make_record(driver, diagnostic=diagnostic, maintenance_type="preventive")  # follow-up work is not a duplicate

    with pytest.raises(IntegrityError), transaction.atomic():
        make_record(driver, diagnostic=diagnostic, maintenance_type="corrective")
    assert MaintenanceRecord.objects.filter(diagnostic=diagnostic).count() == 2
