"""Findings over time, end to end: a fault heard in part of a recording is a finding with its span in
/results, two faults are two findings, and the urgency rule runs over all of them.

The generated mixtures are served by a model trained in the test on generated engines (the shipped models
learnt real recordings and call a generated hum "unknown"), registered and deployed as any model is. The
real mixtures join Avanza chunks and go through the shipped model; they skip where the data is absent.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import torch
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import Detection, DiagnosticRecord
from mlops.artifacts import read_artifact
from mlops.models import MLModel, ModelStatus, ModelType
from mlops.services import model_register
from tests.diagnostics.conftest import DeployedModels
from tests.diagnostics.media_factory import RECORDINGS, needs_recordings, recording
from tests.mlops.generated_engine import RATE, engine_like, trained_classifier, write_artifact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_sync", "full_catalog")]

URL = "/api/v1/diagnostics"


@pytest.fixture(scope="module")
def generated_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    return write_artifact(trained_classifier(seed=1), tmp_path_factory.mktemp("generated") / "engine", "0.0.1-test")


@pytest.fixture
def generated_model(generated_artifact: Path) -> MLModel:
    model, _ = model_register(
        info=read_artifact(generated_artifact),
        name="engine-sound-generated",
        version="0.0.1-test",
        model_type=ModelType.AUDIO_CLASSIFICATION,
        activate_if_none=True,
    )
    assert model.status == ModelStatus.ACTIVE
    return model


def _wav(waveform: torch.Tensor) -> bytes:
    pcm = (waveform.clamp(-1, 1) * 32767).round().to(torch.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.numpy().tobytes())
    return buffer.getvalue()


def _joined(*parts: tuple[str, int, int]) -> bytes:
    """Real Avanza chunks (code, first chunk, count) joined into one WAV, as one continuous recording."""
    frames, params = b"", None
    for code, first, count in parts:
        for path in sorted((RECORDINGS / code).glob("*.wav"))[first : first + count]:
            with wave.open(str(path)) as source:
                params = source.getparams()
                frames += source.readframes(params.nframes)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setparams(params)
        out.writeframes(frames)
    return buffer.getvalue()


def _diagnose(client: APIClient, capture: Any, audio: bytes) -> dict[str, Any]:
    with capture(execute=True):
        response = client.post(
            URL, {"diagnostic_type": "engine_sound", "audio": recording(data=audio)}, format="multipart"
        )
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    results = client.get(f"{URL}/{response.json()['id']}/results")
    assert results.status_code == HTTPStatus.OK
    return results.json()


def _stored_spans() -> dict[str, tuple[float, float]]:
    return {
        d.engine_sound.code: (d.start_s, d.end_s)
        for d in Detection.objects.select_related("engine_sound").filter(result__record=DiagnosticRecord.objects.get())
    }


def test_idle_then_a_failing_water_pump_reports_the_pump_with_its_span(
    driver: User,
    client_for: Callable[[User], APIClient],
    generated_model: MLModel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mixture = torch.cat([engine_like("normal_idle", 3.0, 7001), engine_like("water_pump", 3.0, 7002)])

    body = _diagnose(client_for(driver), django_capture_on_commit_callbacks, _wav(mixture))

    assert [d["entry"]["code"] for d in body["detections"]] == ["water_pump"]
    span = body["detections"][0]["span"]
    assert 2.0 <= span["start_s"] <= 3.0
    assert span["end_s"] == pytest.approx(6.0)
    assert [f["code"] for f in body["sound"]["findings"]] == ["water_pump"]
    assert body["urgency"] == "soon"
    assert body["models"][0]["id"] == str(generated_model.pk)
    # Re-read from the database: the span is stored on the finding.
    (stored,) = _stored_spans().items()
    assert stored == ("water_pump", (span["start_s"], span["end_s"]))


def test_a_critical_fault_heard_for_two_and_a_half_seconds_decides_the_urgency(
    driver: User,
    client_for: Callable[[User], APIClient],
    generated_model: MLModel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Most of the clip is a water pump (moderate); its end is grinding brakes (critical).
    mixture = torch.cat([engine_like("water_pump", 4.0, 7101), engine_like("brake_grinding", 2.5, 7102)])

    body = _diagnose(client_for(driver), django_capture_on_commit_callbacks, _wav(mixture))

    spans = {d["entry"]["code"]: d["span"] for d in body["detections"]}
    assert set(spans) == {"water_pump", "brake_grinding"}
    assert spans["water_pump"]["start_s"] == 0.0
    assert spans["brake_grinding"]["start_s"] >= 3.0
    assert spans["brake_grinding"]["end_s"] == pytest.approx(6.5)
    assert body["urgency"] == "immediate"
    assert set(_stored_spans()) == {"water_pump", "brake_grinding"}


def test_a_healthy_recording_is_one_normal_finding_over_the_whole_clip(
    driver: User,
    client_for: Callable[[User], APIClient],
    generated_model: MLModel,
    django_capture_on_commit_callbacks: Any,
) -> None:
    body = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, _wav(engine_like("normal_idle", 4.0, 7201))
    )

    assert [(d["entry"]["code"], d["span"]) for d in body["detections"]] == [
        ("normal_idle", {"start_s": 0.0, "end_s": 4.0})
    ]
    assert body["urgency"] == "monitoring"


@needs_recordings
def test_real_idle_then_a_real_water_pump_reports_the_pump(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The issue's own case: three seconds of healthy idle, then three of a failing water pump.
    body = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, _joined(("normal_idle", 60, 3), ("water_pump", 12, 3))
    )

    spans = {d["entry"]["code"]: d["span"] for d in body["detections"]}
    assert "water_pump" in spans
    assert "normal_idle" not in spans
    assert spans["water_pump"]["start_s"] >= 2.0
    assert spans["water_pump"]["end_s"] == pytest.approx(6.0)
    assert body["urgency"] == "soon"
    assert _stored_spans()["water_pump"] == (spans["water_pump"]["start_s"], spans["water_pump"]["end_s"])
