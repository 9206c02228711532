"""The real engine recordings and their contiguous train/validation blocks."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from mlops.ml.engine.audio import load_audio
from mlops.ml.engine.features import FeatureConfig, to_model_rate

# The six codes we hold real recordings for, in the order the model's outputs use.
RECORDED_CODES: tuple[str, ...] = (
    "normal_idle",
    "ac_compressor",
    "idler_pulley",
    "alternator",
    "worn_bearing",
    "water_pump",
)
_CHUNK = re.compile(r"^(?P<stem>.+)_(?P<num>\d+)\.wav$")


@dataclass(frozen=True, slots=True)
class Split:
    """How one class's chunks, numbered in recording order, are divided.

    Neighbouring chunks are near-copies, so the validation block is contiguous and a guard gap of unused
    chunks separates it from training.
    """

    code: str
    n_chunks: int
    train: tuple[int, int]  # inclusive chunk-number ranges
    guard: tuple[int, int] | None
    val: tuple[int, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "chunks": self.n_chunks,
            "train": list(self.train),
            "guard": list(self.guard) if self.guard else None,
            "val": list(self.val),
        }


@dataclass(frozen=True, slots=True)
class ClassData:
    """One class's conditioned-rate chunks, split into contiguous blocks."""

    split: Split
    train: torch.Tensor  # (n_train, samples), consecutive chunks in recording order
    val: torch.Tensor  # (n_val, samples)
    every: torch.Tensor  # (n_chunks, samples), all chunks in recording order, for the final refit


def engine_dir(data_dir: Path) -> Path:
    """Accept either the shared data folder or its ``engine`` subfolder."""
    return data_dir / "engine" if (data_dir / "engine").is_dir() else data_dir


def chunk_files(folder: Path) -> list[tuple[int, Path]]:
    """The chunk files of one class, sorted by their recording-order number."""
    numbered = []
    for path in folder.iterdir():
        match = _CHUNK.match(path.name)
        if match:
            numbered.append((int(match["num"]), path))
    return sorted(numbered)


def make_split(code: str, numbers: list[int], val_fraction: float, guard: int, min_val: int) -> Split:
    """Hold out the last ``val_fraction`` of the chunk numbers, leaving ``guard`` unused chunks before it."""
    n = len(numbers)
    n_val = max(min_val, math.ceil(val_fraction * n))
    if n - n_val - guard < min_val:
        raise ValueError(f"{code}: {n} chunks are too few for a {n_val}-chunk validation block.")
    first, last = numbers[0], numbers[-1]
    val_start = numbers[n - n_val]
    train_end = numbers[n - n_val - guard - 1]
    guard_range = (numbers[n - n_val - guard], numbers[n - n_val - 1]) if guard else None
    return Split(code=code, n_chunks=n, train=(first, train_end), guard=guard_range, val=(val_start, last))


def load_recordings(
    data_dir: Path,
    features: FeatureConfig,
    *,
    val_fraction: float = 0.22,
    guard: int = 3,
    min_val: int = 6,
) -> dict[str, ClassData]:
    """Load every recorded class and split it into contiguous train and validation blocks."""
    root = engine_dir(data_dir)
    out: dict[str, ClassData] = {}
    for code in RECORDED_CODES:
        files = chunk_files(root / code)
        if not files:
            raise FileNotFoundError(f"No chunks for {code} in {root / code}.")
        split = make_split(code, [num for num, _ in files], val_fraction, guard, min_val)
        waves = {}
        for num, path in files:
            waveform, rate = load_audio(path)
            chunk = to_model_rate(waveform, rate, features)
            n = features.window_samples
            # Chunks are nominally one window long; trim or loop the odd one so they stack.
            waves[num] = chunk[:n] if chunk.shape[0] >= n else chunk.repeat(math.ceil(n / chunk.shape[0]))[:n]
        train = torch.stack([w for num, w in waves.items() if split.train[0] <= num <= split.train[1]])
        val = torch.stack([w for num, w in waves.items() if split.val[0] <= num <= split.val[1]])
        every = torch.stack([waves[num] for num, _ in files])
        out[code] = ClassData(split=split, train=train, val=val, every=every)
    return out
