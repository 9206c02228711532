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
from catalog.symbols import COLOUR_RGB, STANDARD_COLOURS, render_symbol
from diagnostics.models import DiagnosticResult, QualityHint
from mlops.ml.quality import image_quality
from tests.diagnostics.media_factory import SYMBOL_SIZE, dashboard_photo, silence_wav, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("full_catalog", "tasks_sync", "deployed_models")]

URL = "/api/v1/diagnostics"


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def white_background_icons() -> bytes:
    """A chart of dashboard symbols, printed dark on white paper and photographed: no instrument panel in view."""
    page = Image.new("RGB", (1200, 900), "white")
    for index, code in enumerate(("oil_pressure", "battery", "check_engine", "brake")):
        symbol = render_symbol(code, size=SYMBOL_SIZE, colour=(25, 25, 25))
        page.paste(symbol, (150 + 250 * index, 350), symbol)
    return _jpeg(page)


PAGE_CODES = ("abs", "airbag", "battery", "brake", "check_engine", "coolant_temp", "door_open", "low_fuel",
              "oil_pressure", "seatbelt", "tpms", "traction_control")  # fmt: skip


def icon_page(count: int, per_row: int, *, size: int, pitch: int, colours: bool) -> bytes:
    """A screenshot of a table of icons: `count` symbols in rows of `per_row` on white, one per `pitch`-pixel
    cell, in their lamp colours or printed black."""
    page = Image.new("RGB", (1200, 900), "white")
    rows = -(-count // per_row)
    for index, code in enumerate(PAGE_CODES[:count]):
        colour = COLOUR_RGB[STANDARD_COLOURS[code]] if colours else (25, 25, 25)
        symbol = render_symbol(code, size=size, colour=colour)
        x = 600 - per_row * pitch // 2 + pitch * (index % per_row) + (pitch - size) // 2
        y = 450 - rows * pitch // 2 + pitch * (index // per_row) + (pitch - size) // 2
        page.paste(symbol, (x, y), symbol)
    return _jpeg(page)


def close_up(code: str, *, light: bool) -> bytes:
    """One symbol filling most of the frame, lit on black or drawn on a plain light background."""
    photo = Image.new("RGB", (800, 600), (236, 236, 232) if light else (8, 8, 10))
    symbol = render_symbol(code, size=460, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
    photo.paste(symbol, (170, 70), symbol)
    return _jpeg(photo)


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


def test_a_white_background_icon_chart_measures_as_no_panel() -> None:
    photo = Image.open(io.BytesIO(white_background_icons()))
    assert image_quality(photo).hint == "no_panel"


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(white_background_icons, id="four-printed-icons"),
        pytest.param(lambda: icon_page(6, 6, size=120, pitch=180, colours=False), id="six-printed-icons-in-a-row"),
        pytest.param(lambda: icon_page(8, 4, size=100, pitch=190, colours=False), id="eight-printed-icons"),
        pytest.param(lambda: icon_page(12, 6, size=140, pitch=200, colours=True), id="twelve-lamp-coloured-icons"),
    ],
)
def test_a_photo_of_icons_on_a_white_page_finds_nothing_and_says_no_panel_is_in_view(
    page: Callable[[], bytes],
    driver: User,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The real bundled dashboard model, end to end: printed icons are not lit warning lights, and a page of
    # several of them is not a close-up of one. Each of these pages came back as a lamp before: eco_mode boxed
    # as the whole frame or as the white paper around a row of icons, traction_control on a row.
    photo = upload("chart.jpg", page(), "image/jpeg")
    record_id, body = _results(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo
    )

    assert body["detections"] == [], body["detections"]
    assert body["urgency"] == "monitoring"
    assert [(h["media"], h["code"]) for h in body["hints"]] == [("image", "no_panel")]
    assert body["hints"][0]["message"] == QualityHint.NO_PANEL.label
    assert body["hints"][0]["retake"]
    assert DiagnosticResult.objects.get(record_id=record_id).image_hint == "no_panel"


@pytest.mark.parametrize(
    ("code", "light"), [("check_engine", False), ("airbag", False), ("abs", True), ("battery", True)]
)
def test_a_close_up_of_one_symbol_on_black_or_on_white_is_still_found(
    code: str,
    light: bool,
    driver: User,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    photo = upload("close-up.jpg", close_up(code, light=light), "image/jpeg")
    record_id, body = _results(
        client_for(driver), django_capture_on_commit_callbacks, diagnostic_type="dashboard_scan", image=photo
    )

    assert [d["entry"]["code"] for d in body["detections"]][:1] == [code], body["detections"]
    assert body["hints"] == []
    assert DiagnosticResult.objects.get(record_id=record_id).image_hint == ""


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
