"""One log line per request, with its id: text in development, JSON in production."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.logs import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "cardoc.request"]


def test_each_request_is_one_line_with_its_id_status_and_duration(
    api_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = api_client.get(ME)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", ME, 401)  # type: ignore[attr-defined]
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    assert line.request_id == response["X-Request-ID"]  # type: ignore[attr-defined]
    assert len(response["X-Request-ID"]) == 32
    # Django's own "Unauthorized: /api/v1/me" warning would be the same request logged twice.
    assert [r for r in caplog.records if r.name.startswith("django")] == []


def test_a_proxys_request_id_is_kept_and_a_forged_one_replaced(
    api_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert api_client.get(ME, HTTP_X_REQUEST_ID="edge-4f2a9c1b")["X-Request-ID"] == "edge-4f2a9c1b"
    forged = api_client.get(ME, HTTP_X_REQUEST_ID='x" level=CRITICAL\n')["X-Request-ID"]
    assert forged != 'x" level=CRITICAL\n'
    assert len(forged) == 32


def test_a_signed_in_request_names_its_user(
    driver: User, client_for: Callable[[User], APIClient], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert client_for(driver).get(ME).status_code == HTTPStatus.OK
    (line,) = request_lines(caplog)
    record = logging.LogRecord("x", logging.INFO, "", 0, "", None, None)
    RequestContextFilter().filter(record)
    assert record.user_id == ""  # outside the request, the context is empty again
    assert JsonFormatter().format(line).count("\n") == 0
    assert json.loads(JsonFormatter().format(line))["user_id"] == str(driver.pk)


def test_the_json_format_is_one_object_per_line_with_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("cardoc.test", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    RequestContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "cardoc.test"
    assert entry["message"] == "failed here"
    assert "ValueError: boom" in entry["exception"]
    assert "request_id" not in entry  # empty fields are left out
