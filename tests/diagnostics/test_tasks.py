"""The analysis task: pending → in progress → completed or failed, one transaction for the result, retries.

The models are replaced here by ``fake_models`` so each test chooses exactly what they report (and how they
fail); test_real_models.py runs the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from diagnostics.services import diagnostic_sweep_stuck
from diagnostics.tasks import analyze_diagnostic
from mlops.inference import MediaError, ModelUnavailableError
from tests.diagnostics.conftest import FakeModels
from tests.diagnostics.media_factory import photo, recording

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "tasks_sync")]

URL = "/api/v1/diagnostics"


def _diagnose(client: APIClient, capture: Any, diagnostic_type: str = "dashboard_scan") -> DiagnosticRecord:
    files = {
        "dashboard_scan": {"image": photo()},
        "engine_sound": {"audio": recording()},
        "combined": {"image": photo(), "audio": recording()},
    }[diagnostic_type]
    with capture(execute=True):
        response = client.post(URL, {"diagnostic_type": diagnostic_type, **files}, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return DiagnosticRecord.objects.get(pk=response.json()["id"])


def test_a_dashboard_scan_completes_with_detections_linked_to_the_catalog(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.lights = [("oil_pressure", 0.93, (10, 12, 60, 58)), ("battery", 0.88, (80, 12, 130, 60))]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "completed"
    assert record.attempts == 1
    assert record.started_at is not None and record.finished_at is not None
    assert record.error_message == ""
    result = record.result
    assert result.urgency == "immediate"
    assert result.overall_confidence == pytest.approx(0.93)
    detections = {d.warning_light.code: d for d in result.detections.select_related("warning_light")}
    assert set(detections) == {"oil_pressure", "battery"}
    assert detections["oil_pressure"].box == (10, 12, 60, 58)
    assert detections["oil_pressure"].ml_model == fake_models.dashboard_model
    assert list(record.ml_models.all()) == [fake_models.dashboard_model]
    assert result.analysis["dashboard"]["model"]["name"] == "dashboard-test"
    assert {"inference_ms", "queue_wait_ms", "total_ms"} <= set(result.analysis["timings"])
    events = [e.details["event"] for e in AuditEvent.objects.filter(action="diagnostic").order_by("timestamp")]
    assert events == ["created", "completed"]


def test_codes_missing_from_the_catalog_are_kept_in_the_analysis_but_not_linked(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.lights = [("adblue", 0.97, (0, 0, 10, 10)), ("high_beam", 0.6, (20, 0, 30, 10))]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    result = record.result
    assert [d.warning_light.code for d in result.detections.all()] == ["high_beam"]
    assert result.analysis["not_in_catalog"] == ["adblue"]
    assert [d["code"] for d in result.analysis["dashboard"]["detections"]] == ["adblue", "high_beam"]
    # Only linked findings count: the overall confidence ignores the unlinked 0.97.
    assert result.overall_confidence == pytest.approx(0.6)
    assert result.urgency == "monitoring"


def test_an_engine_recording_is_linked_with_the_span_where_it_was_heard(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.sound = ("water_pump", 0.81)
    fake_models.windows = [
        ("normal_idle", 0.6, 0.0, 1.0),
        ("water_pump", 0.85, 0.5, 1.5),
        ("water_pump", 0.8, 1.0, 2.0),
    ]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, "engine_sound")

    detection = record.result.detections.get()
    assert detection.engine_sound.code == "water_pump"
    assert (detection.start_s, detection.end_s) == (0.5, 2.0)
    assert detection.box is None
    assert record.result.urgency == "soon"
    assert record.result.overall_confidence == pytest.approx(0.81)
    assert len(record.result.analysis["engine_sound"]["windows"]) == 3


def test_an_unknown_sound_completes_with_no_finding_and_confidence_zero(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.sound = ("unknown", 0.42)

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, "engine_sound")

    assert record.status == "completed"
    assert not record.result.detections.exists()
    assert record.result.overall_confidence == 0
    assert record.result.urgency == "monitoring"
    assert record.result.analysis["engine_sound"]["verdict"] == {"code": "unknown", "confidence": 0.42}


def test_a_combined_diagnostic_merges_light_and_sound_into_one_urgency(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.lights = [("high_beam", 0.9, (0, 0, 5, 5))]
    fake_models.sound = ("water_pump", 0.7)

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, "combined")

    assert record.result.urgency == "soon"
    assert record.result.detections.count() == 2
    assert set(record.ml_models.all()) == {fake_models.dashboard_model, fake_models.engine_model}


def test_a_task_delivered_twice_leaves_the_same_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.lights = [("battery", 0.9, (1, 1, 9, 9))]
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)
    result_id = record.result.pk

    assert analyze_diagnostic(str(record.pk)) == "skipped"

    record.refresh_from_db()
    assert record.status == "completed"
    assert record.attempts == 1
    assert record.result.pk == result_id
    assert Detection.objects.count() == 1
    assert fake_models.calls == 1


def test_an_undecodable_file_fails_with_a_clear_message_and_no_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.raises = [MediaError("cannot decode image: broken")]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "failed"
    assert record.error_message == "The uploaded file could not be analysed: cannot decode image: broken"
    assert record.attempts == 1
    assert not DiagnosticResult.objects.exists()
    failed = AuditEvent.objects.get(action="diagnostic", details__event="failed")
    assert failed.status == "failure"
    assert failed.user == driver


def test_an_unexpected_error_fails_without_leaking_its_details(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.raises = [KeyError("secret internals")]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "failed"
    assert record.error_message == "The analysis failed because of an error on our side."
    assert not DiagnosticResult.objects.exists()


def test_a_missing_model_is_retried_then_fails_after_the_bounded_attempts(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.raises = [ModelUnavailableError("No active image classification model is deployed.")] * 5

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "failed"
    assert record.attempts == 3
    assert fake_models.calls == 3
    assert record.error_message.startswith("The analysis could not run after 3 attempts: No active image")
    assert not DiagnosticResult.objects.exists()


def test_the_attempt_bound_is_a_setting(
    settings: Any,
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.DIAGNOSTIC_MAX_ATTEMPTS = 1
    fake_models.raises = [ModelUnavailableError("No active model.")] * 5

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert (record.status, record.attempts, fake_models.calls) == ("failed", 1, 1)


@pytest.mark.parametrize(
    "error", [ModelUnavailableError("artefact failed its check"), OperationalError("database is locked")]
)
def test_a_transient_error_is_retried_and_the_retry_completes(
    error: Exception,
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.raises = [error]
    fake_models.lights = [("check_engine", 0.77, (0, 0, 8, 8))]

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "completed"
    assert record.attempts == 2
    assert record.result.urgency == "soon"
    assert AuditEvent.objects.filter(action="diagnostic", details__event="completed").count() == 1


def test_reanalysis_replaces_the_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    fake_models.lights = [("high_beam", 0.9, (0, 0, 5, 5))]
    record = _diagnose(client, django_capture_on_commit_callbacks)
    old_result = record.result.pk
    fake_models.lights = [("oil_pressure", 0.95, (0, 0, 5, 5))]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}/{record.pk}/analyze")

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json()["status"] == "pending"
    record.refresh_from_db()
    assert record.status == "completed"
    assert record.attempts == 1
    assert not DiagnosticResult.objects.filter(pk=old_result).exists()
    assert [d.warning_light.code for d in record.result.detections.all()] == ["oil_pressure"]
    assert record.result.urgency == "immediate"
    assert DiagnosticResult.objects.count() == 1


def test_a_failed_reanalysis_leaves_no_stale_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    fake_models.lights = [("high_beam", 0.9, (0, 0, 5, 5))]
    record = _diagnose(client, django_capture_on_commit_callbacks)
    fake_models.raises = [MediaError("gone bad")]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}/{record.pk}/analyze")

    record.refresh_from_db()
    assert record.status == "failed"
    assert not DiagnosticResult.objects.exists()


def test_a_run_that_lost_its_record_to_the_sweep_does_not_write_over_the_new_run(
    settings: Any,
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_models.lights = [("battery", 0.9, (0, 0, 5, 5))]

    def sweep_while_running() -> None:
        # The first run looks dead to the sweep (started long ago), which queues the record again.
        fake_models.during = None
        diagnostic_sweep_stuck(queued_ids=set(), now=timezone.now() + timedelta(hours=1))

    fake_models.during = sweep_while_running

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks)

    assert record.status == "completed"
    assert record.attempts == 2
    assert DiagnosticResult.objects.count() == 1
    assert Detection.objects.count() == 1
    assert AuditEvent.objects.filter(action="diagnostic", details__event="completed").count() == 1


def test_a_deleted_record_is_skipped(
    driver: User,
    client_for: Callable[[User], APIClient],
    fake_models: FakeModels,
) -> None:
    assert analyze_diagnostic("5b0a4f4e-8a43-4a53-9d38-6f5e0b7f6d11") == "skipped"
    assert fake_models.calls == 0
