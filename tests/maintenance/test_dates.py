"""maintenance.dates, the calendar arithmetic behind every schedule, pinned at its edges.

Written for the mutation run (issue 14): each test names a behaviour that a changed operator or constant
in maintenance/dates.py would break.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from maintenance import dates


def driver_with(**profile: Any) -> Any:
    """A stand-in user: the functions read only ``user.profile`` (or its absence)."""
    return SimpleNamespace(profile=SimpleNamespace(**profile)) if profile else SimpleNamespace()


def test_latest_date_is_the_last_day_of_the_year_fifty_years_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates.timezone, "now", lambda: datetime(2026, 3, 4, 12, tzinfo=UTC))

    assert dates.latest_date() == date(2076, 12, 31)


def test_user_zone_reads_the_profile_and_falls_back_to_utc() -> None:
    assert dates.user_zone(driver_with(timezone="Africa/Douala")) == ZoneInfo("Africa/Douala")
    assert dates.user_zone(driver_with()) == ZoneInfo("UTC")
    assert dates.user_zone(driver_with(timezone="Mars/Olympus")) == ZoneInfo("UTC")
    assert dates.user_zone(driver_with(timezone="../etc/passwd")) == ZoneInfo("UTC")


def test_user_lead_days_reads_the_profile_or_the_default() -> None:
    assert dates.user_lead_days(driver_with(reminder_lead_days=45)) == 45
    assert dates.user_lead_days(driver_with()) == dates.DEFAULT_LEAD_DAYS == 3


def test_local_today_is_the_date_in_the_drivers_own_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    late_evening_utc = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    monkeypatch.setattr(dates.timezone, "now", lambda: late_evening_utc)

    assert dates.local_today(driver_with(timezone="Asia/Tokyo")) == date(2026, 6, 1)
    assert dates.local_today(driver_with(timezone="America/New_York")) == date(2026, 5, 31)
    assert dates.local_today(driver_with(timezone="Asia/Tokyo"), now=late_evening_utc - timedelta(days=2)) == date(
        2026, 5, 30
    )


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
        (date(2026, 12, 31), 13, date(2028, 1, 31)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 6, 10), 0, date(2026, 6, 10)),
    ],
)
def test_add_months_steps_calendar_months(day: date, months: int, expected: date) -> None:
    assert dates.add_months(day, months) == expected


def test_days_to_drive_rounds_up_and_never_drops_below_one_day_or_the_slowest_pace() -> None:
    assert dates.days_to_drive(100, km_per_day=50) == 2
    assert dates.days_to_drive(101, km_per_day=50) == 3
    assert dates.days_to_drive(1, km_per_day=1000) == 1
    assert dates.days_to_drive(0, km_per_day=50) == 1
    # Slower than 100 km a year is not believed: 100 km takes a year at most.
    assert dates.days_to_drive(100, km_per_day=0.001) == 365
    assert dates.days_to_drive(100, km_per_day=dates.MIN_KM_PER_DAY) == 365


def test_km_per_day_between_needs_a_long_enough_span_and_a_higher_later_reading() -> None:
    start = date(2026, 1, 1)

    assert (
        dates.km_per_day_between(
            earlier_day=start, earlier_km=1000, later_day=start + timedelta(days=40), later_km=3000
        )
        == 50
    )
    # Exactly the minimum span counts; one day less does not.
    assert (
        dates.km_per_day_between(earlier_day=start, earlier_km=0, later_day=start + timedelta(days=30), later_km=300)
        == 10
    )
    assert (
        dates.km_per_day_between(earlier_day=start, earlier_km=0, later_day=start + timedelta(days=29), later_km=300)
        is None
    )
    assert (
        dates.km_per_day_between(earlier_day=start, earlier_km=500, later_day=start + timedelta(days=90), later_km=500)
        is None
    )
    assert (
        dates.km_per_day_between(earlier_day=start, earlier_km=500, later_day=start + timedelta(days=90), later_km=400)
        is None
    )
    assert (
        dates.km_per_day_between(
            earlier_day=start, earlier_km=0, later_day=start + timedelta(days=5), later_km=100, min_days=5
        )
        == 20
    )


def test_next_due_date_takes_whichever_interval_comes_first() -> None:
    done = date(2026, 1, 10)

    assert dates.next_due_date(done_on=done, every_months=6, every_km=None) == date(2026, 7, 10)
    assert dates.next_due_date(done_on=done, every_months=None, every_km=1000, km_per_day=100) == date(2026, 1, 20)
    assert dates.next_due_date(done_on=done, every_months=6, every_km=1000, km_per_day=100) == date(2026, 1, 20)
    assert dates.next_due_date(done_on=done, every_months=1, every_km=10_000, km_per_day=100) == date(2026, 2, 10)
    # The default pace is 15,000 km a year.
    assert dates.next_due_date(done_on=done, every_months=None, every_km=15_000) == done + timedelta(days=365)
    with pytest.raises(ValueError, match=r"^A recurring job needs a month or a mileage interval\.$"):
        dates.next_due_date(done_on=done, every_months=None, every_km=None)
    with pytest.raises(ValueError, match=r"^A recurring job needs a month or a mileage interval\.$"):
        dates.next_due_date(done_on=done, every_months=0, every_km=0)
