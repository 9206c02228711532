"""The whole flow with the real, bundled models (worker in sync mode): what the issue's "done when" asks."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from diagnostics.models import DiagnosticRecord
from mlops.models import Prediction
from tests.diagnostics.media_factory import dashboard_photo, needs_recordings, real_recording, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("full_catalog", "tasks_sync", "deployed_models")]

URL = "/api/v1/diagnostics"


def _diagnose(client: APIClient, capture: Any, **form: Any) -> dict[str, Any]:
    with capture(execute=True):
        response = client.post(URL, form, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return response.json()


def test_a_dashboard_photo_with_oil_pressure_and_battery_lights_comes_back_immediate_with_both(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(driver)
    photo = upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery"), "image/jpeg")

    created = _diagnose(client, django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo)
    results = client.get(f"{URL}/{created['id']}/results")

    assert results.status_code == HTTPStatus.OK
    body = results.json()
    assert body["urgency"] == "immediate"
    by_code = {d["entry"]["code"]: d for d in body["detections"]}
    assert {"oil_pressure", "battery"} <= set(by_code)
    for code in ("oil_pressure", "battery"):
        entry = by_code[code]["entry"]
        light = WarningLight.objects.get(code=code)
        assert entry["name"] == light.name
        assert entry["severity"] == "critical"
        assert entry["common_causes"] == light.common_causes
        assert entry["repair_suggestions"] == light.repair_suggestions
        assert [t["title"] for t in entry["tutorials"]] == [t.title for t in light.tutorials.order_by("title")]
        assert entry["tutorials"]
        assert by_code[code]["box"] is not None
        assert entry["icon_url"].startswith("http://testserver/media/catalog/")
        assert by_code[code]["model"]["name"]
    assert by_code["oil_pressure"]["box"]["x1"] < by_code["battery"]["box"]["x0"]
    assert body["overall_confidence"] == max(d["confidence"] for d in body["detections"])
    record = DiagnosticRecord.objects.get(pk=created["id"])
    assert record.ml_models.get().model_type == "image_classification"
    assert Prediction.objects.filter(ml_model__in=record.ml_models.all()).count() == 1


def test_a_plain_dark_dashboard_finds_nothing_and_is_monitoring(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    photo = upload("dashboard.jpg", dashboard_photo(), "image/jpeg")

    created = _diagnose(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo
    )

    record = DiagnosticRecord.objects.get(pk=created["id"])
    assert record.status == "completed"
    assert record.result.urgency == "monitoring"
    assert not record.result.detections.exists()
    assert record.result.overall_confidence == 0
    prediction = Prediction.objects.get()
    assert (prediction.ml_model, prediction.is_unknown) == (record.ml_models.get(), True)


@needs_recordings
def test_a_real_water_pump_recording_comes_back_as_water_pump(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    recording = upload("engine.wav", real_recording("water_pump"), "audio/wav")
    client = client_for(driver)

    created = _diagnose(client, django_capture_on_commit_callbacks, diagnostic_type="engine_sound", audio=recording)
    body = client.get(f"{URL}/{created['id']}/results").json()

    (detection,) = body["detections"]
    assert detection["entry"]["code"] == "water_pump"
    assert detection["entry"]["name"] == EngineSound.objects.get(code="water_pump").name
    assert detection["entry"]["tutorials"]
    assert detection["span"]["end_s"] > detection["span"]["start_s"] >= 0
    assert body["urgency"] == "soon"
