"""When nothing is found, the result says why, from measurements: the issue's three retake cases, end to end."""

from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from catalog.symbols import render_icon_png
from diagnostics.models import DiagnosticResult, QualityHint
from tests.diagnostics.media_factory import dashboard_photo, silence_wav, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("full_catalog", "tasks_sync", "deployed_models")]

URL = "/api/v1/diagnostics"


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def white_background_icons() -> bytes:
    """The catalog's oil and battery icons printed on white paper and photographed: no panel in view."""
    page = Image.new("RGB", (1200, 900), "white")
    for code, x in (("oil_pressure", 200), ("battery", 700)):
        icon = Image.open(io.BytesIO(render_icon_png(code))).convert("RGBA").resize((300, 300))
        page.paste(icon, (x, 300), icon)
    return _jpeg(page)


def _results(client: APIClient, capture: Any, **form: Any) -> tuple[str, dict[str, Any]]:
    with capture(execute=True):
        created = client.post(URL, form, format="multipart")
    assert created.status_code == HTTPStatus.ACCEPTED, created.content
    results = client.get(f"{URL}/{created.json()['id']}/results")
    assert results.status_code == HTTPStatus.OK
    return created.json()["id"], results.json()


@pytest.mark.parametrize(
    ("media", "form", "code"),
    [
        ("image", {"diagnostic_type": "dashboard_scan", "image": ("icons.jpg", white_background_icons)}, "no_panel"),
        (
            "image",
            {"diagnostic_type": "dashboard_scan", "image": ("black.jpg", lambda: _jpeg(Image.new("RGB", (1280, 960))))},
            "too_dark",
        ),
        ("audio", {"diagnostic_type": "engine_sound", "audio": ("silent.wav", silence_wav)}, "too_quiet"),
    ],
)
def test_an_empty_result_names_the_measured_reason_and_one_retake_instruction(
    media: str,
    form: dict[str, Any],
    code: str,
    driver: User,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    fields = {k: upload(v[0], v[1]()) if isinstance(v, tuple) else v for k, v in form.items()}
    record_id, body = _results(client_for(driver), django_capture_on_commit_callbacks, **fields)

    assert body["detections"] == []
    assert body["urgency"] == "monitoring"
    assert [(h["media"], h["code"]) for h in body["hints"]] == [(media, code)]
    assert body["hints"][0]["message"] == QualityHint(code).label
    assert body["hints"][0]["retake"]
    stored = DiagnosticResult.objects.get(record_id=record_id)
    assert getattr(stored, f"{media}_hint") == code


def test_a_photo_with_lit_lights_has_findings_and_no_hint(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    photo = upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery"), "image/jpeg")
    record_id, body = _results(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo
    )

    assert body["detections"]
    assert body["hints"] == []
    assert DiagnosticResult.objects.get(record_id=record_id).image_hint == ""


def test_the_hint_comes_in_the_drivers_language(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(driver)
    audio = upload("silent.wav", silence_wav())
    record_id, _ = _results(client, django_capture_on_commit_callbacks, diagnostic_type="engine_sound", audio=audio)

    french = client.get(f"{URL}/{record_id}/results", HTTP_ACCEPT_LANGUAGE="fr").json()["hints"][0]

    assert french["code"] == "too_quiet"
    assert french["message"] == "L'enregistrement est trop faible : on entend à peine le moteur."
    assert french["retake"].startswith("Ouvrez le capot")
