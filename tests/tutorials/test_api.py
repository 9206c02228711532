"""GET /api/v1/tutorials and /api/v1/tutorials/{id}: filters, and a view counter that never loses a view."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from tests.conftest import RLS_QUERIES, make_user
from tutorials.models import Tutorial

pytestmark = pytest.mark.django_db

TUTORIALS = "/api/v1/tutorials"


@pytest.fixture
def client(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


def tutorial(slug: str, **fields: Any) -> Tutorial:
    return baker.make(Tutorial, slug=slug, title=slug.title(), duration_seconds=120, **fields)


def slugs(response: Any) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


def test_anonymous_callers_may_read_the_tutorials(api_client: APIClient) -> None:
    video = tutorial("oil-change")
    assert slugs(api_client.get(TUTORIALS)) == ["oil-change"]
    assert api_client.get(f"{TUTORIALS}/{video.pk}").status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", [TUTORIALS, f"{TUTORIALS}/00000000-0000-0000-0000-000000000000"])
def test_a_bad_token_gets_401(api_client: APIClient, path: str) -> None:
    assert api_client.get(path, HTTP_AUTHORIZATION="Bearer junk").status_code == HTTPStatus.UNAUTHORIZED


def test_an_unknown_tutorial_is_404(client: APIClient) -> None:
    response = client.get(f"{TUTORIALS}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_tutorials_filter_by_warning_light_engine_sound_and_difficulty(client: APIClient, seeded: None) -> None:
    for_oil = slugs(client.get(TUTORIALS, {"warning_light": "oil_pressure", "page_size": 100}))
    assert for_oil
    assert set(for_oil) == set(WarningLight.objects.get(code="oil_pressure").tutorials.values_list("slug", flat=True))

    for_knock = slugs(client.get(TUTORIALS, {"engine_sound": "rod_knock", "page_size": 100}))
    assert set(for_knock) == set(EngineSound.objects.get(code="rod_knock").tutorials.values_list("slug", flat=True))

    advanced = client.get(TUTORIALS, {"difficulty": "advanced", "page_size": 100}).json()["results"]
    assert advanced
    assert {item["difficulty"] for item in advanced} == {"advanced"}


def test_an_unknown_code_finds_no_tutorials(client: APIClient, seeded: None) -> None:
    assert slugs(client.get(TUTORIALS, {"warning_light": "nope"})) == []


def test_a_bad_difficulty_is_400(client: APIClient) -> None:
    response = client.get(TUTORIALS, {"difficulty": "impossible"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "difficulty" in response.json()["error"]["fields"]


def test_items_show_the_codes_they_explain(client: APIClient) -> None:
    light = baker.make(WarningLight, code="abs", severity="moderate", colour="amber")
    item = tutorial("abs-basics")
    item.warning_lights.add(light)
    body = client.get(f"{TUTORIALS}/{item.pk}").json()
    assert body["warning_lights"] == ["abs"]
    assert body["engine_sounds"] == []


def test_each_detail_get_counts_one_view(client: APIClient) -> None:
    item = tutorial("counted")
    before = Tutorial.objects.get(pk=item.pk).updated_at
    counts = [client.get(f"{TUTORIALS}/{item.pk}").json()["view_count"] for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    item.refresh_from_db()
    assert item.view_count == 5
    assert item.updated_at == before


def test_listing_counts_no_views(client: APIClient) -> None:
    item = tutorial("listed")
    client.get(TUTORIALS)
    item.refresh_from_db()
    assert item.view_count == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time; see the test above")
@pytest.mark.django_db(transaction=True)
def test_concurrent_views_are_all_counted(client_for: Callable[[User], APIClient]) -> None:
    item = tutorial("popular")
    users = [make_user(f"viewer{index}@example.com") for index in range(8)]
    views_each = 5
    start = threading.Barrier(len(users))
    failures: list[BaseException] = []

    def view(user: User) -> None:
        try:
            api = client_for(user)
            start.wait()
            for _ in range(views_each):
                assert api.get(f"{TUTORIALS}/{item.pk}").status_code == HTTPStatus.OK
        except BaseException as exc:  # collected, and asserted empty in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=view, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    item.refresh_from_db()
    assert item.view_count == len(users) * views_each


def test_the_list_uses_a_constant_number_of_queries(client: APIClient, django_assert_max_num_queries: Any) -> None:
    light = baker.make(WarningLight, code="abs", severity="moderate", colour="amber")
    sound = baker.make(EngineSound, code="knock", frequency_low_hz=1, frequency_high_hz=2, sound_type="knocking")

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            item = tutorial(f"t{index}")
            item.warning_lights.add(light)
            item.engine_sounds.add(sound)

    add(3, 0)
    with django_assert_max_num_queries(6 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(TUTORIALS).json()["results"]) == 3
    add(27, 3)
    with django_assert_max_num_queries(6 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(TUTORIALS, {"page_size": 50, "warning_light": "abs"}).json()["results"]) == 30
