"""Every real recording we train and validate on, named by the recording it came from.

Four sources (``../shared/data``, see its README):

- ``engine/<code>/avanza_NNN.wav``: one Toyota Avanza, 1 s chunks in recording order. Neighbouring chunks are
  near-copies, so a class's chunks are one recording and are validated by contiguous blocks;
- ``engine_multi/<code>/*.wav``: fault recordings from many cars, 4-41 s each; every file is its own recording
  and is validated by holding the whole file out;
- ``engine_other_car/*.wav``: 1.5 s clips of a healthy VW Jetta and its surroundings; the clips of one scene
  (``jetta_<scene>_<date>_<time>_<n>.wav``) are one recording;
- synthetic non-engine sound (``synth``), whose seeds are the recordings.

Which code each real file teaches is decided here, in one place: ``MULTI_CAR_CODES`` and ``JETTA_SCENES``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from mlops.ml.engine.audio import load_audio
from mlops.ml.engine.features import FeatureConfig, to_model_rate

UNKNOWN = "unknown"

# The Avanza's six classes, as before.
AVANZA_CODES: tuple[str, ...] = (
    "normal_idle",
    "ac_compressor",
    "idler_pulley",
    "alternator",
    "worn_bearing",
    "water_pump",
)
# engine_multi folders and the code each teaches. Codes held out of the offered set are trained as
# "unknown": the model hears them, and learns that they are none of the codes it names.
# - ball_joint and engine_seizing are not in the taxonomy (no catalog entry to link a finding to);
# - belt_squeal and engine_knock have one recording each, which cannot be validated by holding it out.
MULTI_CAR_CODES: dict[str, str] = {
    "water_pump": "water_pump",
    "exhaust_leak": "exhaust_leak",
    "brake_grinding": "brake_grinding",
    "alternator": "alternator",
    "ball_joint": UNKNOWN,
    "engine_seizing": UNKNOWN,
    "belt_squeal": UNKNOWN,
    "engine_knock": UNKNOWN,
}
# The codes the model names, in the order of its outputs (then "unknown").
OFFERED_CODES: tuple[str, ...] = (*AVANZA_CODES, "exhaust_leak", "brake_grinding")
CLASSES: tuple[str, ...] = (*OFFERED_CODES, UNKNOWN)

# Jetta scenes. Under the bonnet (idle, revving, fans, driving) a healthy engine is heard: normal_idle.
# Everything else is taught as "unknown". Out on the street (traffic, wind, a quiet road) there is no engine
# to judge, so "unknown" is the only right answer; in the cabin, the parking lot or at a stoplight the healthy
# engine may be heard faintly, so "normal_idle" is an acceptable answer too, and only a fault code is wrong.
_JETTA_OUTSIDE = (
    "busy_highway_ambient",
    "busy_street_ambient",
    "quiet_residential_ambient",
    "windy_day_ambient",
    "windy_driving_city_streets",
)
_JETTA_FILE = re.compile(r"^jetta_(?P<scene>.+)_(?P<date>\d{8})_(?P<time>\d{6})_(?P<n>\d{4})\.wav$")
_CHUNK = re.compile(r"^(?P<stem>.+)_(?P<num>\d+)\.wav$")


def jetta_code(scene: str) -> str:
    return "normal_idle" if scene.endswith("_under_hood") else UNKNOWN


def acceptable(recording: Recording) -> frozenset[str]:
    """The answers that are right for this recording: its code, and for a car's surroundings also "normal"."""
    if recording.source == "jetta" and recording.code == UNKNOWN and recording.folder not in _JETTA_OUTSIDE:
        return frozenset({UNKNOWN, "normal_idle"})
    return frozenset({recording.code})


def is_non_engine(recording: Recording) -> bool:
    """Sound with no engine to judge: the street outside the car, and synthetic silence, speech, music, noise."""
    return recording.source == "synthetic" or (recording.source == "jetta" and recording.folder in _JETTA_OUTSIDE)


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording (or one Avanza chunk) at the model's rate, with the group it must stay inside.

    ``group`` names the recording: two items with one group are never on both sides of a split. Avanza
    chunks share their class's group and carry ``order`` (the chunk number) for contiguous blocks.
    """

    source: str  # "avanza", "multi_car", "jetta", "synthetic"
    code: str  # the class it teaches: an offered code or "unknown"
    folder: str  # the data folder's own label (e.g. "ball_joint", a Jetta scene)
    group: str
    name: str
    audio: torch.Tensor  # mono, model rate
    order: int = 0


def _load(path: Path, features: FeatureConfig | None) -> torch.Tensor:
    if features is None:
        # A listing only: which recordings there are and how they group, without decoding any.
        return torch.zeros(0)
    waveform, rate = load_audio(path)
    return to_model_rate(waveform, rate, features)


def data_root(data_dir: Path) -> Path:
    """Accept the shared data folder, or (as before) its ``engine`` subfolder."""
    return data_dir.parent if data_dir.name == "engine" and not (data_dir / "engine").is_dir() else data_dir


def avanza(data_dir: Path, features: FeatureConfig | None) -> list[Recording]:
    root = data_root(data_dir) / "engine"
    items = []
    for code in AVANZA_CODES:
        files = sorted((int(m["num"]), p) for p in (root / code).glob("*.wav") if (m := _CHUNK.match(p.name)))
        if not files:
            raise FileNotFoundError(f"No chunks for {code} in {root / code}.")
        for num, path in files:
            chunk = _load(path, features)
            if features is not None:
                # Chunks are nominally one window long; trim or loop the odd one so they stack.
                n = features.window_samples
                chunk = chunk[:n] if chunk.shape[0] >= n else chunk.repeat(math.ceil(n / chunk.shape[0]))[:n]
            items.append(Recording("avanza", code, code, f"avanza/{code}", path.name, chunk, num))
    return items


def multi_car(data_dir: Path, features: FeatureConfig | None) -> list[Recording]:
    root = data_root(data_dir) / "engine_multi"
    if not root.is_dir():
        return []
    items = []
    for folder, code in MULTI_CAR_CODES.items():
        for path in sorted((root / folder).glob("*.wav")):
            # Each file is one video (yeomyeom) or one original clip (safa): its own recording.
            items.append(Recording("multi_car", code, folder, f"multi/{path.stem}", path.name, _load(path, features)))
    return items


def jetta(data_dir: Path, features: FeatureConfig | None) -> list[Recording]:
    root = data_root(data_dir) / "engine_other_car"
    if not root.is_dir():
        return []
    items = []
    for path in sorted(root.glob("*.wav")):
        match = _JETTA_FILE.match(path.name)
        if not match:
            continue
        scene = match["scene"]
        items.append(
            Recording(
                "jetta", jetta_code(scene), scene, f"jetta/{scene}", path.name, _load(path, features), int(match["n"])
            )
        )
    return items


def load_corpus(data_dir: Path, features: FeatureConfig | None) -> list[Recording]:
    """Every real recording under ``data_dir`` (the shared data folder); Avanza is required, the rest optional.

    With ``features=None`` nothing is decoded: the recordings come back with empty audio, for listings.
    """
    return [*avanza(data_dir, features), *multi_car(data_dir, features), *jetta(data_dir, features)]


def by_source(items: Iterable[Recording], source: str) -> list[Recording]:
    return [r for r in items if r.source == source]
