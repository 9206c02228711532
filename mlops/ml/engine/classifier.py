"""Inference: turn a waveform into a timeline of window verdicts and one overall verdict."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mlops.ml.engine.features import FeatureConfig, LogMel, split_windows, to_model_rate
from mlops.ml.engine.model import EngineSoundNet
from mlops.ml.errors import MediaError

UNKNOWN = "unknown"
CONFIG_FORMAT = 1


@dataclass(frozen=True, slots=True)
class SoundWindow:
    """The verdict for one analysis window of the clip."""

    code: str
    confidence: float
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class SoundVerdict:
    """The verdict for a whole clip, with the per-window timeline it was drawn from."""

    code: str  # a taxonomy code or "unknown"
    confidence: float
    windows: tuple[SoundWindow, ...]


@dataclass(frozen=True, slots=True)
class Calibration:
    """Post-hoc settings fitted on held-out data after training."""

    temperature: float = 1.0
    # A window or clip whose best engine code is less probable than this is reported as "unknown".
    threshold: float = 0.5


class EngineSoundClassifier:
    """A trained engine-sound model with its feature settings and calibration; thread-safe for inference."""

    def __init__(
        self,
        model: EngineSoundNet,
        classes: tuple[str, ...],
        features: FeatureConfig,
        calibration: Calibration,
    ) -> None:
        if UNKNOWN not in classes:
            raise ValueError(f'The class list must contain "{UNKNOWN}".')
        self.model = model.eval()
        self.classes = classes
        self.features = features
        self.calibration = calibration
        self.logmel = LogMel(features).eval()
        self._unknown = classes.index(UNKNOWN)

    @classmethod
    def load(cls, artifact_dir: Path) -> EngineSoundClassifier:
        """Load ``config.json`` and ``weights.pt`` (a plain state_dict) from an artifact directory."""
        config = json.loads((artifact_dir / "config.json").read_text())
        if config.get("format") != CONFIG_FORMAT:
            raise ValueError(f"Unsupported engine-sound config format: {config.get('format')!r}.")
        classes = tuple(config["classes"])
        model = build_model(config, len(classes))
        state = torch.load(artifact_dir / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return cls(
            model=model,
            classes=classes,
            features=FeatureConfig.from_dict(config["features"]),
            calibration=Calibration(**config["calibration"]),
        )

    @torch.inference_mode()
    def window_probabilities(self, audio: torch.Tensor) -> torch.Tensor:
        """Calibrated class probabilities for conditioned windows (n, window_samples) -> (n, classes)."""
        logits = self.model(self.logmel(audio))
        return torch.softmax(logits / self.calibration.temperature, dim=-1)

    @torch.inference_mode()
    def classify(self, waveform: torch.Tensor, sample_rate: int) -> SoundVerdict:
        """Classify a mono or (channels, samples) waveform at any sample rate."""
        if waveform.numel() == 0:
            raise MediaError("The recording holds no audio samples.")
        if not torch.isfinite(waveform).all():
            raise MediaError("The recording contains invalid samples.")
        audio = to_model_rate(waveform, sample_rate, self.features)
        windows = split_windows(audio, self.features)
        silent = windows.level_dbfs < self.features.silence_dbfs
        probs = torch.zeros(windows.audio.shape[0], len(self.classes))
        probs[:, self._unknown] = 1.0
        if (~silent).any():
            probs[~silent] = self.window_probabilities(windows.audio[~silent])

        timeline = []
        for i, p in enumerate(probs):
            code, confidence = self._decide(p)
            timeline.append(SoundWindow(code, confidence, windows.starts_s[i], windows.ends_s[i]))

        if silent.all():
            return SoundVerdict(UNKNOWN, 1.0, tuple(timeline))
        # Silent windows say nothing about the engine, so only audible ones vote. Windows the recorder
        # clipped hard count for less: clipping smears energy across the spectrum.
        weights = (1.0 - 2.0 * windows.clipped_fraction).clamp(0.25, 1.0) * (~silent).float()
        mean = (probs * weights.unsqueeze(1)).sum(dim=0) / weights.sum()
        code, confidence = self._decide(mean)
        return SoundVerdict(code, confidence, tuple(timeline))

    def _decide(self, p: torch.Tensor) -> tuple[str, float]:
        """Pick the best engine code, or "unknown" when it is not probable enough.

        The confidence of an "unknown" answer is the probability that the sound is none of the codes.
        """
        engine = p.clone()
        engine[self._unknown] = -1.0
        best = int(engine.argmax())
        best_p = float(p[best])
        if best_p >= self.calibration.threshold and best_p >= float(p[self._unknown]):
            return self.classes[best], round(best_p, 4)
        return UNKNOWN, round(1.0 - best_p, 4)


def build_model(config: dict[str, Any], n_classes: int) -> EngineSoundNet:
    model_cfg = config.get("model", {})
    return EngineSoundNet(
        n_classes=n_classes,
        channels=tuple(model_cfg.get("channels", (16, 24, 32, 64))),
        dropout=float(model_cfg.get("dropout", 0.5)),
    )
