"""The directory API: services, mechanics (filters, open now, nearby) and reviews."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from directory.models import EARTH_RADIUS_KM, Mechanic, MechanicService, Review, Service
from tests.conftest import RLS_QUERIES, make_user
from tests.directory.factories import make_listing

pytestmark = pytest.mark.django_db

SERVICES = "/api/v1/services"
MECHANICS = "/api/v1/mechanics"
CENTRE = (3.8480, 11.5021)  # Yaoundé
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


@pytest.fixture
def client(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


def names(response: Any) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.json()
    return [item["business_name"] for item in response.json()["results"]]


def reviews_url(mechanic: Mechanic) -> str:
    return f"{MECHANICS}/{mechanic.pk}/reviews"


def at(moment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix the clock the API reads, as an ISO 8601 UTC time."""
    fixed = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)


# --------------------------------------------------------------------------- access


def test_anonymous_callers_may_read_the_service_catalog(api_client: APIClient) -> None:
    assert api_client.get(SERVICES).status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", [MECHANICS, f"{MECHANICS}/00000000-0000-0000-0000-000000000000"])
def test_anonymous_callers_get_401(api_client: APIClient, path: str) -> None:
    response = api_client.get(path)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_mechanic_is_404(client: APIClient) -> None:
    response = client.get(f"{MECHANICS}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- services


def test_the_service_catalog_lists_and_filters_by_category(
    client: APIClient, oil_change: Service, brake_pads: Service
) -> None:
    body = client.get(SERVICES).json()
    assert {item["name"] for item in body["results"]} == {"Oil change", "Brake pads"}
    assert body["results"][0].keys() >= {"id", "category", "cost_min", "cost_max", "currency"}
    brakes = client.get(SERVICES, {"category": "brakes"}).json()["results"]
    assert [item["name"] for item in brakes] == ["Brake pads"]
    assert client.get(SERVICES, {"category": "cooking"}).status_code == HTTPStatus.BAD_REQUEST


# --------------------------------------------------------------------------- mechanics: filters


def test_a_mechanic_item_shows_its_services_with_their_prices(client: APIClient, listing: Mechanic) -> None:
    item = client.get(f"{MECHANICS}/{listing.pk}").json()
    assert item["business_name"] == "Garage Owned"
    assert item["services"] == [
        {
            "service_id": str(listing.offerings.get().service_id),
            "name": "Oil change",
            "category": "maintenance",
            "price": "25000.00",
            "currency": "XAF",
        }
    ]
    assert item["distance_km"] is None
    assert item["working_hours"] == listing.working_hours


def test_mechanics_filter_by_service_id_or_name(client: APIClient, listing: Mechanic, oil_change: Service) -> None:
    make_listing("No Oil Here")
    assert names(client.get(MECHANICS, {"service": str(oil_change.pk)})) == ["Garage Owned"]
    assert names(client.get(MECHANICS, {"service": "oil CHANGE"})) == ["Garage Owned"]
    assert names(client.get(MECHANICS, {"service": "Teleportation"})) == []


def test_mechanics_filter_by_min_rating_and_verified(client: APIClient) -> None:
    make_listing("Great", rating=Decimal("4.60"), verified=True)
    make_listing("Fine", rating=Decimal("3.90"), verified=False)
    make_listing("Poor", rating=Decimal("2.00"), verified=True)
    assert names(client.get(MECHANICS, {"min_rating": "3.9"})) == ["Fine", "Great"]
    assert names(client.get(MECHANICS, {"verified": "true"})) == ["Great", "Poor"]
    assert names(client.get(MECHANICS, {"verified": "false", "min_rating": 3})) == ["Fine"]


@pytest.mark.parametrize(
    ("params", "field"), [({"min_rating": "6"}, "min_rating"), ({"min_rating": "x"}, "min_rating")]
)
def test_bad_mechanic_filters_are_400(client: APIClient, params: dict[str, str], field: str) -> None:
    response = client.get(MECHANICS, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["error"]["fields"]


def test_open_now_reads_working_hours_in_the_directory_time_zone(
    client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_listing("Early", working_hours={"fri": [["08:00", "12:00"]]})
    make_listing("Late", working_hours={"fri": [["09:00", "20:00"]]})
    make_listing("Weekend", working_hours={"sat": [["08:00", "18:00"]]})
    # Friday 07:30 UTC is 08:30 in Yaoundé (UTC+1): the early garage has opened, the late one has not.
    at("2026-11-27T07:30:00", monkeypatch)

    assert names(client.get(MECHANICS, {"open_now": "true"})) == ["Early"]
    assert names(client.get(MECHANICS, {"open_now": "false"})) == ["Late", "Weekend"]
    flags = {item["business_name"]: item["open_now"] for item in client.get(MECHANICS).json()["results"]}
    assert flags == {"Early": True, "Late": False, "Weekend": False}


def test_open_now_understands_split_days_and_closing_time(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_listing("Split", working_hours={"fri": [["08:00", "12:00"], ["14:00", "18:00"]]})
    at("2026-11-27T12:00:00", monkeypatch)  # 13:00 local: closed for lunch
    assert names(client.get(MECHANICS, {"open_now": "true"})) == []
    at("2026-11-27T13:00:00", monkeypatch)  # 14:00 local: open again
    assert names(client.get(MECHANICS, {"open_now": "true"})) == ["Split"]
    at("2026-11-27T17:00:00", monkeypatch)  # 18:00 local: just closed
    assert names(client.get(MECHANICS, {"open_now": "true"})) == []


def test_a_new_listings_time_zone_defaults_to_the_setting(
    client: APIClient, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DIRECTORY_TIME_ZONE = "UTC"
    early = make_listing("Early", working_hours={"fri": [["08:00", "12:00"]]})
    assert early.time_zone == "UTC"
    at("2026-11-27T07:30:00", monkeypatch)
    assert names(client.get(MECHANICS, {"open_now": "true"})) == []


# --------------------------------------------------------------------------- mechanics: nearby


def offset(north_km: float, east_km: float, origin: tuple[float, float] = CENTRE) -> dict[str, float]:
    latitude = origin[0] + north_km / KM_PER_DEGREE
    longitude = origin[1] + east_km / (KM_PER_DEGREE * math.cos(math.radians(origin[0])))
    return {"latitude": latitude, "longitude": longitude}


def test_near_returns_mechanics_within_the_radius_nearest_first(client: APIClient) -> None:
    make_listing("Three east", **offset(0, 3))
    make_listing("One north", **offset(1, 0))
    make_listing("Two south west", **offset(-1.5, -1.3))
    make_listing("Twenty away", **offset(20, 0))

    response = client.get(MECHANICS, {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 5})

    assert names(response) == ["One north", "Two south west", "Three east"]
    distances = [item["distance_km"] for item in response.json()["results"]]
    assert distances == pytest.approx([1.0, math.hypot(1.5, 1.3), 3.0], abs=0.01)


def test_near_without_radius_uses_ten_km(client: APIClient) -> None:
    make_listing("Nine", **offset(9, 0))
    make_listing("Eleven", **offset(11, 0))
    assert names(client.get(MECHANICS, {"near": f"{CENTRE[0]},{CENTRE[1]}"})) == ["Nine"]


def test_the_corners_of_the_bounding_box_are_not_within_the_radius(client: APIClient) -> None:
    # 4 km north and 4 km east is inside the 5 km box but 5.66 km away.
    make_listing("Corner", **offset(4, 4))
    make_listing("Edge", **offset(4.9, 0))
    assert names(client.get(MECHANICS, {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 5})) == ["Edge"]


def test_near_combines_with_other_filters(client: APIClient, oil_change: Service) -> None:
    close = make_listing("Close, no oil", **offset(1, 0))
    further = make_listing("Further, oil", **offset(2, 0))
    MechanicService.objects.create(mechanic=further, service=oil_change)
    assert close
    params = {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 5, "service": "Oil change"}
    assert names(client.get(MECHANICS, params)) == ["Further, oil"]


def test_near_works_across_the_antimeridian_and_at_the_poles(client: APIClient) -> None:
    make_listing("Fiji east", latitude=-17.0, longitude=179.99)
    make_listing("Fiji west", latitude=-17.0, longitude=-179.99)
    found = names(client.get(MECHANICS, {"near": "-17.0,179.995", "radius_km": 5}))
    assert sorted(found) == ["Fiji east", "Fiji west"]

    make_listing("Pole station", latitude=89.99, longitude=170.0)
    assert names(client.get(MECHANICS, {"near": "89.99,-10", "radius_km": 5})) == ["Pole station"]


@pytest.mark.parametrize(
    "params",
    [
        {"near": "here"},
        {"near": "3.8"},
        {"near": "3.8,11.5,2"},
        {"near": "91,11"},
        {"near": "3.8,-181"},
        {"near": "nan,11"},
        {"near": "inf,11"},
        {"near": "3.8,11.5", "radius_km": "0"},
        {"near": "3.8,11.5", "radius_km": "1000"},
        {"near": "3.8,11.5", "radius_km": "far"},
        {"radius_km": "5"},
    ],
)
def test_bad_coordinates_or_radius_are_400_in_the_error_shape(client: APIClient, params: dict[str, str]) -> None:
    response = client.get(MECHANICS, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) <= {"near", "radius_km"}
    assert error["fields"]


@pytest.mark.parametrize("params", [{}, {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius_km": 50, "open_now": "false"}])
def test_the_mechanic_list_uses_a_constant_number_of_queries(
    client: APIClient,
    django_assert_max_num_queries: Any,
    oil_change: Service,
    brake_pads: Service,
    params: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at("2026-11-28T10:00:00", monkeypatch)  # a Saturday: every garage here is closed

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            garage = make_listing(f"Garage {index:02d}", **offset(index * 0.1, 0))
            MechanicService.objects.create(mechanic=garage, service=oil_change, price=1000)
            MechanicService.objects.create(mechanic=garage, service=brake_pads, price=2000)

    add(3, 0)
    # The account, the time zones in use, the count, the page, its offerings and its photos; with `near` on
    # PostgreSQL, also the index probe that bounds the circle (MechanicQuerySet.nearest).
    budget = 6 + RLS_QUERIES + (1 if params and connection.vendor == "postgresql" else 0)
    with django_assert_max_num_queries(budget):
        assert len(client.get(MECHANICS, params).json()["results"]) == 3
    add(27, 3)
    with django_assert_max_num_queries(budget):
        assert len(client.get(MECHANICS, {**params, "page_size": 50}).json()["results"]) == 30


def test_the_service_list_uses_a_constant_number_of_queries(
    client: APIClient, django_assert_max_num_queries: Any
) -> None:
    baker.make(Service, _quantity=3, category="engine", cost_min=1, cost_max=2)
    with django_assert_max_num_queries(4 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(SERVICES).json()["results"]) == 3
    baker.make(Service, _quantity=27, category="engine", cost_min=1, cost_max=2)
    with django_assert_max_num_queries(4 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(SERVICES, {"page_size": 50}).json()["results"]) == 30


# --------------------------------------------------------------------------- reviews


def test_a_first_review_is_201_and_sets_the_aggregate(client: APIClient, driver: User, other_listing: Mechanic) -> None:
    response = client.post(
        reviews_url(other_listing), {"rating": 4, "comment": "Quick and fair."}, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["mechanic_rating"] == "4.00"
    assert response.json()["mechanic_rating_count"] == 1
    other_listing.refresh_from_db()
    assert (other_listing.rating, other_listing.rating_count) == (Decimal("4.00"), 1)
    review = Review.objects.get(user=driver, mechanic=other_listing)
    assert (review.rating, review.comment) == (4, "Quick and fair.")
    event = AuditEvent.objects.get(action="review")
    assert event.user == driver
    assert event.ip_address == "203.0.113.9"
    assert event.details["mechanic_id"] == str(other_listing.pk)


def test_a_second_review_by_the_same_user_replaces_the_first(
    client: APIClient, driver: User, other_listing: Mechanic
) -> None:
    client.post(reviews_url(other_listing), {"rating": 2})
    response = client.post(reviews_url(other_listing), {"rating": 5, "comment": "They fixed it after all."})

    assert response.status_code == HTTPStatus.OK
    assert Review.objects.filter(mechanic=other_listing).count() == 1
    other_listing.refresh_from_db()
    assert (other_listing.rating, other_listing.rating_count) == (Decimal("5.00"), 1)


def test_the_aggregate_is_the_rounded_average_of_everyones_reviews(
    client_for: Callable[[User], APIClient], other_listing: Mechanic, driver: User, other_driver: User, mechanic: User
) -> None:
    for user, rating in ((driver, 5), (other_driver, 4), (mechanic, 4)):
        assert client_for(user).post(reviews_url(other_listing), {"rating": rating}).status_code == HTTPStatus.CREATED
    other_listing.refresh_from_db()
    assert (other_listing.rating, other_listing.rating_count) == (Decimal("4.33"), 3)


def test_a_mechanic_cannot_review_their_own_listing(
    client_for: Callable[[User], APIClient], mechanic: User, listing: Mechanic
) -> None:
    response = client_for(mechanic).post(reviews_url(listing), {"rating": 5})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "own_listing"
    assert not Review.objects.exists()
    listing.refresh_from_db()
    assert listing.rating_count == 0


@pytest.mark.parametrize(
    "payload", [{"rating": 0}, {"rating": 6}, {"rating": "great"}, {}, {"rating": 3, "comment": "x" * 2001}]
)
def test_a_bad_review_is_400(client: APIClient, other_listing: Mechanic, payload: dict[str, Any]) -> None:
    response = client.post(reviews_url(other_listing), payload)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"].keys() <= {"rating", "comment"}
    assert response.json()["error"]["fields"]
    assert not Review.objects.exists()


def test_reviewing_needs_a_signed_in_user_and_a_real_listing(
    api_client: APIClient, client: APIClient, other_listing: Mechanic
) -> None:
    assert api_client.post(reviews_url(other_listing), {"rating": 3}).status_code == HTTPStatus.UNAUTHORIZED
    missing = f"{MECHANICS}/00000000-0000-0000-0000-000000000000/reviews"
    assert client.post(missing, {"rating": 3}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite takes the write lock at BEGIN (IMMEDIATE), so writers never overlap and there is no race to test",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_all_count_in_the_aggregate(
    client_for: Callable[[User], APIClient], other_mechanic: User
) -> None:
    garage = make_listing("Busy Garage", owners=[other_mechanic])
    ratings = [5, 4, 3, 5, 2, 4, 5, 1]
    clients = [client_for(make_user(f"reviewer{index}@example.com")) for index in range(len(ratings))]
    start = threading.Barrier(len(ratings))
    statuses: list[int] = []

    def post(api: APIClient, rating: int) -> None:
        try:
            start.wait()
            statuses.append(api.post(reviews_url(garage), {"rating": rating}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, ratings, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [HTTPStatus.CREATED] * len(ratings)
    garage.refresh_from_db()
    assert garage.rating_count == len(ratings) == Review.objects.filter(mechanic=garage).count()
    expected = (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert garage.rating == expected
