"""The small, typed inference API that the rest of CarDoc AI calls; nothing outside mlops imports torch.

Each process loads a model once (after checking its sha256) and reuses it until a deploy changes which
model serves. A testing model with a traffic share serves that share of requests, chosen by a stable
hash of the routing key, so the same diagnostic always goes to the same model.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import torch
from django.conf import settings

from mlops import artifacts
from mlops.ml.dashboard import DashboardRecognizer, LightDetection, open_photo, read_header
from mlops.ml.engine import Candidate, EngineSoundClassifier, Finding, SoundVerdict, SoundWindow, load_audio
from mlops.ml.engine import probe_audio as probe_recording
from mlops.ml.errors import MediaError
from mlops.ml.quality import AudioQuality, ImageQuality, audio_quality, image_quality
from mlops.models import MLModel, ModelType
from mlops.routing import ModelUnavailableError, choose_model
from mlops.services import prediction_record

__all__ = [
    "AudioQuality",
    "Candidate",
    "DashboardAnalysis",
    "EngineAnalysis",
    "Finding",
    "ImageProbe",
    "ImageQuality",
    "LightDetection",
    "MediaError",
    "ModelUnavailableError",
    "ServedBy",
    "SoundVerdict",
    "SoundWindow",
    "analyze_dashboard",
    "analyze_engine_sound",
    "probe_audio",
    "probe_image",
]

logger = logging.getLogger(__name__)

UNKNOWN = "unknown"
Media = bytes | Path | BinaryIO

torch.set_num_threads(settings.ML_TORCH_THREADS)


@dataclass(frozen=True, slots=True)
class ServedBy:
    id: uuid.UUID
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class ImageProbe:
    width: int
    height: int
    format: str


@dataclass(frozen=True, slots=True)
class DashboardAnalysis:
    detections: tuple[LightDetection, ...]
    model: ServedBy
    elapsed_ms: float
    quality: ImageQuality


@dataclass(frozen=True, slots=True)
class EngineAnalysis:
    verdict: SoundVerdict
    model: ServedBy
    elapsed_ms: float
    duration_s: float
    quality: AudioQuality


_LOADERS = {
    ModelType.IMAGE_CLASSIFICATION: DashboardRecognizer.load,
    ModelType.AUDIO_CLASSIFICATION: EngineSoundClassifier.load,
}
_loaded: dict[uuid.UUID, object] = {}
_load_lock = threading.Lock()


def _instance(model: MLModel) -> object:
    with _load_lock:
        cached = _loaded.get(model.pk)
        if cached is not None:
            return cached
        folder = artifacts.resolve(model.artifact_path)
        try:
            artifacts.verify(folder, model.sha256)
        except artifacts.ArtifactIntegrityError as exc:
            # The details (a server path, checksums) are for the log; the message can reach a driver.
            logger.error("Refusing to load %s %s: %s", model.name, model.version, exc)
            raise ModelUnavailableError(f"The {model.name} {model.version} model failed its integrity check.") from exc
        instance = _LOADERS[model.model_type](folder)
        # Keep only what can still serve, so a deploy does not leave old weights in every worker.
        still_serving = set(MLModel.objects.serving().values_list("pk", flat=True))
        for stale in [pk for pk in _loaded if pk not in still_serving]:
            del _loaded[stale]
        _loaded[model.pk] = instance
        return instance


def _served_by(model: MLModel) -> ServedBy:
    return ServedBy(id=model.pk, name=model.name, version=model.version)


def probe_image(data: Media) -> ImageProbe:
    """Check an upload is a real image within our limits, cheaply; raises MediaError.

    This runs in the request, so it reads the header and verifies the file without a full decode (PNG chunk
    checksums, a 1/8-scale JPEG decode); the worker then decodes the photo once, at reduced size.
    """
    header = read_header(data)
    return ImageProbe(width=header.width, height=header.height, format=header.format)


def probe_audio(data: Media) -> float:
    """Check an upload is a whole recording within our limits and return its duration in seconds.

    Raises MediaError outside 0.5–60 s, above 48 kHz or 2 channels, or for a damaged or truncated file. It
    reads every packet but decodes only the first second: the worker decodes the recording once, in full.
    """
    return probe_recording(data).duration_s


def analyze_dashboard(data: Media, *, routing_key: str | None = None) -> DashboardAnalysis:
    model = choose_model(ModelType.IMAGE_CLASSIFICATION, routing_key)
    recognizer = _instance(model)
    assert isinstance(recognizer, DashboardRecognizer)  # noqa: S101 - narrows the loader's type
    started = time.perf_counter()
    # Decoded at reduced size (a 40 MP photo would cost hundreds of MB); boxes still come in its own pixels.
    photo = open_photo(data)
    detections = tuple(recognizer.detect(photo))
    elapsed_ms = (time.perf_counter() - started) * 1000
    top = max(detections, key=lambda d: d.confidence, default=None)
    prediction_record(
        model_id=model.pk,
        top_code=top.code if top else "",
        confidence=top.confidence if top else 0.0,
        is_unknown=top is None,
        latency_ms=elapsed_ms,
    )
    # Measured on the copy already decoded, after the timing: it explains an empty result, it is not inference.
    quality = image_quality(photo.image, original_size=photo.original_size)
    return DashboardAnalysis(detections=detections, model=_served_by(model), elapsed_ms=elapsed_ms, quality=quality)


def analyze_engine_sound(data: Media, *, routing_key: str | None = None) -> EngineAnalysis:
    model = choose_model(ModelType.AUDIO_CLASSIFICATION, routing_key)
    classifier = _instance(model)
    assert isinstance(classifier, EngineSoundClassifier)  # noqa: S101 - narrows the loader's type
    started = time.perf_counter()
    waveform, sample_rate = load_audio(data)
    verdict = classifier.classify(waveform, sample_rate)
    elapsed_ms = (time.perf_counter() - started) * 1000
    prediction_record(
        model_id=model.pk,
        top_code="" if verdict.code == UNKNOWN else verdict.code,
        confidence=verdict.confidence,
        is_unknown=verdict.code == UNKNOWN,
        latency_ms=elapsed_ms,
    )
    return EngineAnalysis(
        verdict=verdict,
        model=_served_by(model),
        elapsed_ms=elapsed_ms,
        duration_s=waveform.shape[-1] / sample_rate,
        quality=audio_quality(waveform.reshape(-1).numpy(), sample_rate),
    )
