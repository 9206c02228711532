"""Hostile request bodies get a clear 4xx in the one error shape, never a 500 (issue 14, defects 2-4, 10)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test.client import BOUNDARY, encode_multipart
from django.test.utils import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def error_of(response: Any, status: HTTPStatus) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_a_body_over_the_upload_limit_is_a_413(api_client: APIClient) -> None:
    body = json.dumps({"email": "someone@example.com", "password": "x" * 2_700_000})

    response = api_client.post(LOGIN, data=body, content_type="application/json")

    assert error_of(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)["code"] == "request_too_large"
    assert not AuditEvent.objects.exists()


def test_deeply_nested_json_is_a_400_parse_error(api_client: APIClient) -> None:
    body = "[" * 5000 + "]" * 5000

    response = api_client.post(REFRESH, data=body, content_type="application/json")

    assert error_of(response, HTTPStatus.BAD_REQUEST)["code"] == "parse_error"


def test_json_nested_past_the_depth_cap_is_refused_even_when_python_could_parse_it(api_client: APIClient) -> None:
    body = json.dumps({"refresh": "x", "extra": json.loads("[" * 200 + "]" * 200)})

    response = api_client.post(REFRESH, data=body, content_type="application/json")

    assert error_of(response, HTTPStatus.BAD_REQUEST)["code"] == "parse_error"


def test_more_than_a_thousand_form_fields_is_a_400(api_client: APIClient) -> None:
    body = encode_multipart(BOUNDARY, {f"field{i}": "x" for i in range(1200)})

    response = api_client.post(LOGIN, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}")

    assert error_of(response, HTTPStatus.BAD_REQUEST)["code"] == "too_many_fields"


def test_more_than_a_hundred_files_is_a_400(api_client: APIClient, driver: User, client_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {f"file{i}": SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(120)}
    body = encode_multipart(BOUNDARY, files)

    response = client_for(driver).post(
        "/api/v1/diagnostics", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )

    assert error_of(response, HTTPStatus.BAD_REQUEST)["code"] == "too_many_files"


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_503_with_retry_after(api_client: APIClient) -> None:
    # A real outage: the connection is closed and pointed at a database that cannot be reached.
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/cardoc.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False):
            api = api_client.post(LOGIN, {"email": "someone@example.com", "password": "x" * 12})
            health = api_client.get("/health/")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert error_of(api, HTTPStatus.SERVICE_UNAVAILABLE)["code"] == "service_unavailable"
    assert api["Retry-After"].isdigit()
    assert error_of(health, HTTPStatus.SERVICE_UNAVAILABLE)["code"] == "service_unavailable"
    assert health["Retry-After"].isdigit()
