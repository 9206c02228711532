"""The schema tells the truth: nullable fields say so, bad paging is a documented 400 (issue 14, defect 8)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_client: APIClient) -> dict[str, Any]:
    return api_client.get("/api/schema/", {"format": "json"}).json()


def test_fields_that_come_back_null_are_declared_nullable(
    schema: dict[str, Any], driver: User, client_for: Callable[[User], APIClient]
) -> None:
    baker.make(DiagnosticRecord, user=driver, vehicle=None, diagnostic_type="dashboard_scan", image="x.jpg")

    item = client_for(driver).get("/api/v1/diagnostics").json()["results"][0]

    properties = schema["components"]["schemas"]["Diagnostic"]["properties"]
    for name in ("vehicle", "audio_url"):
        assert item[name] is None
        assert properties[name].get("nullable") is True


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/warning-lights", {"page": 0}, "page"),
        ("/api/v1/warning-lights", {"page": "abc"}, "page"),
        ("/api/v1/warning-lights", {"page": 999}, "page"),
        ("/api/v1/diagnostics", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_bad_page_or_cursor_is_a_400_naming_it(
    path: str, params: dict[str, object], field: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).get(path, params)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]


def test_every_paginated_list_documents_its_400(schema: dict[str, Any]) -> None:
    lists = [
        (path, operation)
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if {p["name"] for p in operation.get("parameters", [])} & {"page", "cursor"}
    ]

    assert lists
    for path, operation in lists:
        assert "400" in operation["responses"], path


def test_the_model_operations_document_their_errors(schema: dict[str, Any]) -> None:
    deploy = schema["paths"]["/api/v1/models/{id}/deploy"]["post"]["responses"]
    traffic = schema["paths"]["/api/v1/models/{id}/traffic"]["post"]["responses"]
    listing = schema["paths"]["/api/v1/models"]["get"]["responses"]

    assert {"200", "401", "403", "404", "409"} <= set(deploy)
    assert {"200", "400", "401", "403", "404", "409"} <= set(traffic)
    assert {"200", "401", "403"} <= set(listing)
