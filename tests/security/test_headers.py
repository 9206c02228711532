"""Security headers: CSP on server pages, no-store on personal API answers, CORS only by setting."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/admin/"])
def test_server_pages_carry_a_content_security_policy_and_still_render(path: str, staff: User) -> None:
    client = Client()
    if path == "/admin/":
        client.force_login(staff)

    response = client.get(path)

    assert response.status_code == HTTPStatus.OK
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # The pages keep to it: no inline script and nothing from another origin.
    html = response.content.decode()
    assert "<script>" not in html


def test_the_mechanics_pages_render_under_the_policy(mechanic: User) -> None:
    client = Client()
    client.force_login(mechanic)

    response = client.get("/mechanics/listings/")

    assert response.status_code == HTTPStatus.OK
    assert "Content-Security-Policy" in response
    assert "<script>" not in response.content.decode()


def test_personal_api_answers_are_never_stored(driver: User, client_for: Callable[[User], APIClient]) -> None:
    for path in ("/api/v1/me", "/api/v1/vehicles", "/api/v1/diagnostics", "/api/v1/maintenance"):
        response = client_for(driver).get(path)
        assert response.status_code == HTTPStatus.OK
        assert response["Cache-Control"] == "no-store", path


def test_a_failed_sign_in_answer_is_not_stored_either(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/auth/login", {"email": "x@example.com", "password": "y" * 12}, HTTP_AUTHORIZATION="Bearer x"
    )

    assert response["Cache-Control"] == "no-store"


def test_public_catalog_answers_may_be_cached(api_client: APIClient, driver: User) -> None:
    response = api_client.get("/api/schema/")

    assert "no-store" not in response.get("Cache-Control", "")


def test_cors_is_off_by_default(api_client: APIClient) -> None:
    response = api_client.options("/api/v1/auth/login", HTTP_ORIGIN="https://evil.example")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_allows_only_the_configured_origins(settings: object, api_client: APIClient) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.cardoc.example"]  # type: ignore[attr-defined]

    allowed = api_client.get("/api/v1/warning-lights", HTTP_ORIGIN="https://app.cardoc.example")
    refused = api_client.get("/api/v1/warning-lights", HTTP_ORIGIN="https://evil.example")

    assert allowed["Access-Control-Allow-Origin"] == "https://app.cardoc.example"
    assert "Access-Control-Allow-Origin" not in refused
