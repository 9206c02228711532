"""``manage.py train_model``: trains on real input, writes a verified artefact folder and registers it.

The engine-sound model trains on recordings; a tiny folder of our own (six classes of hums, sixteen
one-second chunks each, the fewest its split accepts) keeps one epoch to about a minute and a half on a
small CPU. The dashboard model trains on 3,600 synthetic scenes, which the command does not shrink, so its
real run is left to `make`'s users and the model card (measured in the newcomer report).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import wave
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest
import torch
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import User
from mlops.artifacts import ArtifactIntegrityError, read_artifact
from mlops.ml.onnx_export import network, parity_input
from mlops.models import MLModel, ModelStatus, ModelType
from mlops.services import model_deploy

pytestmark = pytest.mark.django_db

CODES = ("ac_compressor", "alternator", "idler_pulley", "normal_idle", "water_pump", "worn_bearing")
CHUNKS = 16


def _hum(frequency: float, *, seed: int, rate: int = 16_000) -> bytes:
    rng = random.Random(seed)
    frames = bytearray()
    for n in range(rate):
        t = n / rate
        value = 0.3 * math.sin(2 * math.pi * frequency * t) + 0.1 * math.sin(6 * math.pi * frequency * t)
        value += rng.gauss(0, 0.05)
        frames += int(max(-1.0, min(1.0, value)) * 32767).to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """A data folder laid out like the real one: <code>/<stem>_<NNN>.wav, one-second chunks in order."""
    root = tmp_path / "engine"
    for k, code in enumerate(CODES):
        (root / code).mkdir(parents=True)
        for i in range(CHUNKS):
            (root / code / f"synth_{i:03d}.wav").write_bytes(_hum(60.0 * (k + 1), seed=k * 100 + i))
    return root


@pytest.mark.slow
def test_it_trains_the_engine_model_and_registers_it_for_testing(
    recordings: Path, tmp_path: Path, settings: Any, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    settings.ML_ONNX_DIR = tmp_path / "onnx"  # nothing exported there: the artefact's own export is served
    out = tmp_path / "artefact"
    stdout = io.StringIO()

    call_command(
        "train_model",
        "engine_sound",
        "--data",
        str(recordings),
        "--epochs",
        "1",
        "--out",
        str(out),
        "--model-version",
        "test-1",
        stdout=stdout,
    )

    assert {"weights.pt", "config.json", "metrics.json", "SHA256"} <= {p.name for p in out.iterdir()}
    info = read_artifact(out)  # verifies the files against the checksum the command wrote
    assert info.sha256 == (out / "SHA256").read_text().strip()
    config = json.loads((out / "config.json").read_text())
    assert (config["kind"], config["version"]) == ("engine_sound", "test-1")
    assert config["trained_at"]
    model = MLModel.objects.get(version="test-1")
    assert (model.model_type, model.status) == (ModelType.AUDIO_CLASSIFICATION, ModelStatus.TESTING)
    assert "Trained" in stdout.getvalue()
    assert "status testing" in stdout.getvalue()

    # The phone's copy ships inside the artefact, agrees with PyTorch, and the checksum covers it.
    assert {"model.onnx", "model.json"} <= {p.name for p in out.iterdir()}
    assert "onnxruntime parity: max |logit difference|" in stdout.getvalue()
    module, example, _ = network(ModelType.AUDIO_CLASSIFICATION, out)
    batch = parity_input(ModelType.AUDIO_CLASSIFICATION, example)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        np.testing.assert_allclose(session.run(None, {"logmel_db": batch.numpy()})[0], module(batch).numpy(), atol=1e-4)
    original = (out / "model.onnx").read_bytes()
    (out / "model.onnx").write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(ArtifactIntegrityError):
        read_artifact(out)
    (out / "model.onnx").write_bytes(original)

    # Once deployed, the download serves that very file, with no export_onnx run.
    model_deploy(model=model)
    response = client_for(driver).get(f"/api/v1/models/{model.pk}/download")
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == original
    assert response["ETag"] == f'"{hashlib.sha256(original).hexdigest()}"'
    assert not (tmp_path / "onnx").exists()


def test_the_engine_model_without_recordings_is_refused(settings: Any, tmp_path: Path) -> None:
    settings.BASE_DIR = tmp_path / "checkout"  # no ../shared/data beside it
    settings.VAR_DIR = tmp_path / "var"

    with pytest.raises(CommandError, match="pass --data DIR"):
        call_command("train_model", "engine_sound", "--epochs", "1", stdout=io.StringIO())

    assert not MLModel.objects.exists()


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("train_model", "gearbox", stdout=io.StringIO())
