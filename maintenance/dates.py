"""Calendar arithmetic for maintenance: a driver's own "today", month steps and mileage estimates."""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from accounts.models import User

DEFAULT_LEAD_DAYS = 3
# userprofile_reminder_lead_days_max caps the preference at 60 days; the reminder scan relies on it.
MAX_LEAD_DAYS = 60
# Used when a car's own history is too short to say how far it is driven: 15,000 km a year.
DEFAULT_KM_PER_DAY = 15_000 / 365
# Every date a driver types is bounded: nothing before the first maintenance anyone kept records of, nothing
# further ahead than a plan can mean. Unbounded, 9999-12-31 passes and the calendar feed's DTEND overflows.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_YEARS_AHEAD = 50
# The slowest pace believed: a car driven 100 km a year. Slower estimates (a backdated record at 0 km) would
# put a mileage-based job centuries away and overflow the date arithmetic.
MIN_KM_PER_DAY = 100 / 365
# A reading span shorter than this says more about one trip than about the car's habits.
MIN_HISTORY_DAYS = 30


def latest_date() -> date:
    """The latest date a driver may plan for (the bound moves with the calendar)."""
    today = timezone.now().date()
    return date(today.year + LATEST_YEARS_AHEAD, 12, 31)


def user_zone(user: User) -> ZoneInfo:
    """The driver's time zone preference, or UTC when they have no profile or a bad value."""
    profile = getattr(user, "profile", None)
    try:
        return ZoneInfo(profile.timezone) if profile is not None else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def user_lead_days(user: User) -> int:
    profile = getattr(user, "profile", None)
    return profile.reminder_lead_days if profile is not None else DEFAULT_LEAD_DAYS


def local_today(user: User, *, now: datetime | None = None) -> date:
    """The date it is for this driver right now, in their own time zone."""
    return (now or timezone.now()).astimezone(user_zone(user)).date()


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_to_drive(km: int, *, km_per_day: float) -> int:
    """Whole days needed to cover ``km`` at a pace of ``km_per_day`` (never below MIN_KM_PER_DAY); at least one."""
    return max(1, math.ceil(km / max(km_per_day, MIN_KM_PER_DAY)))


def km_per_day_between(
    *, earlier_day: date, earlier_km: int, later_day: date, later_km: int, min_days: int = MIN_HISTORY_DAYS
) -> float | None:
    """The car's pace between two readings, or None when the span is too short or the readings go backwards."""
    days = (later_day - earlier_day).days
    if days < min_days or later_km <= earlier_km:
        return None
    return (later_km - earlier_km) / days


def next_due_date(
    *, done_on: date, every_months: int | None, every_km: int | None, km_per_day: float = DEFAULT_KM_PER_DAY
) -> date:
    """When a recurring job is next due after it was done on ``done_on``.

    Months count calendar months from the day it was done. A mileage interval becomes a date by the
    car's pace. With both, whichever comes first wins, as in "every 6 months or 10,000 km".
    """
    candidates: list[date] = []
    if every_months:
        candidates.append(add_months(done_on, every_months))
    if every_km:
        candidates.append(done_on + timedelta(days=days_to_drive(every_km, km_per_day=km_per_day)))
    if not candidates:
        raise ValueError("A recurring job needs a month or a mileage interval.")
    return min(candidates)
