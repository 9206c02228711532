"""ONNX exports of the registered models, for phones that diagnose offline.

Made with torch's own TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``): the dynamo
exporter of torch 2.14 needs onnxscript, which nothing else here uses, and the networks are plain
convolution stacks that trace exactly. Each export sits beside a small JSON of what a phone needs to run
it (the input tensor and how to build it, the classes), so listing them needs neither torch nor hashing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mlops.ml.dashboard.model import SymbolNet
from mlops.ml.engine.classifier import build_model

OPSET = 17
IMAGE, AUDIO = "image_classification", "audio_classification"


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


def spec_path(target: Path) -> Path:
    return target.with_suffix(".json")


def read_export(target: Path) -> Export | None:
    """The export at ``target`` as its spec file describes it, or None when there is none (yet)."""
    meta_file = spec_path(target)
    if not target.is_file() or not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    return Export(path=target, sha256=meta["sha256"], size_bytes=meta["size_bytes"], input_spec=meta["input_spec"])
