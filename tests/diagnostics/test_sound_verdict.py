"""What a driver sees for a recording at GET /diagnostics/<id>/results: one verdict over the whole clip, the
timeline of every window, and both codes (each with its confidence) when two are close."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from tests.diagnostics.conftest import DeployedModels
from tests.diagnostics.media_factory import (
    RECORDINGS,
    dashboard_photo,
    needs_recordings,
    recording,
    silence_wav,
    upload,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def _diagnose(client: APIClient, capture: Any, **form: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = client.post(URL, form, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    results = client.get(f"{URL}/{response.json()['id']}/results")
    assert results.status_code == HTTPStatus.OK
    return results.json()


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


@pytest.mark.usefixtures("tasks_sync", "catalog")
def test_silence_gets_an_unknown_verdict_with_a_timeline_of_every_window(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    body = _diagnose(
        client_for(driver),
        django_capture_on_commit_callbacks,
        diagnostic_type="engine_sound",
        audio=recording(data=silence_wav(3.0)),
    )

    sound = body["sound"]
    assert (sound["code"], sound["candidates"], sound["duration_s"]) == ("unknown", [], 3.0)
    # 1 s windows every 0.5 s over 3 s: five of them, covering the clip end to end.
    assert [(w["start_s"], w["end_s"]) for w in sound["timeline"]] == [
        (0.0, 1.0),
        (0.5, 1.5),
        (1.0, 2.0),
        (1.5, 2.5),
        (2.0, 3.0),
    ]
    assert all(w["code"] == "unknown" for w in sound["timeline"])
    assert body["detections"] == []


@pytest.mark.usefixtures("tasks_sync", "catalog")
def test_a_dashboard_result_has_no_sound(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    photo = upload("dashboard.jpg", dashboard_photo("battery"), "image/jpeg")

    body = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo
    )

    assert body["sound"] is None


@needs_recordings
@pytest.mark.usefixtures("tasks_sync", "full_catalog")
def test_every_candidate_code_is_a_finding_with_its_own_confidence(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Three seconds of a water pump, then three of the alternator: one recording, two faults.
    audio = recording(data=_joined(("water_pump", 5, 3), ("alternator", 5, 3)))

    body = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="engine_sound", audio=audio
    )

    sound = body["sound"]
    assert sound["code"] != "unknown"
    assert len(sound["timeline"]) == 11
    # Every candidate is a finding, and so is each fault that holds a stretch of the clip: here both faults.
    findings = {f["code"]: f for f in sound["findings"]}
    assert {c["code"] for c in sound["candidates"]} <= set(findings)
    assert {"water_pump", "alternator"} <= set(findings)
    detections = {d["entry"]["code"]: d for d in body["detections"]}
    assert set(detections) == set(findings)
    for code, detection in detections.items():
        assert detection["confidence"] == findings[code]["confidence"]
        assert detection["span"] == {"start_s": findings[code]["start_s"], "end_s": findings[code]["end_s"]}
        assert 0 <= detection["span"]["start_s"] < detection["span"]["end_s"] <= 6.0
    assert detections["water_pump"]["span"]["start_s"] == 0.0
    assert detections["alternator"]["span"]["end_s"] == 6.0
    assert body["overall_confidence"] == max(d["confidence"] for d in detections.values())
    record = DiagnosticRecord.objects.get()
    assert record.result.detections.count() == len(findings)


@needs_recordings
@pytest.mark.usefixtures("tasks_sync", "full_catalog")
def test_a_clear_fault_over_the_whole_clip_is_one_finding(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    audio = recording(data=_joined(("idler_pulley", 20, 5)))

    body = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="engine_sound", audio=audio
    )

    assert body["sound"]["code"] == "idler_pulley"
    assert [d["entry"]["code"] for d in body["detections"]] == ["idler_pulley"]
    assert body["urgency"] == "soon"


def test_a_result_stored_before_candidates_existed_still_reads(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = baker.make(DiagnosticRecord, user=driver, diagnostic_type="engine_sound", status="completed")
    analysis = {
        "engine_sound": {
            "duration_s": 1.0,
            "verdict": {"code": "unknown", "confidence": 0.9},
            "windows": [{"code": "unknown", "confidence": 0.9, "start_s": 0.0, "end_s": 1.0}],
        }
    }
    baker.make(DiagnosticResult, record=record, overall_confidence=0, urgency="monitoring", analysis=analysis)

    body = client_for(driver).get(f"{URL}/{record.pk}/results").json()

    assert body["sound"] == {
        "code": "unknown",
        "confidence": 0.9,
        "candidates": [],
        "findings": [],
        "duration_s": 1.0,
        "timeline": [{"code": "unknown", "confidence": 0.9, "start_s": 0.0, "end_s": 1.0}],
    }
    assert not Detection.objects.exists()
