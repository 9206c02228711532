"""A data audit: how well does each block of each recording resemble the rest of its class?

A linear probe on each chunk's mean log-mel spectrum is scored by k-fold contiguous-block cross-validation
(guard gaps on both sides of every test block). A block the probe cannot place is a recording regime that
no other part of its class shows, so no model trained on the other blocks can be expected to place it either.

Run: ``python -m mlops.ml.engine.block_cv --data ../shared/data [--folds 5]``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from mlops.ml.engine.audio import load_audio
from mlops.ml.engine.data import RECORDED_CODES, chunk_files, engine_dir
from mlops.ml.engine.features import FeatureConfig, LogMel, condition, to_model_rate


def chunk_spectra(data_dir: Path, cfg: FeatureConfig) -> dict[str, torch.Tensor]:
    """Each chunk's mean log-mel spectrum, loudness-normalised, with its overall level removed."""
    logmel = LogMel(cfg)
    spectra = {}
    for code in RECORDED_CODES:
        chunks = []
        for _, path in chunk_files(engine_dir(data_dir) / code):
            waveform = to_model_rate(*load_audio(path), cfg)[: cfg.window_samples]
            audio, _ = condition(waveform.unsqueeze(0), cfg)
            mean = logmel(audio).squeeze(1).mean(dim=-1).squeeze(0)
            chunks.append(mean - mean.mean())
        spectra[code] = torch.stack(chunks)
    return spectra


class BlockScore(NamedTuple):
    """How the probe did on one test block of one class (chunk numbers inclusive)."""

    first: int
    last: int
    correct: int
    predicted: list[str]


def _probe(x: torch.Tensor, y: torch.Tensor, seed: int) -> nn.Linear:
    torch.manual_seed(seed)
    probe = nn.Linear(x.shape[1], len(RECORDED_CODES))
    optimiser = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=1e-3)
    # Classes differ six-fold in size; weighting keeps the probe from favouring normal_idle.
    weight = 1.0 / torch.bincount(y, minlength=len(RECORDED_CODES)).float()
    for _ in range(300):
        optimiser.zero_grad()
        nn.functional.cross_entropy(probe(x), y, weight=weight / weight.sum()).backward()
        optimiser.step()
    return probe


def block_cv(spectra: dict[str, torch.Tensor], folds: int, guard: int, seed: int = 0) -> dict[str, list[BlockScore]]:
    """Per class, the probe's score on each of its ``folds`` contiguous test blocks."""
    report: dict[str, list[BlockScore]] = {code: [] for code in RECORDED_CODES}
    for fold in range(folds):
        train_x, train_y, tests = [], [], []
        for label, code in enumerate(RECORDED_CODES):
            n = spectra[code].shape[0]
            block = torch.tensor_split(torch.arange(n), folds)[fold]
            lo, hi = int(block[0]), int(block[-1])
            keep = [i for i in range(n) if i < lo - guard or i > hi + guard]
            train_x.append(spectra[code][keep])
            train_y += [label] * len(keep)
            tests.append((code, label, lo, hi))
        x = torch.cat(train_x)
        mean, std = x.mean(dim=0), x.std(dim=0) + 1e-6
        probe = _probe((x - mean) / std, torch.tensor(train_y), seed)
        with torch.no_grad():
            for code, label, lo, hi in tests:
                predicted = probe((spectra[code][lo : hi + 1] - mean) / std).argmax(dim=1)
                names = [RECORDED_CODES[int(p)] for p in predicted]
                report[code].append(BlockScore(lo, hi, int((predicted == label).sum()), names))
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--guard", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    report = block_cv(chunk_spectra(args.data, FeatureConfig()), args.folds, args.guard)
    total = correct = 0
    for code, blocks in report.items():
        cells = []
        for lo, hi, right, names in blocks:
            wrong = sorted({n for n in names if n != code})
            cells.append(f"{lo}-{hi}: {right}/{hi - lo + 1}" + (f" (else {', '.join(wrong)})" if wrong else ""))
            total += hi - lo + 1
            correct += right
        print(f"{code:14s} " + " | ".join(cells))
    print(f"pooled: {correct}/{total} = {correct / total:.1%}")


if __name__ == "__main__":
    main()
