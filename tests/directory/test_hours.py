"""Open now, in each garage's own time zone: across zones, across midnight and on days with two spans.

Every row is checked three ways, which must agree: the SQL filter (?open_now), the flag in the API, and
``Mechanic.is_open_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from directory.models import Mechanic
from tests.directory.factories import make_listing

pytestmark = pytest.mark.django_db

MECHANICS = "/api/v1/mechanics"
SPLIT = {"fri": [["08:00", "12:00"], ["14:00", "18:00"]]}
LATE = {"fri": [["18:00", "02:00"]]}  # Friday evening into Saturday night
LATE_SPLIT = {"fri": [["09:00", "12:00"], ["20:00", "01:00"]], "sat": [["10:00", "14:00"]]}

# (garage zone, working hours, the moment in UTC, open?)
CASES = [
    # Friday 27 November 2026. Douala is UTC+1, Tokyo UTC+9, New York UTC-5 (no summer time in November).
    ("Africa/Douala", SPLIT, "2026-11-27T07:30", True),  # 08:30 local
    ("Africa/Douala", SPLIT, "2026-11-27T06:59", False),  # 07:59 local
    ("Africa/Douala", SPLIT, "2026-11-27T11:00", False),  # 12:00 local: closed at noon sharp
    ("Africa/Douala", SPLIT, "2026-11-27T12:30", False),  # 13:30 local: lunch
    ("Africa/Douala", SPLIT, "2026-11-27T13:00", True),  # 14:00 local: open again
    ("Africa/Douala", SPLIT, "2026-11-27T16:59", True),  # 17:59 local
    ("Africa/Douala", SPLIT, "2026-11-27T17:00", False),  # 18:00 local
    # The same instant is Friday in Douala and already Saturday in Tokyo.
    ("Asia/Tokyo", SPLIT, "2026-11-27T00:30", True),  # Friday 09:30 in Tokyo
    ("Asia/Tokyo", SPLIT, "2026-11-27T16:00", False),  # Saturday 01:00 in Tokyo
    ("America/New_York", SPLIT, "2026-11-27T07:30", False),  # 02:30 in New York
    ("America/New_York", SPLIT, "2026-11-27T13:30", True),  # 08:30 in New York
    ("America/New_York", SPLIT, "2026-11-28T00:30", False),  # Friday 19:30 in New York, UTC is Saturday
    ("America/New_York", {"fri": [["18:00", "23:00"]]}, "2026-11-28T00:30", True),
    # A span past midnight belongs to the day it opens.
    ("Africa/Douala", LATE, "2026-11-27T16:59", False),  # Friday 17:59
    ("Africa/Douala", LATE, "2026-11-27T17:00", True),  # Friday 18:00
    ("Africa/Douala", LATE, "2026-11-27T22:59", True),  # Friday 23:59
    ("Africa/Douala", LATE, "2026-11-27T23:00", True),  # Saturday 00:00
    ("Africa/Douala", LATE, "2026-11-28T00:59", True),  # Saturday 01:59
    ("Africa/Douala", LATE, "2026-11-28T01:00", False),  # Saturday 02:00
    ("Africa/Douala", LATE, "2026-11-26T23:30", False),  # Friday 00:30: Thursday had no late span
    # Two spans, the second one past midnight, then the next day's own hours.
    ("Africa/Douala", LATE_SPLIT, "2026-11-27T10:00", True),  # Friday 11:00
    ("Africa/Douala", LATE_SPLIT, "2026-11-27T15:00", False),  # Friday 16:00
    ("Africa/Douala", LATE_SPLIT, "2026-11-27T23:30", True),  # Saturday 00:30
    ("Africa/Douala", LATE_SPLIT, "2026-11-28T00:00", False),  # Saturday 01:00
    ("Africa/Douala", LATE_SPLIT, "2026-11-28T09:30", True),  # Saturday 10:30
    # Late on Sunday runs into Monday (the week wraps).
    ("Africa/Douala", {"sun": [["22:00", "03:00"]]}, "2026-11-30T01:00", True),  # Monday 02:00
]


@pytest.fixture
def api(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


@pytest.mark.parametrize(("zone", "hours", "moment", "expected"), CASES)
def test_open_now_table(
    api: APIClient, monkeypatch: pytest.MonkeyPatch, zone: str, hours: dict, moment: str, expected: bool
) -> None:
    garage = make_listing("Garage", time_zone=zone, working_hours=hours)
    # A garage in another zone with the same hours, so each query has to tell the zones apart.
    make_listing("Elsewhere", time_zone="Pacific/Kiritimati", working_hours=hours)
    instant = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)

    open_names = [item["business_name"] for item in api.get(MECHANICS, {"open_now": "true"}).json()["results"]]
    flag = api.get(f"{MECHANICS}/{garage.pk}").json()["open_now"]

    assert ("Garage" in open_names) is expected
    assert flag is expected
    assert Mechanic.objects.get(pk=garage.pk).is_open_at(instant) is expected


def test_an_instant_in_open_at_is_read_in_each_garages_zone(api: APIClient) -> None:
    make_listing("Douala", time_zone="Africa/Douala", working_hours=SPLIT)
    make_listing("Tokyo", time_zone="Asia/Tokyo", working_hours=SPLIT)
    # 09:30 in Douala, 17:30 in Tokyo: both open. An hour later, Tokyo has closed.
    response = api.get(MECHANICS, {"open_at": "2026-11-27T09:30:00+01:00"})
    assert sorted(item["business_name"] for item in response.json()["results"]) == ["Douala", "Tokyo"]
    later = api.get(MECHANICS, {"open_at": "2026-11-27T10:30:00+01:00"}).json()["results"]
    assert [item["business_name"] for item in later] == ["Douala"]


def test_a_weekday_and_time_in_open_at_is_the_local_time_at_every_garage(api: APIClient) -> None:
    make_listing("Douala", time_zone="Africa/Douala", working_hours={"sat": [["08:00", "12:00"]]})
    make_listing("Tokyo", time_zone="Asia/Tokyo", working_hours={"sat": [["08:00", "12:00"]]})
    make_listing("Weekdays", working_hours={"fri": [["08:00", "18:00"]]})
    make_listing("Friday night", working_hours={"fri": [["20:00", "02:00"]]})

    def found(value: str) -> list[str]:
        response = api.get(MECHANICS, {"open_at": value})
        assert response.status_code == HTTPStatus.OK, response.json()
        return sorted(item["business_name"] for item in response.json()["results"])

    assert found("sat 10:00") == ["Douala", "Tokyo"]
    assert found("saturday 01:30") == ["Friday night"]
    assert found("sat") == ["Douala", "Tokyo"]
    assert found("fri") == ["Friday night", "Weekdays"]


@pytest.mark.parametrize("value", ["someday", "sat 25:00", "2026-11-27T10:00", "tomorrow 10:00"])
def test_a_bad_open_at_is_400(api: APIClient, value: str) -> None:
    response = api.get(MECHANICS, {"open_at": value})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "open_at" in response.json()["error"]["fields"]
