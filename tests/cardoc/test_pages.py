"""The landing page at / and the JSON answer for unknown /api/ paths."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_landing_page_says_what_cardoc_does_and_links_onwards(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    assert [t.name for t in response.templates] == ["cardoc/home.html", "base.html"]
    page = response.content.decode()
    assert "warning lights" in page
    for url in ("/api/docs/", "/api/schema/", "/admin/", "/accounts/login/"):
        assert f'href="{url}"' in page
        assert client.get(url).status_code in {HTTPStatus.OK, HTTPStatus.FOUND}


def test_the_landing_page_has_no_inline_script_and_nothing_from_elsewhere(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page


def test_the_landing_page_opens_for_a_signed_in_mechanic(client: Client, mechanic: User) -> None:
    client.force_login(mechanic)
    response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    assert "Log out" in response.content.decode()


def test_the_admin_view_site_link_leads_to_it(client: Client, staff: User) -> None:
    client.force_login(staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'href="/"' in page


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "production"])
@pytest.mark.parametrize(
    "path", ["/api/", "/api", "/api/v1/no-such-thing", "/api/v2/vehicles", "/api/v1/vehicles/x/y/z"]
)
def test_an_unknown_api_path_answers_the_json_error_shape(client: Client, path: str, debug: bool) -> None:
    with override_settings(DEBUG=debug):
        response = client.get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"]
    assert error["fields"] == {}


def test_an_unknown_api_path_answers_json_for_every_method() -> None:
    # CSRF checks on, as a real server has them: an API client sends no CSRF token.
    client = Client(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/no-such-thing", data={}, content_type="application/json")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["error"]["code"] == "not_found"


def test_an_api_path_missing_only_its_slash_is_redirected(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "/api/docs/"


def test_known_api_paths_still_answer(client: Client) -> None:
    assert client.get("/api/v1/vehicles").status_code == HTTPStatus.UNAUTHORIZED
    assert client.get("/api/schema/").status_code == HTTPStatus.OK
