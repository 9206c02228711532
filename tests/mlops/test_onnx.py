"""Models on the phone: `manage.py export_onnx`, GET /models/active and GET /models/{id}/download."""

from __future__ import annotations

import hashlib
import io
import itertools
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
from mlops.artifacts import resolve
from mlops.ml.engine.classifier import EngineSoundClassifier
from mlops.ml.engine.stats import MOD_EDGES_HZ, MOD_GROUPS, window_statistics
from mlops.ml.onnx_export import network
from mlops.models import MLModel, ModelStatus
from mlops.services import onnx_path

pytestmark = pytest.mark.django_db

ACTIVE = "/api/v1/models/active"


@pytest.fixture
def exported(settings: Any, tmp_path: Path) -> dict[str, MLModel]:
    """The bundled models registered, and the active ones exported into a scratch ML_ONNX_DIR."""
    settings.ML_ONNX_DIR = tmp_path / "onnx"
    call_command("load_models", stdout=io.StringIO())
    out, err = io.StringIO(), io.StringIO()
    call_command("export_onnx", stdout=out, stderr=err)
    assert "Exported" in out.getvalue()
    return {model.model_type: model for model in MLModel.objects.filter(status=ModelStatus.ACTIVE)}


def download(model: MLModel) -> str:
    return f"/api/v1/models/{model.pk}/download"


def test_every_active_model_is_exported_including_the_engine_model(exported: dict[str, MLModel]) -> None:
    # The engine model's modulation spectrum used torch.fft.rfft, which the exporter cannot express; it is now
    # a DFT by matrix multiply, so both kinds reach phones.
    assert set(exported) == {"image_classification", "audio_classification"}
    for model in exported.values():
        assert onnx_path(model).is_file()
    engine = onnxruntime.InferenceSession(str(onnx_path(exported["audio_classification"])))
    [logmel] = engine.get_inputs()
    assert logmel.name == "logmel_db"
    assert logmel.shape[1:] == [1, 64, 101]


def test_the_onnx_export_computes_what_pytorch_computes(exported: dict[str, MLModel]) -> None:
    checked = 0
    for model in exported.values():
        module, example, spec = network(model.model_type, resolve(model.artifact_path))
        batch = torch.randn(4, *example.shape[1:]) * (20 if spec["name"] == "logmel_db" else 1) - (
            40 if spec["name"] == "logmel_db" else 0
        )
        with torch.inference_mode():
            expected = module(batch).numpy()
        session = onnxruntime.InferenceSession(str(onnx_path(model)), providers=["CPUExecutionProvider"])
        [actual] = session.run(None, {spec["name"]: batch.numpy()})

        assert actual.shape == expected.shape == (4, len(spec["classes"]))
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
        assert (actual.argmax(axis=1) == expected.argmax(axis=1)).all()
        checked += 1
    assert checked == 2


def test_the_engine_export_agrees_with_pytorch_on_real_sound(exported: dict[str, MLModel]) -> None:
    # Log-mel windows of generated engine-like sound (harmonics that pulse, noise), as the classifier builds
    # them, rather than random dB: the modulation features then carry real periodicity.
    model = exported["audio_classification"]
    classifier = EngineSoundClassifier.load(resolve(model.artifact_path))
    t = torch.arange(16_000) / 16_000
    audio = torch.stack(
        [
            (torch.sin(2 * torch.pi * f0 * t) * (1 + 0.5 * torch.sin(2 * torch.pi * pulse * t)))
            + 0.05 * torch.randn(16_000, generator=torch.Generator().manual_seed(k))
            for k, (f0, pulse) in enumerate([(90, 3), (150, 12), (400, 30), (1200, 7), (60, 45)])
        ]
    )
    with torch.inference_mode():
        windows = classifier.logmel(audio)
        expected = classifier.model(windows).numpy()
    session = onnxruntime.InferenceSession(str(onnx_path(model)), providers=["CPUExecutionProvider"])
    [actual] = session.run(None, {"logmel_db": windows.numpy()})

    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
    assert (actual.argmax(axis=1) == expected.argmax(axis=1)).all()


@pytest.mark.parametrize("frames", [101, 64, 250])
def test_the_modulation_spectrum_by_matrix_multiply_is_the_fft_one(frames: int) -> None:
    # The reference is the FFT the shipped v2 weights were trained with: Hann window, |rfft|, band means.
    x = torch.randn(6, 1, 64, frames, generator=torch.Generator().manual_seed(frames)) * 15 - 40
    groups = x.squeeze(1).reshape(6, MOD_GROUPS, -1, frames).mean(dim=2)
    envelope = groups - groups.mean(dim=-1, keepdim=True)
    spectrum = torch.fft.rfft(envelope * torch.hann_window(frames), dim=-1).abs()
    freqs = torch.fft.rfftfreq(frames, 0.01)
    bands = [spectrum[..., (freqs >= lo) & (freqs < hi)].mean(dim=-1) for lo, hi in itertools.pairwise(MOD_EDGES_HZ)]
    expected = torch.log1p(torch.stack(bands, dim=-1)).reshape(6, -1)

    actual = window_statistics(x, "rich")[:, -MOD_GROUPS * (len(MOD_EDGES_HZ) - 1) :]

    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


def test_export_onnx_fails_clearly_with_no_model(settings: Any, tmp_path: Path) -> None:
    settings.ML_ONNX_DIR = tmp_path

    with pytest.raises(CommandError, match="No model was exported"):
        call_command("export_onnx", stdout=io.StringIO(), stderr=io.StringIO())


def test_anonymous_callers_get_401(api_client: APIClient, exported: dict[str, MLModel]) -> None:
    assert api_client.get(ACTIVE).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.get(download(exported["image_classification"])).status_code == HTTPStatus.UNAUTHORIZED


def test_any_signed_in_user_lists_the_active_models_with_their_exports(
    driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    response = client_for(driver).get(ACTIVE)

    assert response.status_code == HTTPStatus.OK
    rows = {row["model_type"]: row for row in response.json()}
    assert set(rows) == set(exported)
    image = rows["image_classification"]
    model = exported["image_classification"]
    assert (image["version"], image["sha256"]) == (model.version, model.sha256)
    data = onnx_path(model).read_bytes()
    assert image["onnx"]["size_bytes"] == len(data)
    assert image["onnx"]["input_spec"]["shape"][1:] == [3, 48, 48]
    assert image["onnx"]["download_url"] == download(model)


def test_the_download_streams_the_file_and_revalidates_by_etag(
    driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    client = client_for(driver)
    model = exported["image_classification"]

    response = client.get(download(model))

    assert response.status_code == HTTPStatus.OK
    body = b"".join(response.streaming_content)
    assert body == onnx_path(model).read_bytes()
    assert response["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    again = client.get(download(model), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""


def test_the_engine_model_downloads_too(
    driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    client = client_for(driver)
    model = exported["audio_classification"]
    row = {row["model_type"]: row for row in client.get(ACTIVE).json()}["audio_classification"]

    response = client.get(row["onnx"]["download_url"])

    assert response.status_code == HTTPStatus.OK
    body = b"".join(response.streaming_content)
    assert body == onnx_path(model).read_bytes()
    assert row["onnx"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert row["onnx"]["input_spec"]["classes"] == list(
        EngineSoundClassifier.load(resolve(model.artifact_path)).classes
    )


def test_a_deprecated_engine_model_is_not_found_by_anyone(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    # Models are not owned by drivers: any signed-in user reaches the active ones, nobody the others.
    engine = exported["audio_classification"]
    assert client_for(other_driver).get(download(engine)).status_code == HTTPStatus.OK
    MLModel.objects.filter(pk=engine.pk).update(status=ModelStatus.DEPRECATED)

    for user in (driver, other_driver):
        response = client_for(user).get(download(engine))
        assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_model_that_is_not_active_is_not_found(
    driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    testing = MLModel.objects.exclude(status=ModelStatus.ACTIVE).first()
    assert testing is not None

    response = client_for(driver).get(download(testing))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_an_active_model_without_an_export_is_a_409(
    driver: User, client_for: Callable[[User], APIClient], exported: dict[str, MLModel]
) -> None:
    model = exported["image_classification"]
    onnx_path(model).unlink()

    response = client_for(driver).get(download(model))

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "not_exported"
    rows = {row["model_type"]: row for row in client_for(driver).get(ACTIVE).json()}
    assert rows["image_classification"]["onnx"] is None
