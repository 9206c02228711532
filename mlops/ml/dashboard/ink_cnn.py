"""Measures a CNN trained on the ink image (issue 10's untried design), held out by whole source.

    python -m mlops.ml.dashboard.ink_cnn --data DIR --out DIR [--sources chr ...] [--folds DIR] [--seed N]

The ink image (templates.ink_images: how far each pixel is from the crop's border, in any colour and either
polarity, scaled to its strong strokes) is what makes v3's template match colour-agnostic. Here a small CNN
learns codes from it instead of a cosine to a fixed bank. For each held-out source it trains on crops of our
drawings, word lamps and the *other* sources' real icons, heavily augmented (stroke weight, warp, perspective,
scale and shift of the box, dark, real-cluster and light backgrounds, glow, glare, blur, JPEG, noise), and is
judged on the held-out source's icons taken exactly as `evaluate.single_symbol_report` takes them (760 crops
over the four sources). Beside it, on the very same crops:

- v3's match alone (the shipped bank: drawings and word lamps only, so clean for every fold);
- the nearest-template baseline: the best cosine of the crop's ink descriptor to the training templates of
  that fold (drawings, words and the other sources' icons) rendered through the crop geometry;
- ink CNN x v3 match: p(code) proportional to p_ink(code) * exp(gain * cos(code));
- with --folds (a folder of `without-SOURCE` v3 fold models, as `evaluate holdout` trains): v3 itself (its
  fold CNN times the match, background included) and v3 x ink CNN, p(code) proportional to
  p_v3(code) * p_ink(code) within v3's share for "some lamp".

This is a measurement, not a shipped model: it writes a JSON report and prints one table. Nothing is tuned on
the held-out crops: the gains are fixed before the run (1 for the probability product, v3's 60 for the match).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from catalog.symbols import CORE_CODES
from mlops.ml.dashboard import synth
from mlops.ml.dashboard import train as training
from mlops.ml.dashboard.candidates import crops_for, working_copy
from mlops.ml.dashboard.evaluate import SIZES, close_up, dark_panel, degrade, place_lit, real_icons
from mlops.ml.dashboard.recognizer import DashboardRecognizer
from mlops.ml.dashboard.templates import TemplateBank, ink_images

CODES = training.CLASSES[1:]  # the ink CNN names codes only: whether a crop is a lamp stays the detector's call
INK_INPUT = 40  # the ink image is reduced from the 48 px crop to this
_INK_MEAN, _INK_STD = 0.15, 0.3
MATCH_GAIN = training.TEMPLATE_GAIN


# ---- the held-out crops, exactly as evaluate.single_symbol_report takes them ----
def held_out_crops(icons: list[tuple[str, str, Image.Image]]) -> list[tuple[str, str, np.ndarray]]:
    """(code, view, 48 x 48 x 3 uint8 crop) for every icon: 3 sizes clean and degraded, 2 close-ups."""
    size, margin = training.INPUT_SIZE, training.CROP_MARGIN
    rng = np.random.default_rng(0)  # the same stream as single_symbol_report, so the same panels
    out = []
    for code, _, icon in icons:
        for height in SIZES:
            for degraded in (False, True):
                photo = dark_panel((640, 480), rng)
                box = place_lit(photo, icon, height, (320 - height // 2, 240 - height // 2))
                photo = degrade(photo) if degraded else photo
                out.append((code, f"{height}{'d' if degraded else ''}", _crop(photo, box, size, margin)))
        for background in ("dark", "light"):
            photo, box = close_up(icon, background, rng)
            out.append((code, f"close_up_{background}", _crop(photo, box, size, margin)))
    return out


def _crop(photo: Image.Image, box: tuple, size: int, margin: float) -> np.ndarray:
    work, scale = working_copy(photo)
    return np.asarray(crops_for(photo, work, scale, np.asarray([box], float) / scale, size, margin)[0])


# ---- training crops ----
def training_crops(library: synth.Library, count: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """count 48 x 48 x 3 uint8 crops of single symbols, drawn and degraded as in photos; their code indices;
    and the real icon source each came from ("" for our drawings and word lamps)."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(CODES)}
    # Shrunk once: the crops are 48 px, and stroke filters and warps on 128 px templates cost four times more.
    templates = [dataclasses.replace(t, image=_shrunk(t.image)) for t in library.templates if t.code in index]
    crops = np.zeros((count, training.INPUT_SIZE, training.INPUT_SIZE, 3), np.uint8)
    labels = np.zeros(count, np.int64)
    sources = []
    for i in range(count):
        template = templates[int(rng.integers(len(templates)))]
        crops[i] = _training_crop(rng, template, library.backgrounds)
        labels[i] = index[template.code]
        sources.append(_source(template))
    return crops, labels, sources


def _source(template: synth.Template) -> str:
    if not template.source.startswith("real:"):
        return ""
    return synth.icon_source(Path(template.source.removeprefix("real:")))


def crop_pool(data_dir: Path, count: int, seed: int, cache: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pool of training crops over every source, cached; each fold drops the crops of its held-out source.

    A crop depends only on its own template and random stream, so leaving a source's crops out is the same as
    drawing the pool without that source, and the pool is rendered once instead of once per fold.
    """
    if cache.exists():
        saved = np.load(cache)
        return saved["crops"], saved["labels"], saved["sources"]
    library = training.load_library(data_dir)
    half = count // 2
    with multiprocessing.get_context("fork").Pool(2) as pool:
        parts = pool.starmap(training_crops, [(library, half, seed), (library, count - half, seed + 1)])
    crops = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    sources = np.asarray([s for p in parts for s in p[2]])
    np.savez(cache, crops=crops, labels=labels, sources=sources)
    return crops, labels, sources


def _shrunk(image: Image.Image, side: int = 72) -> Image.Image:
    k = side / max(image.size)
    return image.resize((max(1, round(image.width * k)), max(1, round(image.height * k))), Image.Resampling.LANCZOS)


def _training_crop(rng: np.random.Generator, template: synth.Template, backgrounds: list[np.ndarray]) -> np.ndarray:
    height = float(np.exp(rng.uniform(math.log(16), math.log(64))))
    rgb, alpha = synth._symbol_layer(rng, template, height)  # stroke weight, warp, badge, aspect, rotation, colour
    sh, sw = alpha.shape
    margin = rng.uniform(0.06, 0.28)  # proposals frame a symbol loosely or tightly
    side = int(max(sh, sw) * (1 + 2 * margin)) + 2
    canvas, light = _background(rng, side, backgrounds)
    if light and rng.random() < 0.5:
        rgb = rgb * rng.uniform(0.0, 0.35)  # printed dark on a light page
    jitter = 0.06 * side
    x = int((side - sw) / 2 + rng.uniform(-jitter, jitter))
    y = int((side - sh) / 2 + rng.uniform(-jitter, jitter))
    x, y = max(0, min(side - sw, x)), max(0, min(side - sh, y))
    if not light and rng.random() < 0.6:
        synth._add_glow(canvas, alpha, rgb, (x, y), rng.uniform(1, 4) * side / 64, rng.uniform(0.1, 0.5))
    region = canvas[y : y + sh, x : x + sw]
    a = alpha[..., None]
    region[:] = region * (1 - a) + rgb * a * rng.uniform(0.7, 1.1)
    image = synth._degrade(rng, canvas)
    if rng.random() < 0.4:
        w, h = image.size
        j = rng.uniform(0.02, 0.08)
        corners = [(0, 0), (w, 0), (w, h), (0, h)]
        moved = [(cx + rng.uniform(-j, j) * w, cy + rng.uniform(-j, j) * h) for cx, cy in corners]
        coeffs = synth._perspective_coeffs(moved, corners)
        image = image.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    image = synth._blur_and_compress(rng, image)
    out = np.array(image.resize((training.INPUT_SIZE,) * 2, Image.Resampling.BILINEAR))
    if rng.random() < 0.12:  # a box near the frame's edge: crop_square pads the outside with black
        band = int(rng.integers(1, 7))
        edge = int(rng.integers(4))
        out = np.rot90(out, edge).copy()
        out[:band] = 0
        out = np.rot90(out, -edge).copy()
    return out


def _background(rng: np.random.Generator, side: int, backgrounds: list[np.ndarray]) -> tuple[np.ndarray, bool]:
    roll = rng.random()
    if roll < 0.2:
        return np.full((side, side, 3), rng.uniform(0.8, 0.98), np.float32) * rng.uniform(0.95, 1.0, 3), True
    if roll < 0.45 and backgrounds:
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        h, w = bg.shape[:2]
        take = min(h, w, max(side, int(rng.uniform(0.1, 0.5) * min(h, w))))
        y0, x0 = int(rng.integers(h - take + 1)), int(rng.integers(w - take + 1))
        patch = Image.fromarray((bg[y0 : y0 + take, x0 : x0 + take] * 255).astype(np.uint8))
        patch = patch.resize((side, side), Image.Resampling.BILINEAR)
        return np.asarray(patch).astype(np.float32) / 255 * rng.uniform(0.4, 1.0), False
    base = np.asarray(synth._jitter_colour(rng, np.ones(3, np.float32))) * rng.uniform(0.02, 0.2)
    ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.0, 1.3), side, dtype=np.float32)[:, None, None]
    return np.broadcast_to(base * ramp, (side, side, 3)).astype(np.float32), False


# ---- the network ----
def _conv(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class InkNet(nn.Module):
    """A small CNN on the one-channel ink image: 40 px in, one logit per code out."""

    def __init__(self, num_classes: int = len(CODES), width: int = 16) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_conv(1, w),
            nn.MaxPool2d(2),
            *_conv(w, 2 * w),
            nn.MaxPool2d(2),
            *_conv(2 * w, 3 * w),
            *_conv(3 * w, 3 * w),
            nn.MaxPool2d(2),
            *_conv(3 * w, 5 * w),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(5 * w, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def ink_tensor(crops: np.ndarray) -> torch.Tensor:
    """N x 1 x INK_INPUT x INK_INPUT normalised ink from N x 48 x 48 x 3 uint8 crops."""
    ink = torch.from_numpy(ink_images(crops))[:, None]
    ink = F.interpolate(ink, size=(INK_INPUT, INK_INPUT), mode="area")
    return (ink - _INK_MEAN) / _INK_STD


def fit(x: torch.Tensor, y: torch.Tensor, *, epochs: int, seed: int, log: Callable[[str], None] = print) -> InkNet:
    torch.manual_seed(seed)
    model = InkNet()
    batch = 128
    steps = epochs * math.ceil(len(y) / batch)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            xb = _shift(x[idx], gen)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        log(f"  epoch {epoch}/{epochs} loss {total / len(y):.4f}")
    return model.eval()


def _shift(x: torch.Tensor, gen: torch.Generator, pad: int = 2) -> torch.Tensor:
    n, _, h, w = x.shape
    padded = F.pad(x, (pad,) * 4, value=-_INK_MEAN / _INK_STD)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen).tolist()
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen).tolist()
    return torch.stack([padded[i, :, a : a + h, b : b + w] for i, (a, b) in enumerate(zip(dy, dx, strict=True))])


def predict(model: InkNet, crops: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return torch.softmax(model(ink_tensor(crops)), dim=1).numpy()


# ---- the measurement ----
def measure_fold(
    source: str, data_dir: Path, *, pool: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int, epochs: int,
    bank: TemplateBank, folds: Path | None, cache: Path,
    log: Callable[[str], None] = print,
) -> dict:  # fmt: skip
    started = time.monotonic()
    library = training.load_library(data_dir, frozenset({source}))
    test = held_out_crops(real_icons(data_dir, sources={source}))
    crops = np.stack([c for _, _, c in test])
    truth = np.asarray([CODES.index(code) for code, _, _ in test])
    saved = cache / f"ink-{source}.npy"
    if saved.exists():  # this fold's ink CNN was trained by an earlier run with the same plan
        p_ink, trained = np.load(saved), 0.0
        log(f"{source}: ink CNN probabilities reused from {saved}")
    else:
        keep = pool[2] != source
        log(f"{source}: training on {int(keep.sum())} of the pool's {len(keep)} crops")
        model = fit(ink_tensor(pool[0][keep]), torch.from_numpy(pool[1][keep]), epochs=epochs, seed=seed, log=log)
        trained = time.monotonic() - started
        p_ink = predict(model, crops)
        np.save(saved, p_ink)
    similarity = bank.similarities(crops, len(training.CLASSES))[:, 1:]
    # The nearest-template baseline: this fold's training templates through the same crop geometry.
    fold_bank = TemplateBank.build(
        [(t.code, t.image) for t in _unique(library.templates)], training.CLASSES, training.INPUT_SIZE,
        training.CROP_MARGIN,
    )  # fmt: skip
    nearest = fold_bank.similarities(crops, len(training.CLASSES))[:, 1:]
    scores: dict[str, np.ndarray] = {
        "ink_cnn": p_ink,
        "v3_match": similarity,
        "nearest_template": nearest,
        "ink_cnn_x_match": _product(p_ink, np.exp(MATCH_GAIN * (similarity - similarity.max(1, keepdims=True)))),
    }
    if folds is not None and (folds / f"without-{source}" / "metrics.json").exists():
        v3 = DashboardRecognizer.load(folds / f"without-{source}")
        p_v3 = v3.classify([Image.fromarray(c) for c in crops])
        # Background counts as a wrong answer, as in evaluate's crop top-1.
        scores["v3"] = p_v3
        scores["v3_x_ink_cnn"] = np.concatenate([p_v3[:, :1], (1 - p_v3[:, :1]) * _product(p_v3[:, 1:], p_ink)], 1)
    views = [view for _, view, _ in test]
    return {
        "source": source,
        "crops": len(test),
        "train_seconds": round(trained, 1),
        "predictions": {name: _names(s) for name, s in scores.items()},
        "truth": [CODES[i] for i in truth],
        "views": views,
    }


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    z = np.maximum(a, 1e-12) * np.maximum(b, 1e-12)
    return z / z.sum(axis=1, keepdims=True)


def _names(scores: np.ndarray) -> list[str]:
    """Top-1 names; a score table with a background column (v3) has one more column than CODES."""
    if scores.shape[1] == len(CODES):
        return [CODES[int(i)] for i in scores.argmax(1)]
    return [training.CLASSES[int(i)] for i in scores.argmax(1)]


def _unique(templates: list[synth.Template]) -> list[synth.Template]:
    seen: set[str] = set()
    return [t for t in templates if not (t.source in seen or seen.add(t.source))]


def table(folds: list[dict]) -> dict:
    names = list(folds[0]["predictions"])
    out: dict = {}
    for name in names:
        row: dict = {}
        hits_all, core_all = [], []
        for fold in folds:
            if name not in fold["predictions"]:
                continue
            hits = [p == t for p, t in zip(fold["predictions"][name], fold["truth"], strict=True)]
            core = [h for h, t in zip(hits, fold["truth"], strict=True) if t in CORE_CODES]
            row[fold["source"]] = round(float(np.mean(hits)), 4)
            hits_all += hits
            core_all += core
        row["pooled"] = round(float(np.mean(hits_all)), 4)
        row["pooled_core"] = round(float(np.mean(core_all)), 4)
        row["n"] = len(hits_all)
        out[name] = row
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (../shared/data)")
    parser.add_argument("--out", type=Path, required=True, help="where report.json goes")
    parser.add_argument("--sources", nargs="+", default=list(synth.SOURCES), choices=synth.SOURCES)
    parser.add_argument("--folds", type=Path, help="folder of v3 fold models without-SOURCE, for v3 and v3 x ink")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--crops", type=int, default=24000, help="training crops in the pool (every source)")
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("CARDOC_TORCH_THREADS", "1")))
    args.out.mkdir(parents=True, exist_ok=True)
    bank = TemplateBank.from_state(
        torch.load(Path(__file__).resolve().parents[2] / "artifacts/dashboard-v3/templates.pt", weights_only=True)
    )
    started = time.monotonic()
    pool = crop_pool(args.data, args.crops, args.seed, args.out / f"pool-{args.seed}-{args.crops}.npz")
    print(f"pool of {len(pool[1])} crops ready in {time.monotonic() - started:.0f} s", flush=True)
    folds = []
    for source in args.sources:
        folds.append(
            measure_fold(
                source,
                args.data,
                pool=pool,
                seed=args.seed,
                epochs=args.epochs,
                bank=bank,
                folds=args.folds,
                cache=args.out,
            )
        )
        report = {"plan": vars(args) | {"data": str(args.data), "out": str(args.out)}, "table": table(folds)}
        report["plan"]["folds"] = str(args.folds) if args.folds else None
        (args.out / "report.json").write_text(json.dumps(report | {"folds": folds}, indent=1), encoding="utf-8")
        print(json.dumps(report["table"], indent=1), flush=True)


if __name__ == "__main__":
    main()
