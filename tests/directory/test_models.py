"""The directory's querysets and rules: working hours, open now, and the nearby search geometry."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from directory.models import EARTH_RADIUS_KM, Mechanic, validate_working_hours
from tests.directory.factories import make_listing

pytestmark = pytest.mark.django_db


def destination(lat: float, lng: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point ``distance_km`` from (lat, lng) along ``bearing_deg``, on the same sphere."""
    delta = distance_km / EARTH_RADIUS_KM
    phi, lam, theta = math.radians(lat), math.radians(lng), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


@pytest.mark.parametrize(
    ("centre", "radius_km"),
    [((3.848, 11.5021), 5.0), ((-17.0, 179.98), 20.0), ((89.95, 30.0), 15.0), ((-60.0, -179.9), 150.0)],
    ids=["yaounde", "antimeridian", "north-pole", "far-south-wide"],
)
def test_nearby_keeps_every_point_inside_the_circle_and_none_outside(
    centre: tuple[float, float], radius_km: float
) -> None:
    rng = random.Random(7)
    inside, outside = [], []
    for index in range(36):
        bearing = index * 10 + rng.uniform(0, 5)
        for share, bucket in ((0.995, inside), (1.005, outside)):
            lat, lng = destination(*centre, bearing, radius_km * share)
            bucket.append(make_listing(f"{share} {index}", latitude=lat, longitude=lng))

    found = Mechanic.objects.nearby(latitude=centre[0], longitude=centre[1], radius_km=radius_km)

    assert {m.pk for m in found} == {m.pk for m in inside}
    assert all(m.distance_km == pytest.approx(radius_km * 0.995, rel=1e-6) for m in found)


def test_nearby_orders_by_distance_then_name() -> None:
    make_listing("B twin", latitude=3.9, longitude=11.5)
    make_listing("A twin", latitude=3.9, longitude=11.5)
    make_listing("Closer", latitude=3.86, longitude=11.5)
    found = Mechanic.objects.nearby(latitude=3.85, longitude=11.5, radius_km=20)
    assert [m.business_name for m in found] == ["Closer", "A twin", "B twin"]


def test_the_sql_open_flag_agrees_with_the_python_rule_all_week(seeded: None) -> None:
    start = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
    for hour in range(0, 7 * 24, 5):
        moment = start + timedelta(hours=hour, minutes=17)
        in_sql = dict(Mechanic.objects.with_open_flag(moment).values_list("pk", "is_open"))
        in_python = {m.pk: m.is_open_at(moment) for m in Mechanic.objects.all()}
        assert in_sql == in_python, moment


@pytest.mark.parametrize(
    "hours",
    [
        {},
        {"mon": []},
        {"mon": [["08:00", "12:00"], ["14:00", "18:00"]], "sun": []},
        {"sat": [["00:00", "23:59"]]},
        {"fri": [["18:00", "02:00"]]},
        {"mon": [["08:00", "12:00"], ["20:00", "01:00"]]},
    ],
)
def test_valid_working_hours_pass(hours: dict) -> None:
    validate_working_hours(hours)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([], "map weekdays"),
        ({"monday": []}, "Unknown weekday"),
        ({"mon": [["08:00", "09:00"], ["10:00", "11:00"], ["12:00", "13:00"]]}, "at most 2"),
        ({"mon": [["8:00", "12:00"]]}, "HH:MM"),
        ({"mon": [["08:00", "24:00"]]}, "HH:MM"),
        ({"mon": [["12:00", "12:00"]]}, "opens and closes at the same time"),
        ({"mon": [["20:00", "02:00"], ["03:00", "04:00"]]}, "last span may run past midnight"),
        ({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}, "must not overlap"),
        ({"mon": [["08:00"]]}, "each span"),
        ({"mon": "08:00-18:00"}, "list of opening spans"),
    ],
)
def test_invalid_working_hours_are_refused(hours: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_working_hours(hours)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        # The whole sentence, as staff read it next to the field: a changed word or separator is a regression.
        ([], "Working hours must map weekdays to opening spans."),
        (
            {"funday": [], "monday": []},
            "Unknown weekday(s): funday, monday. Use mon, tue, wed, thu, fri, sat, sun.",
        ),
        # A span opening the minute the previous one closes is one span written twice: merge them.
        ({"mon": [["08:00", "12:00"], ["12:00", "14:00"]]}, "mon: spans must be in order and must not overlap."),
    ],
)
def test_invalid_working_hours_get_the_full_message(hours: object, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_working_hours(hours)

    assert refused.value.messages == [message]
