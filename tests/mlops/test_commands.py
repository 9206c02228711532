"""load_models, diagnose and the inference facade, on the bundled weights and on CPU."""

from __future__ import annotations

import io
import json
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from PIL import Image

from catalog.symbols import render_symbol
from mlops import inference
from mlops.artifacts import read_artifact
from mlops.models import MLModel, ModelStatus, Prediction
from mlops.services import artifact_version, model_deploy, model_set_traffic

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundled_models() -> None:
    call_command("load_models", stdout=io.StringIO())


def dashboard_png(path: Path, code: str = "oil_pressure") -> Path:
    panel = Image.new("RGB", (640, 480), (12, 14, 18))
    symbol = render_symbol(code, size=90, colour=(235, 40, 30))
    panel.paste(symbol, (275, 195), symbol)
    panel.save(path, "PNG")
    return path


def tone_wav(path: Path, seconds: float = 2.0, frequency: float = 440.0, amplitude: float = 0.0) -> Path:
    rate = 16_000
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def _dashboard_versions() -> dict[str, str]:
    return {m.version: m.status for m in MLModel.objects.filter(model_type="image_classification")}


def _bundled_version(folder: str) -> str:
    return artifact_version(read_artifact(Path(django_settings.ML_ARTIFACTS_DIR) / folder))


def test_load_models_registers_and_activates_the_bundled_models_once() -> None:
    first, second = io.StringIO(), io.StringIO()
    call_command("load_models", stdout=first)
    call_command("load_models", stdout=second)
    models = MLModel.objects.order_by("model_type", "version")
    active = {m.model_type: m for m in models if m.status == ModelStatus.ACTIVE}
    assert sorted(active) == ["audio_classification", "image_classification"]
    assert sum(m.status == ModelStatus.ACTIVE for m in models) == 2
    # Every bundled engine-sound version is registered; the newest (v2) serves, the others wait as testing.
    audio = [m for m in models if m.model_type == "audio_classification"]
    assert active["audio_classification"].version == "2.0.0"
    assert len(audio) >= 2
    assert {m.status for m in audio if m.version != "2.0.0"} == {ModelStatus.TESTING}
    assert "already registered" in second.getvalue()
    assert all(m.accuracy is not None and m.metrics for m in models)


def test_on_an_empty_registry_the_newest_dashboard_version_becomes_active() -> None:
    call_command("load_models", stdout=io.StringIO())
    # v3 (the newest trained_at) serves; the first bundled model and v2 stay as testing versions.
    assert _dashboard_versions() == {
        "3.0.0": ModelStatus.ACTIVE,
        "2.0.0": ModelStatus.TESTING,
        _bundled_version("dashboard"): ModelStatus.TESTING,
    }


def test_a_new_version_waits_as_testing_beside_the_active_one_until_staff_deploy_it(
    tmp_path: Path, settings: pytest.FixtureRequest
) -> None:
    bundled = Path(settings.ML_ARTIFACTS_DIR)
    before = tmp_path / "before"
    before.mkdir()
    for folder in ("dashboard", "dashboard-v2", "engine_sound"):
        shutil.copytree(bundled / folder, before / folder)
    settings.ML_ARTIFACTS_DIR = before
    call_command("load_models", stdout=io.StringIO())
    first = _bundled_version("dashboard")
    assert _dashboard_versions() == {first: ModelStatus.TESTING, "2.0.0": ModelStatus.ACTIVE}

    settings.ML_ARTIFACTS_DIR = bundled
    out = io.StringIO()
    call_command("load_models", stdout=out)
    assert _dashboard_versions() == {
        first: ModelStatus.TESTING,
        "2.0.0": ModelStatus.ACTIVE,
        "3.0.0": ModelStatus.TESTING,
    }
    assert "3.0.0: registered, testing" in out.getvalue()

    # A/B: the testing version takes a share of the traffic, routed by a stable hash of the key.
    new = MLModel.objects.get(model_type="image_classification", version="3.0.0")
    model_set_traffic(model=new, share=1.0)
    served = inference.analyze_dashboard(dashboard_png(tmp_path / "p.png").read_bytes(), routing_key="driver-1")
    assert served.model.version == "3.0.0"
    model_deploy(model=new)
    assert _dashboard_versions() == {
        first: ModelStatus.TESTING,
        "2.0.0": ModelStatus.DEPRECATED,
        "3.0.0": ModelStatus.ACTIVE,
    }


def test_load_models_refuses_a_tampered_artefact(tmp_path: Path, settings: pytest.FixtureRequest) -> None:
    artifacts = tmp_path / "artifacts"
    shutil.copytree(Path(settings.ML_ARTIFACTS_DIR), artifacts)
    weights = artifacts / "dashboard" / "weights.pt"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    settings.ML_ARTIFACTS_DIR = artifacts
    with pytest.raises(CommandError, match="does not match its recorded sha256"):
        call_command("load_models", stdout=io.StringIO())
    assert not MLModel.objects.filter(model_type="image_classification").exists()


def test_diagnose_prints_one_json_object_per_file(bundled_models: None, tmp_path: Path) -> None:
    photo = dashboard_png(tmp_path / "cluster.jpg.renamed")
    quiet = tone_wav(tmp_path / "silence.wav")
    out = io.StringIO()
    call_command("diagnose", str(photo), str(quiet), "--json", stdout=out)
    reports = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["kind"] for r in reports] == ["dashboard", "engine_sound"]
    assert reports[0]["top"] == "oil_pressure"
    assert set(reports[0]["detections"][0]) == {"code", "confidence", "box"}
    assert reports[1]["top"] is None
    assert all(set(d) == {"code", "confidence", "start_s", "end_s"} for d in reports[1]["detections"])
    assert reports[1]["findings"] == []
    for report in reports:
        extra = {"findings"} if report["kind"] == "engine_sound" else set()
        assert set(report) == {"file", "kind", "detections", "top", "model", "elapsed_ms", *extra}
        assert set(report["model"]) == {"name", "version"}
        assert report["elapsed_ms"] >= 0
    assert Prediction.objects.count() == 2


RECORDINGS = Path(django_settings.BASE_DIR).parent / "shared" / "data" / "engine"


@pytest.mark.skipif(not RECORDINGS.is_dir(), reason="the real recordings are not present")
def test_diagnose_shows_where_in_a_recording_each_finding_was_heard(bundled_models: None, tmp_path: Path) -> None:
    # Three seconds of real healthy idle, then three of the real failing water pump, in one file.
    frames, params = b"", None
    for code, first in (("normal_idle", 60), ("water_pump", 12)):
        for chunk in sorted((RECORDINGS / code).glob("*.wav"))[first : first + 3]:
            with wave.open(str(chunk)) as source:
                params = source.getparams()
                frames += source.readframes(params.nframes)
    mixed = tmp_path / "idle-then-pump.wav"
    with wave.open(str(mixed), "wb") as out:
        out.setparams(params)
        out.writeframes(frames)
    out_text = io.StringIO()

    call_command("diagnose", str(mixed), "--json", stdout=out_text)

    report = json.loads(out_text.getvalue())
    findings = {f["code"]: f for f in report["findings"]}
    assert "water_pump" in findings and "normal_idle" not in findings
    assert findings["water_pump"]["start_s"] >= 2.0
    assert findings["water_pump"]["end_s"] == pytest.approx(6.0)


def test_diagnose_reports_unreadable_files_and_goes_on(bundled_models: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    text = tmp_path / "notes.txt"
    text.write_text("not media")
    good = dashboard_png(tmp_path / "ok.png")
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3"):
        call_command("diagnose", str(broken), str(text), str(good), "--json", stdout=out)
    reports = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("error", {}).get("code") for r in reports] == ["unreadable_media", "unreadable_media", None]
    assert reports[2]["top"] == "oil_pressure"


def test_the_facade_finds_nothing_on_a_blank_panel_or_silence(bundled_models: None, tmp_path: Path) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 10, 12)).save(blank, "JPEG")
    assert inference.analyze_dashboard(blank.getvalue()).detections == ()
    verdict = inference.analyze_engine_sound(tone_wav(tmp_path / "quiet.wav", seconds=3)).verdict
    assert verdict.code == "unknown"


def test_a_corrupt_upload_raises_our_media_error(bundled_models: None) -> None:
    with pytest.raises(inference.MediaError):
        inference.probe_image(b"GIF89a" + b"\x00" * 20)
    with pytest.raises(inference.MediaError):
        inference.probe_audio(b"RIFF\x00\x00\x00\x00WAVEfmt ")


def test_every_prediction_records_the_model_that_served_it(bundled_models: None, tmp_path: Path) -> None:
    analysis = inference.analyze_dashboard(dashboard_png(tmp_path / "a.png"))
    prediction = Prediction.objects.get()
    assert prediction.ml_model_id == analysis.model.id
    assert prediction.top_code == "oil_pressure"
    assert prediction.latency_ms > 0


def test_train_model_dashboard_writes_a_registered_artefact_with_its_figures(tmp_path: Path) -> None:
    data = tmp_path / "data" / "dashboard" / "battery"
    data.mkdir(parents=True)
    render_symbol("battery", size=96, colour=(235, 40, 30)).save(data / "chr_battery.png")
    out_dir = tmp_path / "dashboard-t"
    out = io.StringIO()
    call_command(
        "train_model", "dashboard", "--data", str(tmp_path / "data"), "--epochs", "1", "--scenes", "30",
        "--seed", "3", "--out", str(out_dir), "--model-version", "t1", stdout=out,
    )  # fmt: skip
    assert "1/1" in out.getvalue()  # the progress bar
    metrics = json.loads((out_dir / "metrics.json").read_text())
    labels, matrix = metrics["confusion"]["labels"], metrics["confusion"]["matrix"]
    assert labels[0] == "background"
    assert len(matrix) == len(labels) and all(len(row) == len(labels) for row in matrix)
    assert 0 <= metrics["accuracy"] <= 1
    assert metrics["training"]["real_templates"] == 1
    config = json.loads((out_dir / "config.json").read_text())
    assert config["version"] == "t1" and config["trained_at"]
    with Image.open(out_dir / "confusion.png") as png:
        assert png.width > len(labels) * 10
    model = MLModel.objects.get(version="t1")
    assert model.status == ModelStatus.TESTING
    assert model.sha256 == (out_dir / "SHA256").read_text().strip()


@pytest.mark.parametrize("command", ["train_model", "load_models"])
def test_the_model_commands_have_help(command: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        call_command(command, "--help")
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out
