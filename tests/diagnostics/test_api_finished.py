"""POST /api/v1/diagnostics answers 201 with the finished record when the analysis is done in time."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.media_factory import dashboard_photo, upload

# Transactional, so the queued analysis really runs after the upload's commit, inside the request, the
# way TASKS_SYNC runs it for demos; the real bundled models do the work.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("full_catalog", "tasks_sync", "deployed_models"),
]

URL = "/api/v1/diagnostics"


def _photo() -> SimpleUploadedFile:
    return upload("dashboard.jpg", dashboard_photo("oil_pressure"), "image/jpeg")


def test_a_finished_analysis_answers_201_with_the_whole_record(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(
        f"{URL}?wait=10", {"diagnostic_type": "dashboard_scan", "image": _photo()}, format="multipart"
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["result"]["urgency"]
    record = DiagnosticRecord.objects.get(pk=body["id"])
    assert record.status == "completed"
    assert record.result.urgency == body["result"]["urgency"]


def test_a_repeated_client_ref_still_answers_200(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    form = {"diagnostic_type": "dashboard_scan", "client_ref": "6f1c7c0e-3f5e-4d8f-9a8a-2f3b1d9e4c11"}
    first = client.post(f"{URL}?wait=10", {**form, "image": _photo()}, format="multipart")
    again = client.post(f"{URL}?wait=10", {**form, "image": _photo()}, format="multipart")

    assert first.status_code == HTTPStatus.CREATED
    assert again.status_code == HTTPStatus.OK
    assert again.json()["id"] == first.json()["id"]
    assert DiagnosticRecord.objects.count() == 1
