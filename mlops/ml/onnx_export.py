"""ONNX exports of the registered models, for phones that diagnose offline.

Made with torch's own TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``): the dynamo
exporter of torch 2.14 needs onnxscript, which nothing else here uses, and the networks are plain
convolution stacks and matrix products that trace exactly (the engine model's modulation spectrum is a DFT by
matrix multiply for this reason: ONNX has no FFT the exporter can emit). Each export sits beside a small JSON
of what a phone needs to run it (the input tensor and how to build it, the classes), so listing them needs
neither torch nor hashing.

Two places hold exports: ``manage.py train_model`` ships ``model.onnx`` (and ``model.json``) inside the
artefact it builds, covered by the artefact's sha256; ``manage.py export_onnx`` writes one under ML_ONNX_DIR
for an artefact that has none (the ones trained before exports existed).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mlops.ml.dashboard.model import SymbolNet
from mlops.ml.engine.classifier import build_model

OPSET = 17
IMAGE, AUDIO = "image_classification", "audio_classification"
# The export that train_model ships inside an artefact folder (its spec is ARTIFACT_ONNX's .json sibling).
ARTIFACT_ONNX = "model.onnx"
# How close onnxruntime's logits must be to PyTorch's (both absolute and relative, as numpy.allclose).
PARITY_TOLERANCE = 1e-4


class OnnxParityError(ValueError):
    """An export whose outputs differ from the PyTorch network's: never ship it."""


@dataclass(frozen=True)
class Export:
    """One exported model file and what a phone needs to feed it."""

    path: Path
    sha256: str
    size_bytes: int
    input_spec: dict[str, Any]


def network(model_type: str, artifact_dir: Path) -> tuple[nn.Module, torch.Tensor, dict[str, Any]]:
    """The trained network in eval mode, an example input, and the input spec a phone follows."""
    config = json.loads((artifact_dir / "config.json").read_text(encoding="utf-8"))
    classes = list(config["classes"])
    if model_type == IMAGE:
        module: nn.Module = SymbolNet(len(classes), tuple(config["channels"]))
        size = int(config["input_size"])
        example = torch.zeros(1, 3, size, size)
        spec = {
            "name": "crops",
            "shape": ["batch", 3, size, size],
            "dtype": "float32",
            "layout": "NCHW, RGB",
            "normalise": "(pixel - mean * 255) / (std * 255), pixel in 0..255",
            "mean": config["mean"],
            "std": config["std"],
            "output": "logits per class; softmax(logits / temperature)",
            "temperature": config.get("temperature", 1.0),
            "classes": classes,
        }
    elif model_type == AUDIO:
        module = build_model(config, len(classes))
        features = config["features"]
        frames = int(features["window_s"] * features["sample_rate"] / features["hop_length"]) + 1
        example = torch.zeros(1, 1, int(features["n_mels"]), frames)
        spec = {
            "name": "logmel_db",
            "shape": ["batch", 1, int(features["n_mels"]), frames],
            "dtype": "float32",
            "features": features,
            "output": "logits per class, one row per window",
            "calibration": config.get("calibration", {}),
            "classes": classes,
        }
    else:
        raise ValueError(f"No ONNX export for {model_type} models.")
    module.load_state_dict(torch.load(artifact_dir / "weights.pt", map_location="cpu", weights_only=True))
    return module.eval(), example, spec


def export(*, model_type: str, artifact_dir: Path, target: Path) -> Export:
    """Write ``target`` (the .onnx file) and its spec beside it; the batch dimension stays dynamic."""
    module, example, spec = network(model_type, artifact_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".onnx.partial")
    with torch.inference_mode():
        torch.onnx.export(
            module,
            (example,),
            str(partial),
            dynamo=False,
            input_names=[spec["name"]],
            output_names=["logits"],
            dynamic_axes={spec["name"]: {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET,
        )
    partial.replace(target)  # a download never sees a half-written file
    data = target.read_bytes()
    result = Export(path=target, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), input_spec=spec)
    meta = {"sha256": result.sha256, "size_bytes": result.size_bytes, "input_spec": spec, "opset": OPSET}
    spec_path(target).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return result


def parity_input(model_type: str, example: torch.Tensor, batch: int = 8, seed: int = 0) -> torch.Tensor:
    """A batch in the network's usual input range: log-mel dB around -40 for audio, standardised pixels."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(batch, *example.shape[1:], generator=generator)
    return noise * 20 - 40 if model_type == AUDIO else noise


def check_parity(*, model_type: str, artifact_dir: Path, onnx_file: Path) -> float | None:
    """Run the export with onnxruntime beside PyTorch; the largest logit difference, or None without onnxruntime.

    onnxruntime is a development dependency (phones bring their own runtime), so a server without it still
    trains and exports; the tests always run this check.
    """
    try:
        import onnxruntime
    except ImportError:
        return None
    module, example, spec = network(model_type, artifact_dir)
    batch = parity_input(model_type, example)
    with torch.inference_mode():
        expected = module(batch).numpy()
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    [actual] = session.run(None, {spec["name"]: batch.numpy()})
    if actual.shape != expected.shape or not np.allclose(
        actual, expected, rtol=PARITY_TOLERANCE, atol=PARITY_TOLERANCE
    ):
        raise OnnxParityError(f"{onnx_file}: onnxruntime's logits differ from PyTorch's beyond {PARITY_TOLERANCE}.")
    return float(np.abs(actual - expected).max())


def shipped_export(artifact_dir: Path) -> Export | None:
    """The export that train_model put inside the artefact folder, or None for older artefacts."""
    return read_export(artifact_dir / ARTIFACT_ONNX)


def spec_path(target: Path) -> Path:
    return target.with_suffix(".json")


def read_export(target: Path) -> Export | None:
    """The export at ``target`` as its spec file describes it, or None when there is none (yet)."""
    meta_file = spec_path(target)
    if not target.is_file() or not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    return Export(path=target, sha256=meta["sha256"], size_bytes=meta["size_bytes"], input_spec=meta["input_spec"])
