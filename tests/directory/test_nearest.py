"""Nearest first at scale: the list stops at the NEAREST_LIMIT nearest, and `nearest()` (a GiST probe on
PostgreSQL) returns exactly what sorting the whole circle would, however wide the circle."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from directory.models import EARTH_RADIUS_KM, NEAREST_LIMIT, Mechanic, zones_in_use
from tests.conftest import RLS_QUERIES

pytestmark = pytest.mark.django_db

MECHANICS = "/api/v1/mechanics"
CENTRE = (3.8480, 11.5021)
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# More listings in the circle than a nearest-first list holds, so the cut is exercised.
CROWD = NEAREST_LIMIT + 150


@pytest.fixture
def crowd(db: None) -> list[Mechanic]:
    """CROWD listings scattered within about 30 km of the centre, a few of them at equal distances."""
    rng = random.Random(16)
    garages = []
    for index in range(CROWD):
        km, bearing = rng.uniform(0, 30), rng.uniform(0, 2 * math.pi)
        if index % 50 == 0:
            km = 5.0  # ties: the order falls back to the name, then the id
        lat = CENTRE[0] + km * math.cos(bearing) / KM_PER_DEGREE
        lng = CENTRE[1] + km * math.sin(bearing) / (KM_PER_DEGREE * math.cos(math.radians(CENTRE[0])))
        garages.append(
            Mechanic(business_name=f"Garage {index % 700:04d}", address="Somewhere", latitude=lat, longitude=lng)
        )
    created = Mechanic.objects.bulk_create(garages)
    # Far away: never in a 50 km circle around the centre.
    Mechanic.objects.create(business_name="Douala garage", address="Douala", latitude=4.0511, longitude=9.7679)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE directory_mechanic")
    return created


@pytest.fixture
def api(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


def ids(queryset: object) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("radius_km", [1.0, 12.0, 50.0, 200.0])
def test_nearest_keeps_exactly_the_order_of_the_whole_circle(crowd: list[Mechanic], radius_km: float) -> None:
    point = {"latitude": CENTRE[0], "longitude": CENTRE[1], "radius_km": radius_km}
    whole = ids(Mechanic.objects.nearby(**point))
    cut = ids(Mechanic.objects.nearest(**point))
    assert cut[:NEAREST_LIMIT] == whole[:NEAREST_LIMIT]
    assert len(cut) >= min(len(whole), NEAREST_LIMIT)


def test_nearest_with_a_small_limit_still_matches(crowd: list[Mechanic]) -> None:
    point = {"latitude": CENTRE[0] + 0.05, "longitude": CENTRE[1] - 0.05, "radius_km": 40.0}
    whole = ids(Mechanic.objects.nearby(**point))
    cut = Mechanic.objects.nearest(**point, limit=30)
    assert ids(cut)[:30] == whole[:30]
    if connection.vendor == "postgresql":
        # The probe narrowed the circle: far fewer rows than the whole circle are left to sort.
        assert cut.count() < len(whole) / 5


def test_nearest_finds_nothing_where_there_is_nothing(crowd: list[Mechanic]) -> None:
    assert not Mechanic.objects.nearest(latitude=-30.0, longitude=-60.0, radius_km=200.0).exists()


def test_a_nearest_first_list_stops_at_the_limit_and_pages_through_it(api: APIClient, crowd: list[Mechanic]) -> None:
    params = {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 50, "page_size": 100}
    expected = ids(Mechanic.objects.nearby(latitude=CENTRE[0], longitude=CENTRE[1], radius_km=50))[:NEAREST_LIMIT]

    seen: list[str] = []
    for page in range(1, NEAREST_LIMIT // 100 + 1):
        response = api.get(MECHANICS, {**params, "page": page})
        assert response.status_code == HTTPStatus.OK, response.json()
        body = response.json()
        assert body["count"] == NEAREST_LIMIT
        seen += [item["id"] for item in body["results"]]
    assert seen == expected
    assert body["next"] is None

    past = api.get(MECHANICS, {**params, "page": NEAREST_LIMIT // 100 + 1})
    assert past.status_code == HTTPStatus.BAD_REQUEST
    assert past.json()["error"]["code"] == "validation_error"
    assert "page" in past.json()["error"]["fields"]


def test_other_orders_near_a_point_still_count_the_whole_circle(api: APIClient, crowd: list[Mechanic]) -> None:
    response = api.get(MECHANICS, {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 50, "ordering": "rating"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == CROWD


def test_a_nearest_first_page_costs_the_same_queries_at_any_radius(api: APIClient, crowd: list[Mechanic]) -> None:
    counts = []
    for radius in (1, 200):
        with CaptureQueriesContext(connection) as context:
            response = api.get(MECHANICS, {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": radius})
        assert response.status_code == HTTPStatus.OK
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]
    # The account, zones in use, probe (PostgreSQL), count, page, offerings, photos.
    assert counts[1] <= 7 + RLS_QUERIES


def test_the_zones_in_use_are_read_from_the_index(db: None) -> None:
    assert zones_in_use() == []
    for zone in ("Africa/Lagos", "Africa/Douala", "Africa/Lagos", "Europe/Paris"):
        Mechanic.objects.create(business_name=zone, address="x", latitude=1, longitude=1, time_zone=zone)
    assert zones_in_use() == ["Africa/Douala", "Africa/Lagos", "Europe/Paris"]
