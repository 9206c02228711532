"""How findings over time hold up on audio the model never heard: python -m mlops.ml.engine.findings_eval --data DIR

The same 5 folds as training (``validation.folds``). Each fold's model (the shipped recipe) judges the clips
of its test fold, and also recordings joined from its own held-out Avanza chunks:

- idle then a fault: 3 chunks of normal_idle, then 3 of a fault, all from the fold's test blocks;
- two faults: 3 chunks of one fault, then 3 of another.

It prints, as JSON, how often the findings name the right codes, how often they add a wrong one, and how often
the whole-clip verdict alone (what the driver was told before) would have named the fault. The calibration is
the shipped artefact's (temperature and threshold), so it is not re-fitted here.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from mlops.ml.engine import training
from mlops.ml.engine.classifier import UNKNOWN, EngineSoundClassifier
from mlops.ml.engine.corpus import AVANZA_CODES, Recording, load_corpus
from mlops.ml.engine.features import FeatureConfig, LogMel
from mlops.ml.engine.validation import folds

NORMAL = "normal_idle"
RUN = 3  # chunks of each part: 3 s


def _joined(chunks: Sequence[Recording], logmel: LogMel, features: FeatureConfig) -> training.Unit:
    audio = torch.cat([c.audio for c in chunks])
    conditioned, silent, weights = training._windows(audio, features)
    return training.Unit(
        "joined",
        "",
        "",
        "",
        -1,
        training._stats(logmel, conditioned),
        silent,
        weights,
        "+".join(c.name for c in chunks),
    )


def _composites(
    prepared: training.Prepared, fold: int, features: FeatureConfig
) -> list[tuple[tuple[str, ...], float, training.Unit]]:
    """(true codes, where the second part starts in s, unit) for recordings joined from this fold's test chunks."""
    logmel = LogMel(features)
    test_fold = {i: f.index for f in folds(prepared.items) for i in f.test}
    blocks: dict[str, list[Recording]] = defaultdict(list)
    for i, item in enumerate(prepared.items):
        if item.source == "avanza" and test_fold[i] == fold:
            blocks[item.code].append(item)
    for chunks in blocks.values():
        chunks.sort(key=lambda r: r.order)
    out = []
    faults = [c for c in AVANZA_CODES if c != NORMAL and len(blocks[c]) >= RUN]
    if len(blocks[NORMAL]) >= RUN:
        for fault in faults:
            unit = _joined(blocks[NORMAL][:RUN] + blocks[fault][:RUN], logmel, features)
            out.append(((fault,), float(RUN), unit))
    for a, b in zip(faults, faults[1:] + faults[:1], strict=True):
        if a != b:
            out.append(((a, b), float(RUN), _joined(blocks[a][-RUN:] + blocks[b][-RUN:], logmel, features)))
    return out


def _findings(decider: EngineSoundClassifier, unit: training.Unit, logits: torch.Tensor) -> tuple[str, Any]:
    probs = training._probs(logits, unit.silent, decider.calibration.temperature)
    if unit.silent.all():
        return UNKNOWN, ()
    code, _, candidates = decider.decide_clip(probs, unit.weights)
    n = probs.shape[0]
    spans = [(0.5 * i, 0.5 * i + 1.0) for i in range(n)]
    return code, decider.findings(probs, unit.weights, spans, candidates)


def evaluate(prepared: training.Prepared, temperature: float, threshold: float, steps: int = 300) -> dict[str, Any]:
    recipe = training.Recipe()
    features = FeatureConfig()
    decider = training._decider(temperature, threshold, recipe)
    tallies: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fold in folds(prepared.items, recipe.folds, recipe.guard):
        x, y, w = training._training_set(prepared, fold.train, augmented=True, other_faults=True)
        model = training.fit(x, y, w, recipe, features.n_mels, steps, 0)
        for unit in prepared.units:
            if unit.fold != fold.index:
                continue
            family = training._family(unit)
            clip, found = _findings(decider, unit, training._unit_logits(model, unit))
            codes = {f.code for f in found}
            t = tallies[family]
            t["clips"] += 1
            t["right_in_findings"] += bool(codes & unit.accept) or (not codes and UNKNOWN in unit.accept)
            t["a_wrong_code_in_findings"] += bool(codes - unit.accept)
            t["no_finding"] += not codes
        for truth, start_s, unit in _composites(prepared, fold.index, features):
            clip, found = _findings(decider, unit, training._unit_logits(model, unit))
            codes = {f.code for f in found}
            t = tallies["idle_then_fault" if len(truth) == 1 else "two_faults"]
            t["clips"] += 1
            t["every_fault_found"] += set(truth) <= codes
            t["a_wrong_code_in_findings"] += bool(codes - set(truth) - {NORMAL})
            t["clip_verdict_alone_named_a_fault_right"] += clip in truth
            last = next((f for f in found if f.code == truth[-1]), None)
            t["second_part_span_starts_within_1s_of_its_start"] += (
                last is not None and abs(last.start_s - start_s) <= 1.0
            )
    return {family: dict(t) for family, t in sorted(tallies.items())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--artifact", type=Path, default=Path("mlops/artifacts/engine_sound-v2"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    calibration = json.loads((args.artifact / "config.json").read_text())["calibration"]
    recipe, features = training.Recipe(), FeatureConfig()
    items = load_corpus(args.data, features) + training._synthetic(0, recipe, features)
    prepared = training.prepare(items, features, recipe, 0, lambda message: None)
    print(json.dumps(evaluate(prepared, calibration["temperature"], calibration["threshold"]), indent=2))


if __name__ == "__main__":
    main()
