"""Every failure of the accounts API leaves in the one error shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

import accounts.api.views
from accounts.models import User, UserProfile

pytestmark = pytest.mark.django_db

SOME_VEHICLE = f"/api/v1/vehicles/{uuid.uuid4()}"


def assert_error_shape(response: Any, status: HTTPStatus, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/me"),
        ("patch", "/api/v1/me"),
        ("delete", "/api/v1/me"),
        ("post", "/api/v1/me/password"),
        ("post", "/api/v1/me/email"),
        ("post", "/api/v1/me/email/verification"),
        ("get", "/api/v1/vehicles"),
        ("post", "/api/v1/vehicles"),
        ("get", SOME_VEHICLE),
        ("put", SOME_VEHICLE),
        ("patch", SOME_VEHICLE),
        ("delete", SOME_VEHICLE),
    ],
)
def test_anonymous_callers_get_401_on_every_private_endpoint(api_client: APIClient, method: str, path: str) -> None:
    response = getattr(api_client, method)(path, {})

    assert_error_shape(response, HTTPStatus.UNAUTHORIZED, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_forged_token_is_a_401(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")

    assert_error_shape(api_client.get("/api/v1/me"), HTTPStatus.UNAUTHORIZED, "token_not_valid")


def test_a_role_that_may_not_is_a_403(mechanic: User, client_for: Callable[[User], APIClient]) -> None:
    assert_error_shape(client_for(mechanic).get("/api/v1/vehicles"), HTTPStatus.FORBIDDEN, "permission_denied")


def test_an_unknown_api_path_is_a_404_in_the_shape(driver: User, client_for: Callable[[User], APIClient]) -> None:
    assert_error_shape(client_for(driver).get("/api/v1/no-such-thing"), HTTPStatus.NOT_FOUND, "not_found")
    assert_error_shape(client_for(driver).get(SOME_VEHICLE), HTTPStatus.NOT_FOUND, "not_found")


def test_a_wrong_method_is_a_405(driver: User, client_for: Callable[[User], APIClient]) -> None:
    assert_error_shape(client_for(driver).put("/api/v1/me", {}), HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")
    login = APIClient().get("/api/v1/auth/login")
    assert_error_shape(login, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh"])
def test_malformed_json_is_a_400_parse_error(path: str) -> None:
    response = APIClient().generic("POST", path, '{"email": "a@example.com", ', content_type="application/json")

    assert_error_shape(response, HTTPStatus.BAD_REQUEST, "parse_error")


def test_malformed_json_on_a_private_endpoint_changes_nothing(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).generic("PATCH", "/api/v1/me", "{'full_name': 'x'}", content_type="application/json")

    assert_error_shape(response, HTTPStatus.BAD_REQUEST, "parse_error")
    assert UserProfile.objects.get(user=driver).full_name == "Driver"


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/login"])
def test_a_wrong_content_type_is_a_415(path: str) -> None:
    response = APIClient().generic("POST", path, "email=a@example.com&password=x", content_type="text/plain")

    assert_error_shape(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")


def test_a_wrong_content_type_on_a_private_endpoint_is_a_415(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).generic("PATCH", "/api/v1/me", "<full_name/>", content_type="application/xml")

    assert_error_shape(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": f"{'a' * 250}@example.com", "password": "a-long-and-unusual-passphrase"}, "email"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
        ({"email": "a@example.com", "password": "a-long-and-unusual-passphrase", "full_name": "x" * 151}, "full_name"),
        ({"email": "a@example.com", "password": "a-long-and-unusual-passphrase", "phone": "1" * 33}, "phone"),
        ({"email": "not-an-email", "password": "a-long-and-unusual-passphrase"}, "email"),
        ({"email": "a@example.com", "password": "a-long-and-unusual-passphrase", "is_staff": True}, "is_staff"),
    ],
)
def test_overlong_invalid_or_unknown_fields_are_named(body: dict[str, Any], field: str) -> None:
    response = APIClient().post("/api/v1/auth/register", body)

    error = assert_error_shape(response, HTTPStatus.BAD_REQUEST, "validation_error")
    assert list(error["fields"]) == [field]
    assert not User.objects.exists()


def test_every_unknown_field_is_named_alongside_other_errors() -> None:
    response = APIClient().post("/api/v1/auth/login", {"email": "nope", "pasword": "typo", "remember": True})

    error = assert_error_shape(response, HTTPStatus.BAD_REQUEST, "validation_error")
    assert error["fields"] == {
        "pasword": ["Unknown field."],
        "remember": ["Unknown field."],
        "email": ["Enter a valid email address."],
        "password": ["This field is required."],
    }


def test_a_json_body_that_is_not_an_object_is_a_400() -> None:
    response = APIClient().post("/api/v1/auth/login", ["a@example.com", "password"])

    error = assert_error_shape(response, HTTPStatus.BAD_REQUEST, "validation_error")
    assert list(error["fields"]) == ["non_field_errors"]


def test_too_many_requests_is_a_429_in_the_shape(driver: User) -> None:
    client = APIClient()
    for _ in range(5):
        client.post("/api/v1/auth/login", {"email": driver.email, "password": "wrong-password"})

    response = client.post("/api/v1/auth/login", {"email": driver.email, "password": "wrong-password"})

    assert_error_shape(response, HTTPStatus.TOO_MANY_REQUESTS, "throttled")
    assert int(response["Retry-After"]) > 0


def test_an_unexpected_error_is_a_500_that_leaks_nothing(
    driver: User, client_for: Callable[[User], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(accounts.api.views, "profile_update", explode)

    response = client_for(driver).patch("/api/v1/me", {"full_name": "Ada"})

    error = assert_error_shape(response, HTTPStatus.INTERNAL_SERVER_ERROR, "server_error")
    assert error["fields"] == {}
    text = response.content.decode()
    for leak in ("hunter2", "RuntimeError", "Traceback", "views.py", "explode"):
        assert leak not in text


def test_a_500_outside_drf_also_leaks_nothing(driver: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret hunter2")

    # Django's handler500 answers for failures outside DRF's exception handling, such as this dispatch.
    monkeypatch.setattr(accounts.api.views.MeView, "dispatch", explode)
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/me")

    assert_error_shape(response, HTTPStatus.INTERNAL_SERVER_ERROR, "server_error")
    assert "hunter2" not in response.content.decode()
