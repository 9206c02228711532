"""``manage.py export_feedback --out DIR``: confirmed and corrected media as a labelled data set."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc import rls
from cardoc.models import AuditEvent
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from mlops.models import MLModel
from tests.diagnostics.media_factory import dashboard_photo, wav_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def _record(user: User, diagnostic_type: str, *, image: bytes = b"", audio: bytes = b"") -> DiagnosticRecord:
    record = DiagnosticRecord(user=user, diagnostic_type=diagnostic_type, status="completed")
    if image:
        record.image.save("photo.jpg", ContentFile(image), save=False)
    if audio:
        record.audio.save("engine.wav", ContentFile(audio), save=False)
    record.save()
    baker.make(DiagnosticResult, record=record, overall_confidence=0.9, urgency="soon")
    return record


def _detect(record: DiagnosticRecord, entry: WarningLight | EngineSound, model: MLModel, **where: Any) -> str:
    kind = "warning_light" if isinstance(entry, WarningLight) else "engine_sound"
    detection = baker.make(Detection, result=record.result, ml_model=model, confidence=0.8, **{kind: entry}, **where)
    return str(detection.pk)


def test_it_exports_confirmed_and_corrected_media_with_their_labels(
    driver: User, client_for: Callable[[User], APIClient], tmp_path: Path
) -> None:
    light = {"severity": "moderate", "colour": "amber"}
    sound = {"severity": "moderate", "sound_type": "whining", "frequency_low_hz": 1, "frequency_high_hz": 2}
    battery = baker.make(WarningLight, code="battery", **light)
    check_engine = baker.make(WarningLight, code="check_engine", **light)
    water_pump = baker.make(EngineSound, code="water_pump", **sound)
    baker.make(EngineSound, code="alternator", **sound)
    model = baker.make(MLModel, name="dashboard", version="v1", model_type="image_classification")
    photo_bytes, audio_bytes = dashboard_photo("battery"), wav_bytes(2.0)
    scan = _record(driver, "dashboard_scan", image=photo_bytes)
    recording = _record(driver, "engine_sound", audio=audio_bytes)
    rejected = _record(driver, "dashboard_scan", image=dashboard_photo("battery"))
    box = {"box_x0": 1, "box_y0": 2, "box_x1": 30, "box_y1": 40}
    client = client_for(driver)
    client.post(
        f"{URL}/{scan.pk}/feedback",
        {
            "findings": [
                {"finding": _detect(scan, battery, model, **box), "verdict": "confirmed"},
                {"finding": _detect(scan, check_engine, model), "verdict": "rejected"},
            ]
        },
        format="json",
    )
    pump = _detect(recording, water_pump, model, start_s=1.0, end_s=3.0)
    client.post(
        f"{URL}/{recording.pk}/feedback",
        {
            "findings": [{"finding": pump, "verdict": "corrected", "code": "alternator"}],
            "mechanic_found_code": "alternator",
        },
        format="json",
    )
    client.post(
        f"{URL}/{rejected.pk}/feedback",
        {"findings": [{"finding": _detect(rejected, battery, model), "verdict": "rejected"}]},
        format="json",
    )
    out = tmp_path / "export"

    call_command("export_feedback", "--out", str(out), "--json", stdout=(report := io.StringIO()))

    assert json.loads(report.getvalue()) == {
        "by_code": {"alternator": 2, "battery": 1},
        "files": 2,
        "labels": 3,
        "missing_media": 0,
    }
    assert (out / "dashboard" / "battery" / f"{scan.pk}.jpg").read_bytes() == photo_bytes
    assert (out / "engine" / "alternator" / f"{recording.pk}.wav").read_bytes() == audio_bytes
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        ["labels.jsonl", f"dashboard/battery/{scan.pk}.jpg", f"engine/alternator/{recording.pk}.wav"]
    )
    labels = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert {(label["file"], label["code"], label["source"]) for label in labels} == {
        (f"dashboard/battery/{scan.pk}.jpg", "battery", "confirmed"),
        (f"engine/alternator/{recording.pk}.wav", "alternator", "corrected"),
        (f"engine/alternator/{recording.pk}.wav", "alternator", "mechanic"),
    }
    confirmed = next(label for label in labels if label["source"] == "confirmed")
    assert confirmed["box"] == [1, 2, 30, 40] and confirmed["model"] == "dashboard v1"
    corrected = next(label for label in labels if label["source"] == "corrected")
    assert corrected["span"] == [1.0, 3.0] and corrected["predicted_code"] == "water_pump"
    if rls.enabled():  # every driver's rows, through an audited bypass
        assert AuditEvent.objects.filter(details__event="rls_bypass", details__reason="export_feedback").exists()


def test_an_export_with_nothing_to_export_writes_an_empty_label_file(tmp_path: Path) -> None:
    call_command("export_feedback", "--out", str(tmp_path / "empty"), stdout=(report := io.StringIO()))

    assert (tmp_path / "empty" / "labels.jsonl").read_text() == ""
    assert "Exported 0 labels" in report.getvalue()


def test_it_refuses_a_file_as_the_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")

    with pytest.raises(CommandError, match="not a folder"):
        call_command("export_feedback", "--out", str(target))
