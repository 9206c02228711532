"""Engine-like recordings made on the fly, and a small engine-sound model trained on them in the test.

The shipped models learnt real recordings, which tests may not need; a generated hum is not a recording
they know. So tests that ask "does the recipe name a clean example of a class it knows?" train the
project's own model (``training.fit``, ``StatsNet``, the shipped decision rule) on generated classes here,
in a second or two, and ask it about generated clips it never heard (other seeds):

- ``normal_idle``: an idle's firing hum, a fundamental of 25-35 Hz with decaying harmonics, and a little noise;
- ``water_pump``: that idle with a bearing's grind on top: 2-4 kHz noise pulsing at 12-20 Hz;
- ``alternator``: that idle with a steady whine at 1.2-1.8 kHz and its second harmonic;
- ``brake_grinding``: that idle with a loud 300-1500 Hz scrape pulsing with the wheel, 4-8 times a second.

``unknown`` is taught with ``synth``'s silence, noise, tones, speech and music, as the real recipe does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from mlops.artifacts import write_checksum
from mlops.ml.engine import synth
from mlops.ml.engine.classifier import CONFIG_FORMAT, UNKNOWN, Calibration, EngineSoundClassifier
from mlops.ml.engine.corpus import CLASSES
from mlops.ml.engine.features import FeatureConfig, LogMel, split_windows, vote_weights
from mlops.ml.engine.stats import window_statistics
from mlops.ml.engine.training import Recipe, fit

RATE = 16_000
GENERATED = ("normal_idle", "water_pump", "alternator", "brake_grinding")
# The shipped v2 rule: a code is named when P(unknown) is at most 0.1.
CALIBRATION = Calibration(temperature=1.0, threshold=0.9, second_ratio=0.6, second_min=0.2, rule="engine_mass")


def _uniform(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=gen))


def _idle(gen: torch.Generator, n: int) -> torch.Tensor:
    t = torch.arange(n) / RATE
    f0 = _uniform(gen, 25.0, 35.0)
    # The firing rate wanders a little, as a real idle does.
    wobble = 1.0 + 0.01 * torch.sin(2 * math.pi * _uniform(gen, 0.2, 0.6) * t)
    phase = 2 * math.pi * f0 * torch.cumsum(wobble, 0) / RATE
    hum = sum((0.8**k) * torch.sin(k * phase + _uniform(gen, 0, 6.28)) for k in range(1, 16))
    return 0.3 * hum / 4 + 0.01 * torch.randn(n, generator=gen)


def _band_noise(gen: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    spectrum = torch.fft.rfft(torch.randn(n, generator=gen))
    freqs = torch.fft.rfftfreq(n, 1.0 / RATE)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    noise = torch.fft.irfft(spectrum, n)
    return noise / noise.std().clamp_min(1e-9)


def engine_like(code: str, seconds: float, seed: int) -> torch.Tensor:
    """A clean generated recording of ``code`` (one of GENERATED), mono at 16 kHz."""
    gen = torch.Generator().manual_seed(seed)
    n = round(seconds * RATE)
    t = torch.arange(n) / RATE
    idle = _idle(gen, n)
    if code == "normal_idle":
        return idle
    if code == "water_pump":
        pulse = 0.5 + 0.5 * torch.sin(2 * math.pi * _uniform(gen, 12.0, 20.0) * t)
        return idle + 0.06 * pulse * _band_noise(gen, n, 2000.0, 4000.0)
    if code == "alternator":
        f = _uniform(gen, 1200.0, 1800.0)
        return idle + 0.05 * torch.sin(2 * math.pi * f * t) + 0.02 * torch.sin(4 * math.pi * f * t)
    if code == "brake_grinding":
        pulse = (0.5 + 0.5 * torch.sin(2 * math.pi * _uniform(gen, 4.0, 8.0) * t)) ** 2
        return idle + 0.12 * pulse * _band_noise(gen, n, 300.0, 1500.0)
    raise ValueError(f"No generator for {code!r}.")


def _statistics(logmel: LogMel, audio: torch.Tensor, features: FeatureConfig) -> torch.Tensor:
    windows = split_windows(audio, features)
    silent, _ = vote_weights(windows, features)
    if silent.all():
        # Digital silence never reaches the model: classify() answers it without asking.
        return torch.zeros(0, 0)
    with torch.no_grad():
        return window_statistics(logmel(windows.audio[~silent]), "rich")


def trained_classifier(seed: int = 0, clips: int = 8) -> EngineSoundClassifier:
    """The project's recipe fitted on generated engines and synthetic non-engine sound (seeds below 1000)."""
    features = FeatureConfig()
    logmel = LogMel(features)
    gen = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for c, code in enumerate(GENERATED):
        for i in range(clips):
            x = _statistics(logmel, engine_like(code, 3.0, seed * 1000 + c * 100 + i), features)
            xs.append(x)
            ys.append(torch.full((x.shape[0],), CLASSES.index(code)))
    for category in synth.CATEGORIES:
        for _ in range(clips // 2):
            wave, _ = synth.negative(gen, 3 * RATE, RATE, category)
            x = _statistics(logmel, wave, features)
            if not x.numel():
                continue
            xs.append(x)
            ys.append(torch.full((x.shape[0],), CLASSES.index(UNKNOWN)))
    x, y = torch.cat(xs), torch.cat(ys)
    model = fit(x, y, torch.ones(len(y)), Recipe(), features.n_mels, steps=200, seed=seed)
    return EngineSoundClassifier(model, CLASSES, features, CALIBRATION)


def write_artifact(classifier: EngineSoundClassifier, folder: Path, version: str) -> Path:
    """Save a classifier as train_model does (weights, config, checksum), for the registry to serve."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(classifier.model.state_dict(), folder / "weights.pt")
    model = classifier.model
    config = {
        "format": CONFIG_FORMAT,
        "kind": "engine_sound",
        "name": "engine-sound-generated",
        "version": version,
        "classes": list(classifier.classes),
        "features": classifier.features.to_dict(),
        "model": {"arch": "StatsNet", "feature_set": "rich", "hidden": model.head[1].out_features},  # type: ignore[index]
        "calibration": {
            "temperature": CALIBRATION.temperature,
            "threshold": CALIBRATION.threshold,
            "second_ratio": CALIBRATION.second_ratio,
            "second_min": CALIBRATION.second_min,
            "rule": CALIBRATION.rule,
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    write_checksum(folder)
    return folder
