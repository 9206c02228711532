"""Writes that cost us are rate-limited per account (issue 14, "Rate limits on every write that costs us")."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from directory.models import Mechanic

pytestmark = pytest.mark.django_db


def test_re_analyses_are_limited_per_account(
    settings: object, driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    # THROTTLE_DIAGNOSTIC_WRITE defaults to 60/hour; a running analysis answers 409, and still counts.
    record = baker.make(DiagnosticRecord, user=driver, diagnostic_type="dashboard_scan", status="pending")
    client = client_for(driver)
    statuses = {client.post(f"/api/v1/diagnostics/{record.pk}/analyze").status_code for _ in range(60)}

    assert statuses == {HTTPStatus.CONFLICT}
    blocked = client.post(f"/api/v1/diagnostics/{record.pk}/analyze")
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(blocked["Retry-After"]) > 0
    upload = client.post("/api/v1/diagnostics", {"diagnostic_type": "dashboard_scan"}, format="multipart")
    assert upload.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # Another account has its own allowance.
    other = client_for(other_driver).post("/api/v1/diagnostics", {"diagnostic_type": "x"}, format="multipart")
    assert other.status_code == HTTPStatus.BAD_REQUEST


def test_reviews_are_limited_per_account(driver: User, client_for: Callable[[User], APIClient]) -> None:
    # THROTTLE_REVIEW_WRITE defaults to 20/hour.
    garage = baker.make(Mechanic, latitude=3.8, longitude=11.5)
    client = client_for(driver)
    statuses = [client.post(f"/api/v1/mechanics/{garage.pk}/reviews", {"rating": 4}).status_code for _ in range(21)]

    assert set(statuses[:20]) <= {HTTPStatus.CREATED, HTTPStatus.OK}
    assert statuses[20] == HTTPStatus.TOO_MANY_REQUESTS


def test_calendar_token_resets_are_limited_per_account(driver: User, client_for: Callable[[User], APIClient]) -> None:
    # THROTTLE_CALENDAR_TOKEN defaults to 10/hour.
    client = client_for(driver)
    statuses = [client.post("/api/v1/maintenance/calendar-token").status_code for _ in range(11)]

    assert set(statuses[:10]) <= {HTTPStatus.CREATED, HTTPStatus.OK}
    assert statuses[10] == HTTPStatus.TOO_MANY_REQUESTS
