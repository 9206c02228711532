"""Training the dashboard recogniser from synthetic scenes, reproducibly from a seed.

    python -m mlops.ml.dashboard.train --out DIR --epochs N --seed S [--data DIR]

The classifier learns from the candidate boxes that candidates.py finds on synthetic scenes (labelled by
overlap with the symbols drawn there) plus a jittered crop of every symbol. Validation uses fresh scenes from
a separate seed stream: it measures how well the model fits the synthetic world, not real photos; the
real-icon evaluation lives in evaluate.py.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import nn
from torch.nn import functional as F

from catalog.symbols import CORE_CODES, WARNING_LIGHT_CODES
from mlops.ml.dashboard import synth
from mlops.ml.dashboard.candidates import crops_for, propose_parts, working_copy
from mlops.ml.dashboard.model import BACKGROUND, SymbolNet
from mlops.ml.dashboard.recognizer import TEMPLATES_FILE, DashboardRecognizer, RecognizerConfig, box_iou
from mlops.ml.dashboard.templates import TemplateBank, combine

DEFAULT_EPOCHS = 10
CLASSES: tuple[str, ...] = (BACKGROUND, *WARNING_LIGHT_CODES)
INPUT_SIZE = 48
CROP_MARGIN = 0.15
CHANNELS = (24, 48, 96, 160)
MEAN = (0.2, 0.18, 0.15)
STD = (0.3, 0.28, 0.25)
NMS_IOU = 0.3
# How strongly the ink-template match re-ranks the CNN's codes (templates.combine). Chosen on the held-out-source
# folds (each fold's gain picked on the other three folds: MODEL_CARD.md), never on the photos.
TEMPLATE_GAIN = 60.0
TRAIN_SCENES = 4000
VAL_SCENES = 600
DETECTION_SCENES = 300  # of the validation scenes, run through the whole recogniser
BATCH = 128
# Proposals between the two are left out; below, even a piece of a symbol (the lamp of a fog light without
# its rays) is background, so that the whole symbol, not a part, is what the classifier is sure about.
_POSITIVE_IOU, _NEGATIVE_IOU = 0.5, 0.4
_MAX_NEGATIVES = 6  # per scene: proposals on clutter are plentiful and alike
# The threshold lets this share of background crops through: strict, since a wrong light is worse than none.
_MAX_BACKGROUND_FALSE_ACCEPT = 0.002
# One intra-op thread by default: this small net gains little from a second one, a shared machine makes two
# OpenMP threads wait on each other (several times slower), and the weights depend on the thread count, so a
# fixed default keeps runs reproducible. CARDOC_TORCH_THREADS=2 uses both cores on a dedicated machine.
_THREADS = max(1, min(2, int(os.environ.get("CARDOC_TORCH_THREADS", "1"))))

Progress = Callable[[int, int, dict], None]


@dataclass(slots=True)
class CropSet:
    images: np.ndarray  # N x H x W x 3, uint8
    labels: np.ndarray  # N, int64 class indices


# ---- data ----
_worker_library: synth.Library | None = None


def _init_worker(data_dir: str | None, exclude: tuple[str, ...]) -> None:
    global _worker_library
    _worker_library = load_library(Path(data_dir) if data_dir else None, frozenset(exclude))


def load_library(data_dir: Path | None, exclude: frozenset[str] = frozenset()) -> synth.Library:
    """Our drawings and word lamps, plus the real icons and backgrounds of data_dir (less excluded sources)."""
    templates = synth.drawn_templates() + synth.word_templates()
    backgrounds: list[np.ndarray] = []
    if data_dir is not None:
        templates += synth.real_templates(data_dir, exclude=exclude)
        backgrounds = synth.real_backgrounds(data_dir)
    return synth.Library(synth.core_weighted(templates), synth.decoy_templates(), backgrounds)


def build_template_bank() -> TemplateBank:
    """The ink-template bank of our drawings and word lamps; real icons stay out, as they may not be shipped."""
    templates = [(t.code, t.image) for t in synth.drawn_templates() + synth.word_templates()]
    return TemplateBank.build(templates, CLASSES, INPUT_SIZE, CROP_MARGIN)


def _frame_label(frame: np.ndarray, scene: synth.Scene, index: dict[str, int]) -> int | None:
    """The whole-frame proposal names a close-up's one symbol, is background without one, else is left out."""
    area = _box_area(frame)
    big = [(code, b) for code, b in scene.boxes if _box_area(b) >= 0.2 * area]
    if len(scene.boxes) == 1 and big and not scene.ignore:
        return index[big[0][0]]
    if not scene.boxes and not scene.ignore:
        return 0
    return None


def _box_area(b: np.ndarray | tuple[int, int, int, int]) -> float:
    return float((b[2] - b[0]) * (b[3] - b[1]))


def scene_crops(scene: synth.Scene, rng: np.random.Generator) -> tuple[list[np.ndarray], list[int]]:
    """Labelled classifier inputs from one scene, taken exactly as the recogniser takes them."""
    index = {c: i for i, c in enumerate(CLASSES)}
    work, scale = working_copy(scene.image)
    regular, close = propose_parts(work)
    picked: list[np.ndarray] = []
    labels: list[int] = []
    negatives: list[np.ndarray] = []
    must: list[np.ndarray] = []  # negatives always kept: white gauge icons and a plain close-up's foreground
    truth = [(index[code], box) for code, box in scene.boxes]
    matched: dict[int, list[np.ndarray]] = {}
    for k, box in enumerate(np.concatenate([regular, close[:-1]])):
        full = box * scale
        ious = [box_iou(full, b) for _, b in truth]
        best = int(np.argmax(ious)) if ious else -1
        if ious and ious[best] >= _POSITIVE_IOU:
            matched.setdefault(best, []).append(box)
        elif max(ious, default=0.0) < _NEGATIVE_IOU and all(box_iou(full, b) < _NEGATIVE_IOU for b in scene.ignore):
            on_decoy = any(box_iou(full, d) >= 0.3 for d in scene.decoys)
            (must if on_decoy or k >= len(regular) else negatives).append(box)
    # No whole frame is proposed on a frame of several separate symbols, so none is learnt there either.
    frame_label = _frame_label(close[-1] * scale, scene, index) if len(close) else None
    if frame_label is not None:
        picked.append(close[-1])
        labels.append(frame_label)
    for t, boxes in matched.items():
        # At most two proposals per symbol, so big symbols with many near-identical boxes do not dominate.
        for i in rng.permutation(len(boxes))[:2]:
            picked.append(boxes[i])
            labels.append(truth[t][0])
    for cls, b in truth:
        w, h = b[2] - b[0], b[3] - b[1]
        j = rng.uniform(-0.08, 0.08, 4) * np.array([w, h, w, h])
        picked.append((np.array(b, dtype=np.float64) + j) / scale)
        labels.append(cls)
    for b in scene.decoys:
        w, h = b[2] - b[0], b[3] - b[1]
        j = rng.uniform(-0.08, 0.08, 4) * np.array([w, h, w, h])
        picked.append((np.array(b, dtype=np.float64) + j) / scale)
        labels.append(0)
    for box in must[:4]:
        picked.append(box)
        labels.append(0)
    for i in rng.permutation(len(negatives))[:_MAX_NEGATIVES]:
        picked.append(negatives[i])
        labels.append(0)
    if not picked:
        return [], []
    crops = crops_for(scene.image, work, scale, np.asarray(picked), INPUT_SIZE, CROP_MARGIN)
    return [np.asarray(c, dtype=np.uint8) for c in crops], labels


def _make_chunk(args: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    seed, split, start, stop = args
    images: list[np.ndarray] = []
    labels: list[int] = []
    assert _worker_library is not None  # noqa: S101 - set by _init_worker
    for i in range(start, stop):
        scene = synth.make_scene((seed, split, i), _worker_library)
        crops, lab = scene_crops(scene, np.random.default_rng((seed, split, i, 1)))
        images += crops
        labels += lab
    if not images:
        return np.zeros((0, INPUT_SIZE, INPUT_SIZE, 3), np.uint8), np.zeros(0, np.int64)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def generate_crops(
    *, seed: int, split: int, scenes: int, data_dir: Path | None, exclude: frozenset[str] = frozenset()
) -> CropSet:
    """Crops from `scenes` scenes of one split; each scene depends only on (seed, split, index)."""
    chunk = 50
    jobs = [(seed, split, s, min(s + chunk, scenes)) for s in range(0, scenes, chunk)]
    workers = min(2, os.cpu_count() or 1)
    init = (str(data_dir) if data_dir else None, tuple(sorted(exclude)))
    if workers < 2 or multiprocessing.current_process().daemon:
        # Task-queue workers are often daemonic and may not start children: build the same crops in-process.
        _init_worker(*init)
        parts = [_make_chunk(job) for job in jobs]
    else:
        # Scenes never touch torch, so forking is safe here and avoids re-importing the caller's __main__.
        with multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=init) as pool:
            parts = pool.map(_make_chunk, jobs, chunksize=1)
    return CropSet(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


# ---- training ----
@contextlib.contextmanager
def _reproducible_torch(seed: int) -> Iterator[None]:
    """Seeds every generator and pins threads and kernels; torch's process-wide settings come back after."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(min(_THREADS, os.cpu_count() or 1))
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


_SHIFT = 3


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Small shifts plus exposure, colour and noise changes, on a uint8 NCHW batch.

    Geometry beyond a few pixels comes from the scenes themselves; grid_sample would triple the step time.
    """
    n, _, h, w = x.shape
    padded = F.pad(x.float(), (_SHIFT,) * 4)
    dy = torch.randint(0, 2 * _SHIFT + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * _SHIFT + 1, (n,), generator=gen)
    x = torch.stack(
        [padded[i, :, a : a + h, b : b + w] for i, (a, b) in enumerate(zip(dy.tolist(), dx.tolist(), strict=True))]
    )
    gain = 0.75 + torch.rand(n, 1, 1, 1, generator=gen) * 0.5
    tint = 0.92 + torch.rand(n, 3, 1, 1, generator=gen) * 0.16
    x = x * gain * tint + torch.randn(x.shape, generator=gen) * (torch.rand(n, 1, 1, 1, generator=gen) * 8)
    return x.clamp(0, 255)


def _normalise(x: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN).view(1, 3, 1, 1) * 255
    std = torch.tensor(STD).view(1, 3, 1, 1) * 255
    return (x.float() - mean) / std


def _logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(images), 512):
            out.append(model(_normalise(images[i : i + 512])))
    return torch.cat(out)


# ---- calibration and metrics ----
def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature minimising validation NLL, by a fine grid search: deterministic and plenty here."""
    grid = torch.exp(torch.linspace(math.log(0.3), math.log(5.0), 200))
    nll = torch.stack([F.cross_entropy(logits / t, labels) for t in grid])
    return float(grid[int(torch.argmin(nll))])


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    return float(ece)


def choose_threshold(probs: np.ndarray, labels: np.ndarray) -> float:
    """The lowest confidence at which few background crops would be reported as a light."""
    background = labels == 0
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    false_accept = np.sort(conf[background & (pred != 0)])[::-1]
    allowed = int(_MAX_BACKGROUND_FALSE_ACCEPT * background.sum())
    floor = float(false_accept[allowed]) if allowed < len(false_accept) else 0.0
    return round(max(0.5, floor + 1e-4), 4)


def classification_report(pred: np.ndarray, labels: np.ndarray) -> dict:
    k = len(CLASSES)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    per_class = {}
    f1s = []
    for i, name in enumerate(CLASSES):
        tp = int(confusion[i, i])
        support = int(confusion[i].sum())
        predicted = int(confusion[:, i].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                           "support": support}  # fmt: skip
        if support:
            f1s.append(f1)
    core = np.isin(labels, [CLASSES.index(c) for c in CORE_CODES])
    return {
        "per_class": per_class,
        "confusion": {"labels": list(CLASSES), "matrix": confusion.tolist()},
        "accuracy": round(float((pred == labels).mean()), 4),
        "core_accuracy": round(float((pred[core] == labels[core]).mean()), 4) if core.any() else None,
        "macro_f1": round(float(np.mean(f1s)), 4),
    }


def detection_report(recognizer: DashboardRecognizer, seed: int, scenes: int, library: synth.Library) -> dict:
    """Whole-pipeline figures on validation scenes: a detection counts if its code is right and IoU >= 0.5."""
    tp = fp = fn = 0
    negative_scenes = negative_alarms = 0
    for i in range(scenes):
        scene = synth.make_scene((seed, 1, i), library)
        found = recognizer.detect(scene.image)
        if not scene.boxes and not scene.ignore:
            negative_scenes += 1
            negative_alarms += bool(found)
        unmatched = list(scene.boxes)
        for det in found:
            hit = next((t for t in unmatched if t[0] == det.code and box_iou(det.box, t[1]) >= 0.5), None)
            if hit:
                unmatched.remove(hit)
                tp += 1
            elif not any(box_iou(det.box, b) >= 0.3 for b in scene.ignore):
                fp += 1
        fn += len(unmatched)
    return {
        "scenes": scenes,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "true_positives": tp,
        "false_positives": fp,
        "missed": fn,
        "scenes_without_symbols": negative_scenes,
        "of_which_with_a_detection": negative_alarms,
    }


def draw_confusion(matrix: np.ndarray, labels: list[str], path: Path) -> None:
    """A row-normalised confusion matrix as a PNG, drawn with Pillow."""
    cell, margin = 16, 150
    k = len(labels)
    size = margin + k * cell + 10
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    for i in range(k):
        draw.text((4, margin + i * cell + 3), labels[i][:22], fill=(0, 0, 0), font=font)
        column = Image.new("RGB", (margin - 6, cell), (255, 255, 255))
        ImageDraw.Draw(column).text((2, 3), labels[i][:22], fill=(0, 0, 0), font=font)
        image.paste(column.rotate(90, expand=True), (margin + i * cell, 4))
        for j in range(k):
            v = rows[i, j]
            shade = (
                (255, int(255 * (1 - v)), int(255 * (1 - v)))
                if i != j
                else (int(255 * (1 - v)), int(255 * (1 - 0.6 * v)), int(255 * (1 - v)))
            )
            box = (
                margin + j * cell,
                margin + i * cell,
                margin + (j + 1) * cell - 1,
                margin + (i + 1) * cell - 1,
            )
            draw.rectangle(box, fill=shade, outline=(225, 225, 225))
    draw.text((4, 4), "true \\ predicted", fill=(0, 0, 0), font=font)
    image.save(path, format="PNG", optimize=True)


# ---- the entry point ----
@dataclass(frozen=True, slots=True)
class Plan:
    """How much to train on, and which real icon sources to leave out (for held-out-source validation)."""

    epochs: int = DEFAULT_EPOCHS
    seed: int = 0
    scenes: int = TRAIN_SCENES
    val_scenes: int = VAL_SCENES
    detection_scenes: int = DETECTION_SCENES
    exclude_sources: frozenset[str] = frozenset()
    template_gain: float = TEMPLATE_GAIN
    # A trained artefact whose CNN is reused as it is (v3 is v2's CNN with a template bank): no CNN training.
    cnn_from: Path | None = None


def train_dashboard(
    *,
    out_dir: Path,
    seed: int,
    data_dir: Path | None,
    epochs: int = DEFAULT_EPOCHS,
    scenes: int = TRAIN_SCENES,
    val_scenes: int = VAL_SCENES,
    detection_scenes: int = DETECTION_SCENES,
    exclude_sources: frozenset[str] = frozenset(),
    template_gain: float = TEMPLATE_GAIN,
    cnn_from: Path | None = None,
    progress: Progress | None = None,
) -> dict:
    """Trains the recogniser; writes weights.pt, config.json, templates.pt (with a template weight),
    metrics.json and confusion.png into out_dir."""
    if epochs < 1 or scenes < 1 or val_scenes < 1:
        raise ValueError("epochs, scenes and val_scenes must be at least 1")
    if template_gain < 0:
        raise ValueError("template_gain must not be negative")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = Plan(
        epochs,
        seed,
        scenes,
        val_scenes,
        min(detection_scenes, val_scenes),
        frozenset(exclude_sources),
        template_gain,
        Path(cnn_from) if cnn_from else None,
    )
    with _reproducible_torch(seed):
        return _train(out_dir, plan, Path(data_dir) if data_dir else None, progress)


def _train(out_dir: Path, plan: Plan, data_dir: Path | None, progress: Progress | None) -> dict:
    started = time.monotonic()
    epochs, seed, exclude = plan.epochs, plan.seed, plan.exclude_sources
    val = generate_crops(seed=seed, split=1, scenes=plan.val_scenes, data_dir=data_dir, exclude=exclude)
    x_val = torch.from_numpy(val.images).permute(0, 3, 1, 2).contiguous()
    y_val = torch.from_numpy(val.labels)
    model = SymbolNet(len(CLASSES), CHANNELS)
    if plan.cnn_from is not None:
        model.load_state_dict(torch.load(plan.cnn_from / "weights.pt", map_location="cpu", weights_only=True))
        source = json.loads((plan.cnn_from / "metrics.json").read_text(encoding="utf-8"))["training"]
        history, train_crops, generated = source["history"], source["train_crops"], time.monotonic()
        if progress:
            progress(epochs, epochs, {"stage": "cnn reused", "from": str(plan.cnn_from), "val_crops": len(y_val)})
    else:
        history, train_crops, generated = _fit_cnn(model, plan, data_dir, x_val, y_val, progress)

    return _finish(out_dir, plan, data_dir, progress, model, x_val, y_val, history, train_crops, started, generated)


def _fit_cnn(
    model: SymbolNet, plan: Plan, data_dir: Path | None, x_val: torch.Tensor, y_val: torch.Tensor,
    progress: Progress | None,
) -> tuple[list[dict], int, float]:  # fmt: skip
    """Trains the CNN in place on fresh training scenes; returns its history, crop count and data-ready time."""
    epochs, seed = plan.epochs, plan.seed
    train = generate_crops(seed=seed, split=0, scenes=plan.scenes, data_dir=data_dir, exclude=plan.exclude_sources)
    generated = time.monotonic()
    if progress:
        progress(0, epochs, {"stage": "data", "train_crops": len(train.labels), "val_crops": len(y_val)})
    x_train = torch.from_numpy(train.images).permute(0, 3, 1, 2).contiguous()
    y_train = torch.from_numpy(train.labels)
    steps = epochs * math.ceil(len(y_train) / BATCH)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(y_train), generator=gen)
        total, count = 0.0, 0
        for i in range(0, len(order), BATCH):
            idx = order[i : i + BATCH]
            x = _normalise(_augment(x_train[idx], gen))
            loss = F.cross_entropy(model(x), y_train[idx], label_smoothing=0.05)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
            count += len(idx)
        val_acc = float((_logits(model, x_val).argmax(1) == y_val).float().mean())
        history.append({"epoch": epoch, "loss": round(total / count, 4), "val_accuracy": round(val_acc, 4)})
        if progress:
            progress(epoch, epochs, {"stage": "train", **history[-1]})
    return history, len(y_train), generated


def _finish(
    out_dir: Path, plan: Plan, data_dir: Path | None, progress: Progress | None, model: SymbolNet,
    x_val: torch.Tensor, y_val: torch.Tensor, history: list[dict], train_crops: int, started: float,
    generated: float,
) -> dict:  # fmt: skip
    """Calibration, the template bank, the threshold, and every file of the artefact but its SHA256."""
    epochs, seed, exclude = plan.epochs, plan.seed, plan.exclude_sources
    logits = _logits(model, x_val)
    temperature = fit_temperature(logits, y_val)
    raw = torch.softmax(logits, 1).numpy()
    probs = torch.softmax(logits / temperature, 1).numpy()
    labels = y_val.numpy()
    bank = None
    (out_dir / TEMPLATES_FILE).unlink(missing_ok=True)
    if plan.template_gain > 0:
        if progress:
            progress(epochs, epochs, {"stage": "templates"})
        bank = build_template_bank()
        torch.save(bank.state(), out_dir / TEMPLATES_FILE)
        similarity = bank.similarities(x_val.permute(0, 2, 3, 1).numpy(), len(CLASSES))
        # The threshold is chosen on what the recogniser will score: the CNN's codes re-ranked by the match.
        probs = combine(probs, similarity, gain=plan.template_gain)
    threshold = choose_threshold(probs, labels)
    config = RecognizerConfig(
        classes=CLASSES,
        input_size=INPUT_SIZE,
        crop_margin=CROP_MARGIN,
        channels=CHANNELS,
        mean=MEAN,
        std=STD,
        temperature=round(temperature, 4),
        threshold=threshold,
        nms_iou=NMS_IOU,
        template_gain=plan.template_gain,
        # The v3 recipe (the match) ships with the context rule: the match makes printed marks surer.
        context_rule=plan.template_gain > 0,
    )
    torch.save(model.state_dict(), out_dir / "weights.pt")
    (out_dir / "config.json").write_text(config.to_json() + "\n", encoding="utf-8")

    cnn_pred = logits.argmax(1).numpy()
    report = classification_report(probs.argmax(1), labels)
    draw_confusion(np.asarray(report["confusion"]["matrix"]), list(CLASSES), out_dir / "confusion.png")
    conf, pred = probs.max(1), probs.argmax(1)
    accepted = (pred != 0) & (conf >= threshold)
    symbols = labels != 0
    recognizer = DashboardRecognizer.load(out_dir)
    metrics = {
        "validation": {
            "method": (
                f"{plan.val_scenes} fresh synthetic scenes (seed stream {seed}/1, disjoint from the "
                f"{plan.scenes} training scenes of stream {seed}/0), drawn from the same templates; crops "
                "are the candidate boxes of candidates.py labelled by IoU with the drawn symbols, plus one "
                "jittered crop per symbol. Synthetic only: see evaluate.py for figures on real icons."
            ),
            "crops": len(labels),
            **report,
        },
        "templates": {
            "count": len(bank.labels) if bank else 0,
            "gain": plan.template_gain,
            "validation_accuracy_cnn_alone": round(float((cnn_pred == labels).mean()), 4),
        },
        "calibration": {
            "temperature": config.temperature,
            "ece_before": round(expected_calibration_error(raw, labels), 4),
            "ece_after": round(expected_calibration_error(probs, labels), 4),
            "bins": 15,
        },
        "operating_point": {
            "threshold": threshold,
            "background_false_accept_rate": round(float(accepted[~symbols].mean()), 4),
            "symbol_acceptance_rate": round(float(accepted[symbols].mean()), 4),
            "accuracy_of_accepted_symbols": (
                round(float((pred[accepted & symbols] == labels[accepted & symbols]).mean()), 4)
                if (accepted & symbols).any()
                else None
            ),
        },
        "detection": detection_report(recognizer, seed, plan.detection_scenes, load_library(data_dir, exclude)),
        "training": {
            "epochs": epochs,
            "seed": seed,
            "train_crops": train_crops,
            "cnn_from": str(plan.cnn_from) if plan.cnn_from else None,
            "train_scenes": plan.scenes,
            "real_templates": len(synth.real_templates(data_dir, exclude=exclude)) if data_dir else 0,
            "excluded_sources": sorted(exclude),
            "real_backgrounds": len(synth.real_backgrounds(data_dir)) if data_dir else 0,
            "history": history,
            "data_seconds": round(generated - started, 1),
            "seconds": round(time.monotonic() - started, 1),
            "torch": torch.__version__,
        },
    }
    # The contract the admin reads: the headline evaluation's accuracy and confusion at the top level (rows
    # true, columns predicted). Here that is the held-out synthetic validation; `evaluate holdout --write`
    # replaces it with the held-out-source figures on real icons once those exist.
    metrics = {
        "accuracy": report["accuracy"],
        "confusion": report["confusion"],
        "headline": "validation",
        **metrics,
    }
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return metrics


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=None, help="the real data folder (dashboard/, ...)")
    parser.add_argument("--scenes", type=int, default=TRAIN_SCENES)
    parser.add_argument("--val-scenes", type=int, default=VAL_SCENES)
    parser.add_argument("--exclude-source", action="append", default=[], choices=synth.SOURCES)
    parser.add_argument("--template-gain", type=float, default=TEMPLATE_GAIN, help="0: the CNN alone")
    parser.add_argument("--cnn-from", type=Path, default=None, help="reuse this artefact's CNN, untrained")
    args = parser.parse_args(argv)

    def report(epoch: int, epochs: int, info: dict) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {epoch}/{epochs} {json.dumps(info)}", flush=True)

    metrics = train_dashboard(
        out_dir=args.out,
        epochs=args.epochs,
        seed=args.seed,
        data_dir=args.data,
        scenes=args.scenes,
        val_scenes=args.val_scenes,
        exclude_sources=frozenset(args.exclude_source),
        template_gain=args.template_gain,
        cnn_from=args.cnn_from,
        progress=report,
    )
    print(json.dumps({k: metrics[k] for k in ("calibration", "operating_point", "detection")}, indent=2))


if __name__ == "__main__":
    main()
