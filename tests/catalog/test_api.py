"""GET /api/v1/warning-lights and /api/v1/engine-sounds: lists, filters, search and details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from tests.conftest import RLS_QUERIES
from tutorials.models import Tutorial

pytestmark = pytest.mark.django_db

LIGHTS = "/api/v1/warning-lights"
SOUNDS = "/api/v1/engine-sounds"


@pytest.fixture
def client(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


def light(code: str, **fields: Any) -> WarningLight:
    fields = {"name": code.title(), "description": "A lamp.", "severity": "moderate", "colour": "amber", **fields}
    return baker.make(WarningLight, code=code, **fields)


def sound(code: str, **fields: Any) -> EngineSound:
    fields = {
        "name": code.title(),
        "description": "A noise.",
        "severity": "moderate",
        "sound_type": "knocking",
        "frequency_low_hz": 50,
        "frequency_high_hz": 500,
        **fields,
    }
    return baker.make(EngineSound, code=code, **fields)


def codes(response: Any) -> list[str]:
    return [item["code"] for item in response.json()["results"]]


@pytest.mark.parametrize("path", [LIGHTS, f"{LIGHTS}/abs", SOUNDS, f"{SOUNDS}/rod_knock"])
def test_anonymous_callers_may_read_the_catalog(api_client: APIClient, path: str) -> None:
    light("abs")
    sound("rod_knock")
    assert api_client.get(path).status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", [LIGHTS, f"{LIGHTS}/abs"])
def test_a_bad_token_gets_401(api_client: APIClient, path: str) -> None:
    light("abs")
    response = api_client.get(path, HTTP_AUTHORIZATION="Bearer junk")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "token_not_valid"


@pytest.mark.parametrize("path", [f"{LIGHTS}/nope", f"{SOUNDS}/nope"])
def test_an_unknown_code_is_404(client: APIClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_every_signed_in_role_may_read_the_catalog(
    client_for: Callable[[User], APIClient], mechanic: User, staff: User
) -> None:
    light("abs")
    for user in (mechanic, staff):
        assert client_for(user).get(f"{LIGHTS}/abs").status_code == HTTPStatus.OK


def test_the_light_list_is_paginated_and_ordered_by_code(client: APIClient) -> None:
    for code in ("c", "a", "b"):
        light(code)
    body = client.get(LIGHTS).json()
    assert body["count"] == 3
    assert [item["code"] for item in body["results"]] == ["a", "b", "c"]


def test_lights_filter_by_severity_colour_and_manufacturer(client: APIClient) -> None:
    light("red_one", severity="critical", colour="red")
    light("amber_one", severity="moderate", colour="amber", manufacturer="Toyota")
    light("green_one", severity="informational", colour="green")

    assert codes(client.get(LIGHTS, {"severity": "critical"})) == ["red_one"]
    assert codes(client.get(LIGHTS, {"colour": "green"})) == ["green_one"]
    assert codes(client.get(LIGHTS, {"manufacturer": "toyota"})) == ["amber_one"]
    assert codes(client.get(LIGHTS, {"severity": "moderate", "colour": "red"})) == []


def test_lights_filter_by_updated_since(client: APIClient) -> None:
    old, new = light("old"), light("new")
    WarningLight.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert codes(client.get(LIGHTS, {"updated_since": since})) == [new.code]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"severity": "apocalyptic"}, "severity"),
        ({"colour": "purple"}, "colour"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_light_filters_are_400_naming_the_parameter(client: APIClient, params: dict[str, str], field: str) -> None:
    response = client.get(LIGHTS, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


def test_search_ranks_oil_pressure_first_for_oil_light_engine(client: APIClient, seeded: None) -> None:
    response = client.get(LIGHTS, {"search": "oil light engine"})
    assert response.status_code == HTTPStatus.OK
    assert codes(response)[0] == "oil_pressure"


def test_search_combines_with_the_other_filters(client: APIClient, seeded: None) -> None:
    found = codes(client.get(LIGHTS, {"search": "oil light engine", "severity": "moderate"}))
    assert found
    assert "oil_pressure" not in found
    assert set(WarningLight.objects.filter(code__in=found).values_list("severity", flat=True)) == {"moderate"}


def test_light_items_carry_an_absolute_icon_url(client: APIClient, seeded: None) -> None:
    item = client.get(f"{LIGHTS}/battery").json()
    assert item["icon_url"] == "http://testserver/media/catalog/icons/battery.png"


def test_a_light_without_an_icon_has_a_null_icon_url(client: APIClient) -> None:
    light("bare")
    assert client.get(f"{LIGHTS}/bare").json()["icon_url"] is None


def test_the_light_detail_lists_the_tutorials_that_explain_it(client: APIClient) -> None:
    abs_light = light("abs")
    tutorial = baker.make(Tutorial, slug="abs-basics", title="ABS basics", duration_seconds=60)
    tutorial.warning_lights.add(abs_light)
    baker.make(Tutorial, slug="unrelated", duration_seconds=60)

    body = client.get(f"{LIGHTS}/abs").json()

    assert [t["slug"] for t in body["tutorials"]] == ["abs-basics"]
    assert body["tutorials"][0]["title"] == "ABS basics"
    assert body["common_causes"] == abs_light.common_causes


def test_sounds_filter_by_sound_type_and_severity(client: APIClient) -> None:
    sound("knock", sound_type="knocking", severity="critical")
    sound("squeal", sound_type="squealing", severity="moderate")
    assert codes(client.get(SOUNDS, {"sound_type": "squealing"})) == ["squeal"]
    assert codes(client.get(SOUNDS, {"severity": "critical"})) == ["knock"]
    response = client.get(SOUNDS, {"sound_type": "humming"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "sound_type" in response.json()["error"]["fields"]


def test_sounds_are_searchable(client: APIClient, seeded: None) -> None:
    assert codes(client.get(SOUNDS, {"search": "belt squeal"}))[0] == "belt_squeal"


def test_the_sound_detail_lists_its_tutorials(client: APIClient) -> None:
    knock = sound("rod_knock")
    tutorial = baker.make(Tutorial, slug="knock", duration_seconds=60)
    tutorial.engine_sounds.add(knock)
    body = client.get(f"{SOUNDS}/rod_knock").json()
    assert body["frequency_low_hz"] == 50
    assert [t["slug"] for t in body["tutorials"]] == ["knock"]


@pytest.mark.parametrize(("path", "make"), [(LIGHTS, light), (SOUNDS, sound)])
@pytest.mark.parametrize("params", [{}, {"search": "lamp noise"}])
def test_lists_use_a_constant_number_of_queries(
    client: APIClient, django_assert_max_num_queries: Any, path: str, make: Callable[..., Any], params: dict
) -> None:
    for index in range(3):
        make(f"entry_{index}", description="A lamp noise.")
    with django_assert_max_num_queries(5 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(path, params).json()["results"]) == 3
    for index in range(3, 30):
        make(f"entry_{index}", description="A lamp noise.")
    with django_assert_max_num_queries(5 + RLS_QUERIES):  # +1: the content version
        assert len(client.get(path, {**params, "page_size": 50}).json()["results"]) == 30
