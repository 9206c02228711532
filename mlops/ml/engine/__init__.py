"""Engine-sound classification: decode a recording, cut it into log-mel windows, name the fault.

``python -m mlops.ml.engine.train`` is the command line for ``train_engine``.
"""

from __future__ import annotations

from mlops.ml.engine.audio import (
    MAX_DURATION_S,
    MIN_DURATION_S,
    AudioInfo,
    encode_audio,
    load_audio,
    probe_audio,
    probe_duration,
)
from mlops.ml.engine.classifier import (
    UNKNOWN,
    Candidate,
    EngineSoundClassifier,
    Finding,
    SoundVerdict,
    SoundWindow,
)
from mlops.ml.engine.training import train_engine

__all__ = [
    "MAX_DURATION_S",
    "MIN_DURATION_S",
    "UNKNOWN",
    "AudioInfo",
    "Candidate",
    "EngineSoundClassifier",
    "Finding",
    "SoundVerdict",
    "SoundWindow",
    "encode_audio",
    "load_audio",
    "probe_audio",
    "probe_duration",
    "train_engine",
]
