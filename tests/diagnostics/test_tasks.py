"""The analysis task: pending → in progress → completed or failed, one transaction for the result, retries.

The bundled models run for real, deployed by ``load_models`` (``deployed_models``), on media whose answer is
known: lit symbols drawn on a dark panel, silence or a pure tone (an unknown sound), and the real engine
recordings where this machine has them. Failures have real causes: a stored file overwritten with broken
bytes, no model deployed, an artefact that no longer matches its checksum, an artefact this code cannot load.
Two moments cannot be produced on demand and are injected at one named seam each (see their docstrings): a
busy database, and a sweep that runs while the model is working.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models.signals import post_save
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from diagnostics.services import SweepReport, diagnostic_sweep_stuck
from diagnostics.tasks import analyze_diagnostic
from mlops.artifacts import write_checksum
from mlops.models import Prediction
from tests.diagnostics.conftest import DeployedModels, overwrite_stored, seed_catalog
from tests.diagnostics.media_factory import (
    PANEL_SIZE,
    dashboard_photo,
    needs_recordings,
    real_recording,
    silence_wav,
    symbol_tiles,
    upload,
    wav_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "tasks_sync")]
# The folder load_models activates on an empty registry: the newest dashboard version.
ACTIVE_DASHBOARD = "dashboard-v3"

URL = "/api/v1/diagnostics"
Box = tuple[int, int, int, int]


def _photo(*codes: str) -> SimpleUploadedFile:
    return upload("dashboard.jpg", dashboard_photo(*codes), "image/jpeg")


def _sound(data: bytes) -> SimpleUploadedFile:
    return upload("engine.wav", data, "audio/wav")


def _post(client: APIClient, files: dict[str, SimpleUploadedFile]) -> DiagnosticRecord:
    diagnostic_type = {("image",): "dashboard_scan", ("audio",): "engine_sound", ("audio", "image"): "combined"}[
        tuple(sorted(files))
    ]
    response = client.post(URL, {"diagnostic_type": diagnostic_type, **files}, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return DiagnosticRecord.objects.get(pk=response.json()["id"])


def _diagnose(client: APIClient, capture: Any, **files: SimpleUploadedFile) -> DiagnosticRecord:
    """Upload, then let the (inline) worker run the queued analysis and any retry it queues."""
    with capture(execute=True):
        record = _post(client, files)
    record.refresh_from_db()
    return record


def _queue(client: APIClient, capture: Any, **files: SimpleUploadedFile) -> DiagnosticRecord:
    """Upload, leaving the analysis queued: the test decides when the worker picks it up."""
    with capture():
        return _post(client, files)


def _inside(box: Box, area: Box) -> bool:
    return area[0] <= box[0] < box[2] <= area[2] and area[1] <= box[1] < box[3] <= area[3]


def _centre_in(box: Box, area: Box) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] < x < area[2] and area[1] < y < area[3]


def _completed_events() -> int:
    return AuditEvent.objects.filter(action="diagnostic", details__event="completed").count()


# --- What the models find ------------------------------------------------------------------------


def test_a_dashboard_scan_completes_with_detections_linked_to_the_catalog(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("oil_pressure", "battery"))

    assert record.status == "completed"
    assert record.attempts == 1
    assert record.started_at is not None and record.finished_at is not None
    assert record.error_message == ""
    result = record.result
    assert result.urgency == "immediate"
    detections = {d.warning_light.code: d for d in result.detections.select_related("warning_light", "ml_model")}
    assert set(detections) == {"oil_pressure", "battery"}
    panel = (0, 0, *PANEL_SIZE)
    for code, tile in zip(("oil_pressure", "battery"), symbol_tiles(2), strict=True):
        detection = detections[code]
        assert _inside(detection.box, panel)
        assert _centre_in(detection.box, tile), (code, detection.box, tile)
        assert 0 < detection.confidence <= 1
        assert detection.ml_model == deployed_models.dashboard
        assert detection.engine_sound is None and detection.start_s is None
    assert result.overall_confidence == max(d.confidence for d in detections.values())
    assert list(record.ml_models.all()) == [deployed_models.dashboard]
    model = deployed_models.dashboard
    assert result.analysis["dashboard"]["model"] == {"id": str(model.pk), "name": model.name, "version": model.version}
    assert {"inference_ms", "queue_wait_ms", "total_ms"} <= set(result.analysis["timings"])
    prediction = Prediction.objects.get()
    assert prediction.ml_model == model
    assert prediction.top_code in detections
    assert prediction.confidence == pytest.approx(result.overall_confidence)
    events = [e.details["event"] for e in AuditEvent.objects.filter(action="diagnostic").order_by("timestamp")]
    assert events == ["created", "completed"]


def test_codes_missing_from_the_catalog_are_kept_in_the_analysis_but_not_linked(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The test catalog has oil_pressure (critical) but not abs (moderate in the full catalog).
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("abs", "oil_pressure"))

    result = record.result
    raw = {d["code"]: d for d in result.analysis["dashboard"]["detections"]}
    assert set(raw) == {"abs", "oil_pressure"}
    linked = result.detections.select_related("warning_light").get()
    assert linked.warning_light.code == "oil_pressure"
    assert result.analysis["not_in_catalog"] == ["abs"]
    # Only linked findings count. The model is surer of the unlinked abs, which is what lets this tell.
    assert raw["abs"]["confidence"] > raw["oil_pressure"]["confidence"], "pick a pair where the unlinked one wins"
    assert result.overall_confidence == linked.confidence
    assert linked.confidence == pytest.approx(raw["oil_pressure"]["confidence"], abs=1e-4)
    assert result.urgency == "immediate"  # from the linked oil_pressure alone


@needs_recordings
def test_an_engine_recording_is_linked_with_the_span_where_it_was_heard(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Two seconds of silence, then one second of a real failing water pump.
    recording = _sound(real_recording("water_pump", after_silence_s=2.0))

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, audio=recording)

    result = record.result
    detection = result.detections.select_related("engine_sound").get()
    assert detection.engine_sound.code == "water_pump"
    assert detection.warning_light is None and detection.box is None
    assert detection.ml_model == deployed_models.engine
    engine = result.analysis["engine_sound"]
    assert engine["verdict"]["code"] == "water_pump"
    heard = [w for w in engine["windows"] if w["code"] == "water_pump"]
    assert (detection.start_s, detection.end_s) == (min(w["start_s"] for w in heard), max(w["end_s"] for w in heard))
    # Windows that lie wholly in the silent lead-in (the last starts at 1.0 s) cannot have heard the pump.
    assert detection.start_s >= 1.5
    assert detection.end_s == pytest.approx(engine["duration_s"])
    assert result.urgency == "soon"
    assert result.overall_confidence == detection.confidence
    assert list(record.ml_models.all()) == [deployed_models.engine]


@pytest.mark.parametrize("sound", [silence_wav(2.0), wav_bytes(2.0, frequency=440.0)], ids=["silence", "a-pure-tone"])
def test_an_unknown_sound_completes_with_no_finding_and_confidence_zero(
    sound: bytes,
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, audio=_sound(sound))

    assert record.status == "completed"
    assert not record.result.detections.exists()
    assert record.result.overall_confidence == 0
    assert record.result.urgency == "monitoring"
    verdict = record.result.analysis["engine_sound"]["verdict"]
    assert verdict["code"] == "unknown"
    # "unknown" is an answer, not a code the catalog lacks.
    assert record.result.analysis["not_in_catalog"] == []
    prediction = Prediction.objects.get()
    assert (prediction.ml_model, prediction.is_unknown, prediction.top_code) == (deployed_models.engine, True, "")
    assert 0 < prediction.confidence <= 1
    assert verdict["confidence"] == round(prediction.confidence, 4)
    assert list(record.ml_models.all()) == [deployed_models.engine]


def test_a_combined_diagnostic_runs_both_models_and_records_both(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = _diagnose(
        client_for(driver),
        django_capture_on_commit_callbacks,
        image=_photo("high_beam"),
        audio=_sound(silence_wav(2.0)),
    )

    assert record.status == "completed"
    assert set(record.ml_models.all()) == {deployed_models.dashboard, deployed_models.engine}
    assert [d.warning_light.code for d in record.result.detections.select_related("warning_light")] == ["high_beam"]
    assert record.result.urgency == "monitoring"
    assert {"dashboard", "engine_sound"} <= set(record.result.analysis)
    logged = sorted(Prediction.objects.values_list("ml_model", "top_code"))
    assert logged == sorted([(deployed_models.dashboard.pk, "high_beam"), (deployed_models.engine.pk, "")])


@needs_recordings
def test_a_combined_diagnostic_merges_light_and_sound_into_one_urgency(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # An informational light alone is "monitoring"; the moderate water pump makes the whole diagnostic "soon".
    record = _diagnose(
        client_for(driver),
        django_capture_on_commit_callbacks,
        image=_photo("high_beam"),
        audio=_sound(real_recording("water_pump")),
    )

    assert record.result.urgency == "soon"
    found = {
        (d.warning_light.code if d.warning_light else d.engine_sound.code, d.ml_model)
        for d in record.result.detections.select_related("warning_light", "engine_sound", "ml_model")
    }
    assert found == {("high_beam", deployed_models.dashboard), ("water_pump", deployed_models.engine)}
    assert set(record.ml_models.all()) == {deployed_models.dashboard, deployed_models.engine}


def test_a_task_delivered_twice_leaves_the_same_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("battery"))
    result_id = record.result.pk

    assert analyze_diagnostic(str(record.pk)) == "skipped"

    record.refresh_from_db()
    assert record.status == "completed"
    assert record.attempts == 1
    assert record.result.pk == result_id
    assert Detection.objects.count() == 1
    assert Prediction.objects.count() == 1


def test_a_deleted_record_is_skipped(deployed_models: DeployedModels) -> None:
    assert analyze_diagnostic("5b0a4f4e-8a43-4a53-9d38-6f5e0b7f6d11") == "skipped"
    assert not Prediction.objects.exists()


# --- Failures ------------------------------------------------------------------------------------


def _truncated_jpeg() -> bytes:
    whole = dashboard_photo("battery")
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("field", "broken", "message"),
    [
        (
            "image",
            _truncated_jpeg(),
            "The uploaded file could not be analysed: cannot decode image: the file is damaged or cut short",
        ),
        (
            "image",
            b"\xff\xd8\xff" + b"no longer a photo" * 64,
            "The uploaded file could not be analysed: cannot decode image: not a JPEG, PNG or WebP image",
        ),
        (
            "audio",
            wav_bytes(2.0)[:44],
            "The uploaded file could not be analysed: The recording is truncated: it holds less audio than its "
            "header announces.",
        ),
        (
            "audio",
            wav_bytes(2.0)[:32044],
            "The uploaded file could not be analysed: The recording is truncated: it holds less audio than its "
            "header announces.",
        ),
    ],
    ids=[
        "a-truncated-photo",
        "a-photo-overwritten-with-junk",
        "a-recording-with-no-samples",
        "a-recording-cut-in-half",
    ],
)
def test_a_stored_file_that_no_longer_decodes_fails_with_a_clear_message_and_no_result(
    field: str,
    broken: bytes,
    message: str,
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    private_media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    good = {"image": _photo("battery"), "audio": _sound(wav_bytes(2.0))}[field]
    record = _queue(client_for(driver), django_capture_on_commit_callbacks, **{field: good})
    overwrite_stored(getattr(record, field), broken)

    assert analyze_diagnostic(str(record.pk)) == "failed"

    record.refresh_from_db()
    assert record.status == "failed"
    assert record.error_message.startswith(message)
    assert str(private_media) not in record.error_message
    assert record.error_code == "media_unreadable"
    assert record.attempts == 1
    assert not DiagnosticResult.objects.exists()
    assert not Prediction.objects.exists()
    failed = AuditEvent.objects.get(action="diagnostic", details__event="failed")
    assert failed.status == "failure"
    assert failed.user == driver


def test_an_unexpected_error_fails_without_leaking_its_details(
    driver: User,
    client_for: Callable[[User], APIClient],
    artefact_copy: Path,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A deployed artefact that passes its checksum but that this code cannot load (its config is from a
    format we do not read) is an error on our side: the driver gets a plain message, the log the details."""
    config_file = artefact_copy / ACTIVE_DASHBOARD / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**config, "format": 99}))
    write_checksum(config_file.parent)
    call_command("load_models", verbosity=0)

    with caplog.at_level(logging.ERROR, logger="diagnostics.services"):
        record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("battery"))

    assert record.status == "failed"
    assert record.attempts == 1
    assert record.error_message == "The analysis failed because of an error on our side."
    assert not DiagnosticResult.objects.exists()
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert "unsupported dashboard config format: 99" in str(logged.exc_info[1])


def test_a_missing_model_is_retried_then_fails_after_the_bounded_attempts(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    # Nothing deployed: load_models never ran.
    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("battery"))

    assert record.status == "failed"
    assert record.attempts == 3
    assert record.error_message.startswith(
        "The analysis could not run after 3 attempts: No active image classification model is deployed."
    )
    assert not DiagnosticResult.objects.exists()
    assert not Prediction.objects.exists()


def test_the_driver_reads_why_it_failed_in_their_language_from_the_stored_code(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(driver)
    record = _diagnose(client, django_capture_on_commit_callbacks, image=_photo("battery"))  # no model deployed

    french = client.get(f"{URL}/{record.pk}", HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9").json()
    english = client.get(f"{URL}/{record.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    inbox = client.get("/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    waiting = client.get(f"{URL}/{record.pk}/results", {"wait": 1}, HTTP_ACCEPT_LANGUAGE="fr")

    record.refresh_from_db()
    assert (record.error_code, record.error_params) == ("model_unavailable", {"attempts": 3})
    assert french["error_code"] == english["error_code"] == "model_unavailable"
    assert french["error_message"] == (
        "L'analyse n'a pas pu être lancée après 3 tentatives : aucun modèle d'analyse n'était disponible. "
        "Réessayez plus tard."
    )
    assert english["error_message"] == (
        "The analysis could not run after 3 attempts: no analysis model was available. Please try again later."
    )
    (failed,) = inbox
    assert (failed["kind"], failed["reason"]) == ("diagnostic_failed", french["error_message"])
    assert waiting.status_code == HTTPStatus.CONFLICT
    assert waiting.json()["error"]["message"] == french["error_message"]


def test_a_failure_stored_before_codes_existed_still_reads_as_it_was_written(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    old = DiagnosticRecord.objects.create(
        user=driver, diagnostic_type="dashboard_scan", status="failed", error_message="The photo could not be read."
    )

    body = client_for(driver).get(f"{URL}/{old.pk}", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert (body["error_code"], body["error_message"]) == ("", "The photo could not be read.")


def test_a_diagnostic_that_found_no_model_completes_when_reanalysed_after_a_deploy(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(driver)
    record = _diagnose(client, django_capture_on_commit_callbacks, image=_photo("battery"))
    assert record.status == "failed"

    call_command("load_models", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}/{record.pk}/analyze")

    assert response.status_code == HTTPStatus.ACCEPTED
    record.refresh_from_db()
    assert (record.status, record.attempts, record.error_message) == ("completed", 1, "")
    assert (record.error_code, record.error_params) == ("", {})
    assert [d.warning_light.code for d in record.result.detections.select_related("warning_light")] == ["battery"]


def test_the_attempt_bound_is_a_setting(
    settings: Any, driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    settings.DIAGNOSTIC_MAX_ATTEMPTS = 1

    record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("battery"))

    assert (record.status, record.attempts) == ("failed", 1)
    assert record.error_message.startswith("The analysis could not run after 1 attempt: ")


def test_a_tampered_artefact_is_retried_and_the_retry_completes_once_it_is_restored(
    driver: User,
    client_for: Callable[[User], APIClient],
    artefact_copy: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    call_command("load_models", verbosity=0)
    weights = artefact_copy / ACTIVE_DASHBOARD / "weights.pt"
    original = weights.read_bytes()
    weights.write_bytes(original + b"tampered")
    record = _queue(client_for(driver), django_capture_on_commit_callbacks, image=_photo("check_engine"))

    with django_capture_on_commit_callbacks() as retry:
        assert analyze_diagnostic(str(record.pk)) == "pending"

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("pending", 1)
    assert len(retry) == 1
    assert not Prediction.objects.exists()

    weights.write_bytes(original)
    with django_capture_on_commit_callbacks(execute=True):
        retry[0]()

    record.refresh_from_db()
    assert (record.status, record.attempts) == ("completed", 2)
    assert record.result.urgency == "soon"
    assert [d.warning_light.code for d in record.result.detections.select_related("warning_light")] == ["check_engine"]
    assert _completed_events() == 1


def test_an_artefact_that_stays_tampered_fails_after_the_bounded_attempts_without_naming_server_files(
    driver: User,
    client_for: Callable[[User], APIClient],
    artefact_copy: Path,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    call_command("load_models", verbosity=0)
    weights = artefact_copy / ACTIVE_DASHBOARD / "weights.pt"
    weights.write_bytes(weights.read_bytes() + b"tampered")

    with caplog.at_level(logging.ERROR, logger="mlops.inference"):
        record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("check_engine"))

    assert (record.status, record.attempts) == ("failed", 3)
    assert record.error_message.startswith("The analysis could not run after 3 attempts: ")
    assert "integrity check" in record.error_message
    # Where the artefact lives and its checksums are for the operators' log, not for the driver.
    assert str(artefact_copy) not in record.error_message
    assert "sha256" not in record.error_message
    assert any(str(artefact_copy) in r.getMessage() for r in caplog.records)
    assert not DiagnosticResult.objects.exists()


def test_a_database_error_while_storing_the_result_is_retried_and_the_retry_completes(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Injected: a busy database cannot be produced on demand, so the first INSERT of a result raises
    OperationalError at the database driver's seam (``connection.execute_wrapper``); nothing of ours is
    replaced, and the models run for real on both attempts."""
    refused: list[str] = []

    def busy_once(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not refused and sql.lstrip().upper().startswith("INSERT") and DiagnosticResult._meta.db_table in sql:
            refused.append(sql)
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(busy_once):
        record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("check_engine"))

    assert len(refused) == 1
    assert (record.status, record.attempts) == ("completed", 2)
    assert record.result.urgency == "soon"
    assert DiagnosticResult.objects.count() == 1
    assert Prediction.objects.count() == 2
    assert _completed_events() == 1


# --- Re-analysis and races -----------------------------------------------------------------------


def test_reanalysis_replaces_the_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    record = _diagnose(client, django_capture_on_commit_callbacks, image=_photo("adblue", "high_beam"))
    old_result = record.result.pk
    assert record.result.urgency == "monitoring"
    # The catalog learns the light the first run could not link; a re-analysis now links both.
    seed_catalog("adblue")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}/{record.pk}/analyze")

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json()["status"] == "pending"
    record.refresh_from_db()
    assert record.status == "completed"
    assert record.attempts == 1
    assert not DiagnosticResult.objects.filter(pk=old_result).exists()
    assert {d.warning_light.code for d in record.result.detections.select_related("warning_light")} == {
        "adblue",
        "high_beam",
    }
    assert record.result.analysis["not_in_catalog"] == []
    assert record.result.urgency == "soon"
    assert DiagnosticResult.objects.count() == 1
    assert Detection.objects.count() == 2


def test_a_failed_reanalysis_leaves_no_stale_result(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    record = _diagnose(client, django_capture_on_commit_callbacks, image=_photo("high_beam"))
    assert record.status == "completed"
    overwrite_stored(record.image, _truncated_jpeg())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{URL}/{record.pk}/analyze")

    record.refresh_from_db()
    assert record.status == "failed"
    assert not DiagnosticResult.objects.exists()
    assert not Detection.objects.exists()


@contextmanager
def _once_the_model_has_answered(action: Callable[[], object]) -> Iterator[list[object]]:
    """Run ``action`` once, mid-analysis: when the model has logged its prediction, before the result is stored."""
    done: list[object] = []

    def receiver(sender: type[Prediction], **kwargs: Any) -> None:
        if not done:
            done.append(action())

    post_save.connect(receiver, sender=Prediction, weak=False, dispatch_uid="test-mid-analysis")
    try:
        yield done
    finally:
        post_save.disconnect(sender=Prediction, dispatch_uid="test-mid-analysis")


def test_a_run_that_lost_its_record_to_the_sweep_does_not_write_over_the_new_run(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Injected: the race needs the sweep at one exact moment, so it runs from a post_save receiver on the
    Prediction the model logs mid-run; it sees the run as dead (an hour later) and queues the record again."""

    def sweep_an_hour_later() -> SweepReport:
        return diagnostic_sweep_stuck(queued_ids=set(), now=timezone.now() + timedelta(hours=1))

    with _once_the_model_has_answered(sweep_an_hour_later) as swept:
        record = _diagnose(client_for(driver), django_capture_on_commit_callbacks, image=_photo("battery"))

    # Seen from an hour on, the record it has just queued again also looks like a stale pending one, so the
    # sweep queues it twice; the second task finds it claimed and does nothing.
    assert swept == [SweepReport(requeued=2, failed=0)]
    assert record.status == "completed"
    assert record.attempts == 2
    assert DiagnosticResult.objects.count() == 1
    assert Detection.objects.count() == 1
    assert Prediction.objects.count() == 2
    assert _completed_events() == 1
