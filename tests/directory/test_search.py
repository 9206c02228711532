"""Finding garages: words in the name, address or services (full text), ordering, and all of it with near."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from directory.models import EARTH_RADIUS_KM, Mechanic, MechanicService, Service
from directory.services import mechanics_refresh_services_text
from tests.directory.factories import form_data, make_listing

pytestmark = pytest.mark.django_db

MECHANICS = "/api/v1/mechanics"
CENTRE = (3.8480, 11.5021)
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def north(km: float) -> dict[str, float]:
    return {"latitude": CENTRE[0] + km / KM_PER_DEGREE, "longitude": CENTRE[1]}


def offer(garage: Mechanic, service: Service, price: str | None) -> None:
    MechanicService.objects.create(mechanic=garage, service=service, price=None if price is None else Decimal(price))
    # What the listing services do after changing offerings; created directly here, so refresh by hand.
    mechanics_refresh_services_text(mechanic_ids=[garage.pk])


@pytest.fixture
def api(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


@pytest.fixture
def water_pump(db: None) -> Service:
    return baker.make(Service, name="Water pump replacement", category="cooling", cost_min=50000, cost_max=150000)


def names(response: Any) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.json()
    return [item["business_name"] for item in response.json()["results"]]


def test_search_finds_words_in_the_name_the_address_and_the_services(api: APIClient, water_pump: Service) -> None:
    make_listing("Garage Étoile", address="Rue 5, Bastos")
    make_listing("Auto Plus", address="Avenue Kennedy, Yaoundé")
    pump = make_listing("Chez Paul")
    offer(pump, water_pump, "80000")

    assert names(api.get(MECHANICS, {"search": "étoile"})) == ["Garage Étoile"]
    if connection.vendor == "sqlite":
        # FTS5 folds accents; PostgreSQL would need the unaccent extension, which only a superuser installs.
        assert names(api.get(MECHANICS, {"search": "etoile"})) == ["Garage Étoile"]
    assert names(api.get(MECHANICS, {"search": "kennedy"})) == ["Auto Plus"]
    assert names(api.get(MECHANICS, {"search": "water pump"})) == ["Chez Paul"]
    assert names(api.get(MECHANICS, {"search": "pump paul"})) == ["Chez Paul"]  # every word, anywhere
    assert names(api.get(MECHANICS, {"search": "pum"})) == ["Chez Paul"]  # a word being typed
    assert names(api.get(MECHANICS, {"search": "brakes"})) == []
    assert names(api.get(MECHANICS, {"search": '"; DROP TABLE x; --'})) == []


def test_search_follows_a_listings_edits_and_its_services(
    mechanic: User, listing: Mechanic, api: APIClient, water_pump: Service
) -> None:
    """Service names reach the search through the owner's edit page, like any change of offerings."""
    page = Client()
    page.force_login(mechanic)
    data = form_data(page.get(f"/mechanics/listings/{listing.pk}/edit/").content.decode())
    data.update({"services-1-service": str(water_pump.pk), "services-1-price": "90000", "business_name": "Kilo Motors"})
    assert page.post(f"/mechanics/listings/{listing.pk}/edit/", data).status_code == HTTPStatus.FOUND

    assert names(api.get(MECHANICS, {"search": "water"})) == ["Kilo Motors"]
    assert names(api.get(MECHANICS, {"search": "kilo"})) == ["Kilo Motors"]
    assert names(api.get(MECHANICS, {"search": "owned"})) == []


def test_the_best_rated_garage_open_on_saturday_within_10_km_that_replaces_water_pumps(
    api: APIClient, water_pump: Service
) -> None:
    saturday = {"sat": [["08:00", "13:00"]]}
    best = make_listing("Best Pumps", rating=Decimal("4.80"), rating_count=12, working_hours=saturday, **north(6))
    good = make_listing("Good Pumps", rating=Decimal("4.10"), rating_count=30, working_hours=saturday, **north(2))
    weekdays = make_listing("Weekday Pumps", rating=Decimal("5.00"), rating_count=3, **north(1))
    far = make_listing("Far Pumps", rating=Decimal("4.90"), rating_count=9, working_hours=saturday, **north(25))
    make_listing("No Pumps", rating=Decimal("5.00"), rating_count=40, working_hours=saturday, **north(1))
    for garage, price in [(best, "95000"), (good, "70000"), (weekdays, "60000"), (far, "50000")]:
        offer(garage, water_pump, price)

    near = f"{CENTRE[0]},{CENTRE[1]}"
    query = {"near": near, "radius_km": 10, "open_at": "sat", "service": water_pump.name}

    assert names(api.get(MECHANICS, query | {"ordering": "rating"})) == ["Best Pumps", "Good Pumps"]
    assert names(api.get(MECHANICS, query)) == ["Good Pumps", "Best Pumps"]  # near alone: nearest first
    assert names(api.get(MECHANICS, query | {"ordering": "price"})) == ["Good Pumps", "Best Pumps"]
    assert names(api.get(MECHANICS, query | {"search": "best"})) == ["Best Pumps"]
    priced = api.get(MECHANICS, query | {"ordering": "price"}).json()["results"]
    assert [item["service_price"] for item in priced] == ["70000.00", "95000.00"]
    assert all(item["distance_km"] is not None for item in priced)


def test_price_ordering_puts_unpriced_garages_last(api: APIClient, water_pump: Service) -> None:
    for name, price in [("Ask Us", None), ("Dear", "120000"), ("Cheap", "55000")]:
        offer(make_listing(name), water_pump, price)
    make_listing("No Pump")
    assert names(api.get(MECHANICS, {"service": str(water_pump.pk), "ordering": "price"})) == [
        "Cheap",
        "Dear",
        "Ask Us",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "distance"}, "ordering"),
        ({"ordering": "price"}, "ordering"),
        ({"ordering": "relevance"}, "ordering"),
        ({"ordering": "cheapest"}, "ordering"),
    ],
)
def test_an_ordering_without_what_it_needs_is_400(api: APIClient, params: dict[str, str], field: str) -> None:
    response = api.get(MECHANICS, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_the_sqlite_index_has_its_triggers_and_matches_the_table(water_pump: Service) -> None:
    garage = make_listing("Trigger Garage")
    offer(garage, water_pump, "1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='directory_mechanic'")
        assert {row[0] for row in cursor.fetchall()} >= {
            "directory_mechanic_fts_ai",
            "directory_mechanic_fts_ad",
            "directory_mechanic_fts_au",
        }
        cursor.execute("INSERT INTO directory_mechanic_fts(directory_mechanic_fts) VALUES ('integrity-check')")
        cursor.execute("SELECT count(*) FROM directory_mechanic_fts WHERE directory_mechanic_fts MATCH 'water'")
        assert cursor.fetchone()[0] == 1
