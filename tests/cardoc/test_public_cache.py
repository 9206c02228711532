"""The public catalog reads: no sign-in needed, ETags and 304s, cached pages that staff edits make stale."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from directory.models import Service
from tests.admin_form import form_data
from tests.conftest import RLS_QUERIES
from tutorials.models import Tutorial, TutorialWarningLight

pytestmark = pytest.mark.django_db

LIGHTS = "/api/v1/warning-lights"
PUBLIC_PAGES = [LIGHTS, f"{LIGHTS}/abs", "/api/v1/engine-sounds", "/api/v1/engine-sounds/rod_knock"]
PUBLIC_PAGES += ["/api/v1/tutorials", "/api/v1/services", f"{LIGHTS}?search=brake"]


@pytest.fixture
def content() -> None:
    abs_light = baker.make(
        WarningLight, code="abs", name="ABS", description="Anti-lock brakes.", severity="moderate", colour="amber"
    )
    baker.make(
        EngineSound,
        code="rod_knock",
        name="Rod knock",
        description="A deep knock.",
        severity="critical",
        sound_type="knocking",
        frequency_low_hz=50,
        frequency_high_hz=500,
    )
    tutorial = baker.make(Tutorial, slug="abs-check", title="Checking the ABS", duration_seconds=120)
    tutorial.warning_lights.add(abs_light)
    baker.make(Service, name="Brake service", category="brakes", cost_min=10000, cost_max=20000)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_anyone_may_read_the_public_content_without_signing_in(api_client: APIClient, content: None, path: str) -> None:
    response = api_client.get(path)
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["ETag"].startswith('"')
    assert "Accept-Language" in response["Vary"]


def test_a_signed_in_caller_gets_the_same_page(api_client: APIClient, driver: User, content: None) -> None:
    anonymous = api_client.get(LIGHTS)
    api_client.force_authenticate(driver)
    signed_in = api_client.get(LIGHTS)
    assert signed_in.status_code == HTTPStatus.OK
    assert signed_in.content == anonymous.content
    assert signed_in["ETag"] == anonymous["ETag"]


def test_a_bad_token_is_still_refused_when_the_page_is_cached(api_client: APIClient, content: None) -> None:
    assert api_client.get(LIGHTS).status_code == HTTPStatus.OK
    response = api_client.get(LIGHTS, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "token_not_valid"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_matching_etag_gets_304_and_no_body(api_client: APIClient, content: None, path: str) -> None:
    etag = api_client.get(path)["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = api_client.get(path, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == HTTPStatus.NOT_MODIFIED, header
        assert response.content == b""
        assert response["ETag"] == etag
    assert api_client.get(path, HTTP_IF_NONE_MATCH='"stale"').status_code == HTTPStatus.OK


def test_a_cached_page_costs_one_query(
    api_client: APIClient, content: None, django_assert_max_num_queries: pytest.FixtureRequest
) -> None:
    first = api_client.get(LIGHTS)
    with django_assert_max_num_queries(1 + RLS_QUERIES):  # the content version, nothing else
        again = api_client.get(LIGHTS)
    assert again.content == first.content


def test_unknown_codes_and_bad_filters_are_not_cached_as_pages(api_client: APIClient, content: None) -> None:
    assert api_client.get(f"{LIGHTS}/nope").status_code == HTTPStatus.NOT_FOUND
    baker.make(WarningLight, code="nope", name="Nope", description="x", severity="moderate", colour="amber")
    assert api_client.get(f"{LIGHTS}/nope").status_code == HTTPStatus.OK
    response = api_client.get(f"{LIGHTS}?severity=purple")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"


def test_an_admin_edit_shows_on_the_next_request(
    api_client: APIClient, client: Client, staff: User, content: None
) -> None:
    before = api_client.get(f"{LIGHTS}/abs")
    assert before.json()["name"] == "ABS"
    listed_before = api_client.get(LIGHTS)

    client.force_login(staff)
    light = WarningLight.objects.get(code="abs")
    change_url = f"/admin/catalog/warninglight/{light.pk}/change/"
    fields = form_data(client.get(change_url).content.decode(), "warninglight_form")
    fields["name_en"] = "Anti-lock braking system"
    saved = client.post(change_url, fields)
    assert saved.status_code == HTTPStatus.FOUND, saved.content.decode()[:2000]
    assert WarningLight.objects.get(code="abs").name == "Anti-lock braking system"

    after = api_client.get(f"{LIGHTS}/abs", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == HTTPStatus.OK
    assert after.json()["name"] == "Anti-lock braking system"
    assert after["ETag"] != before["ETag"]
    listed = api_client.get(LIGHTS)
    assert listed["ETag"] != listed_before["ETag"]
    assert "Anti-lock braking system" in [item["name"] for item in listed.json()["results"]]


def test_linking_a_tutorial_makes_the_lights_detail_stale(api_client: APIClient, content: None) -> None:
    before = api_client.get(f"{LIGHTS}/abs").json()
    assert [t["slug"] for t in before["tutorials"]] == ["abs-check"]
    other = baker.make(Tutorial, slug="abs-sensor", title="Cleaning an ABS sensor", duration_seconds=300)
    TutorialWarningLight.objects.create(tutorial=other, warning_light=WarningLight.objects.get(code="abs"))
    after = api_client.get(f"{LIGHTS}/abs").json()
    assert sorted(t["slug"] for t in after["tutorials"]) == ["abs-check", "abs-sensor"]


def test_deleting_a_service_removes_it_from_the_cached_list(api_client: APIClient, content: None) -> None:
    assert [s["name"] for s in api_client.get("/api/v1/services").json()["results"]] == ["Brake service"]
    Service.objects.all().delete()
    assert api_client.get("/api/v1/services").json()["results"] == []


def test_a_tutorials_detail_still_counts_every_view(api_client: APIClient, content: None) -> None:
    tutorial = Tutorial.objects.get(slug="abs-check")
    for _ in range(3):
        assert api_client.get(f"/api/v1/tutorials/{tutorial.pk}").status_code == HTTPStatus.OK
    tutorial.refresh_from_db()
    assert tutorial.view_count == 3


def test_each_language_gets_its_own_page(api_client: APIClient, content: None) -> None:
    english = api_client.get(LIGHTS, HTTP_ACCEPT_LANGUAGE="en")
    french = api_client.get(LIGHTS, HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9")
    assert english["Content-Language"] == "en"
    assert french["Content-Language"] == "fr"


def test_a_list_only_catalog_gets_no_detail_route(api_client: APIClient, content: None) -> None:
    service = Service.objects.get()
    response = api_client.get(f"/api/v1/services/{service.pk}")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_the_schema_says_a_bad_token_is_still_a_401(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/warning-lights", "/api/v1/tutorials", "/api/v1/services"):
        assert "401" in schema["paths"][path]["get"]["responses"], path
