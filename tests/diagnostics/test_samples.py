"""The README's sample media: made by our own generator, and diagnosed through the API as the README shows."""

from __future__ import annotations

import importlib.util
import io
import wave
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from types import ModuleType

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_recording_is_what_the_generator_writes() -> None:
    assert (SAMPLES / "engine.wav").read_bytes() == _generator().idle_hum_wav()
    with wave.open(str(SAMPLES / "engine.wav")) as recording:
        assert (recording.getnchannels(), recording.getframerate(), recording.getnframes()) == (1, 16_000, 64_000)


def test_the_shipped_photo_is_what_the_generator_draws() -> None:
    shipped = Image.open(SAMPLES / "dashboard.jpg")
    assert (shipped.format, shipped.size) == ("JPEG", (1280, 960))
    # JPEG bytes may differ between Pillow releases; the pixels may not, beyond the codec's rounding.
    generated = Image.open(io.BytesIO(_generator().dashboard_jpeg()))
    difference = max(abs(a - b) for a, b in zip(shipped.tobytes(), generated.tobytes(), strict=True))
    assert difference <= 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("full_catalog", "tasks_sync", "deployed_models")
def test_the_readme_upload_of_the_sample_photo_finishes_with_catalog_findings(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    photo = SimpleUploadedFile("dashboard.jpg", (SAMPLES / "dashboard.jpg").read_bytes(), content_type="image/jpeg")

    response = client_for(driver).post(
        "/api/v1/diagnostics?wait=10", {"diagnostic_type": "dashboard_scan", "image": photo}, format="multipart"
    )

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["result"]["detections"]
    assert all(detection["entry"]["kind"] == "warning_light" for detection in body["result"]["detections"])
    record = DiagnosticRecord.objects.get(pk=body["id"])
    assert record.result.detections.filter(warning_light__isnull=False).count() == len(body["result"]["detections"])
