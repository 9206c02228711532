"""One diagnostic through a real django-q2 cluster process (ORM broker) on the test database."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.media_factory import dashboard_photo, upload
from tests.worker_process import qcluster_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/diagnostics"
DEADLINE_S = 60


@pytest.fixture
def qcluster(settings: Any, private_media: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    settings.TASKS_SYNC = False
    # The worker's private storage is <CARDOC_VAR_DIR>/private: the same folder this test uploads into.
    with qcluster_process(var_dir=private_media.parent, log_file=tmp_path / "qcluster.log") as process:
        yield process


@pytest.mark.usefixtures("full_catalog")
def test_a_real_worker_analyses_an_uploaded_dashboard_photo(
    qcluster: subprocess.Popen[bytes], driver: User, client_for: Callable[[User], APIClient], tmp_path: Path
) -> None:
    call_command("load_models", verbosity=0)
    client = client_for(driver)

    response = client.post(
        URL,
        {
            "diagnostic_type": "dashboard_scan",
            "image": upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery"), "image/jpeg"),
        },
        format="multipart",
    )
    assert response.status_code == HTTPStatus.ACCEPTED
    record_id = response.json()["id"]

    deadline = time.monotonic() + DEADLINE_S
    status = "pending"
    while time.monotonic() < deadline and status in ("pending", "in_progress"):
        assert qcluster.poll() is None, (tmp_path / "qcluster.log").read_text()
        status = client.get(f"{URL}/{record_id}", {"wait": 5}).json()["status"]

    assert status == "completed", (tmp_path / "qcluster.log").read_text()[-4000:]
    record = DiagnosticRecord.objects.get(pk=record_id)
    assert record.attempts == 1
    assert record.result.urgency == "immediate"
    assert {"oil_pressure", "battery"} <= set(record.result.detections.values_list("warning_light__code", flat=True))
    assert record.result.analysis["timings"]["total_ms"] > 0


@pytest.mark.usefixtures("full_catalog")
def test_an_upload_that_waits_for_a_real_worker_answers_201_with_the_result(
    qcluster: subprocess.Popen[bytes], driver: User, client_for: Callable[[User], APIClient], tmp_path: Path
) -> None:
    call_command("load_models", verbosity=0)

    response = client_for(driver).post(
        f"{URL}?wait=30",
        {
            "diagnostic_type": "dashboard_scan",
            "image": upload("dashboard.jpg", dashboard_photo("battery"), "image/jpeg"),
        },
        format="multipart",
    )

    assert response.status_code == HTTPStatus.CREATED, (tmp_path / "qcluster.log").read_text()[-4000:]
    body = response.json()
    assert body["status"] == "completed"
    assert DiagnosticRecord.objects.get(pk=body["id"]).result.urgency == body["result"]["urgency"]
