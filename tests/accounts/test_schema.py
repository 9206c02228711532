"""The OpenAPI schema is valid and warning-free, and the Swagger UI works with no internet."""

from __future__ import annotations

import re
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

ACCOUNTS_PATHS = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/me": {"get", "patch", "delete"},
    "/api/v1/me/password": {"post"},
    "/api/v1/vehicles": {"get", "post"},
    "/api/v1/vehicles/{id}": {"get", "put", "patch", "delete"},
}


def test_the_schema_validates_with_no_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yml"

    # --fail-on-warn turns any drf-spectacular warning or error into a SystemExit.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    for path, methods in ACCOUNTS_PATHS.items():
        assert methods <= set(schema["paths"][path]), path
    login_errors = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"400", "401", "415", "429"} <= set(login_errors)
    assert login_errors["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "jwtAuth" in schema["components"]["securitySchemes"]


def test_the_schema_is_served() -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == HTTPStatus.OK
    assert "/api/v1/auth/login" in response.json()["paths"]


def test_the_swagger_ui_loads_only_bundled_files() -> None:
    response = Client().get("/api/docs/")

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert not [url for url in sources if url.startswith(("http:", "https:", "//"))]
    for url in sources:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
