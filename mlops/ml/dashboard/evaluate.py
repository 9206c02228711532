"""Evaluation of the dashboard recogniser on real material that training did not see.

    python -m mlops.ml.dashboard.evaluate icons --model DIR --data DIR [--sources chr ...] [--json OUT]
    python -m mlops.ml.dashboard.evaluate photos --model DIR --photos DIR [--json OUT]
    python -m mlops.ml.dashboard.evaluate holdout --data DIR --out DIR [--sources ...] [--scenes N]
        [--epochs N] [--write-metrics MODEL_DIR]

icons: each real icon is composited as a lit symbol on a dark panel at several sizes, clean and degraded
(blur and JPEG), and as a close-up filling a dark or a light frame, and judged two ways: the classifier on
the symbol's own crop (single-symbol top-1), and the whole recogniser on the image (its most confident
detection must name the code, with IoU >= 0.5). Then several icons are laid out together on a cluster-sized
panel, and images with nothing lit, and icon charts printed on white paper, are checked to give [].

photos: real photos against a labels.json ({"photos": {name: {"must": [...], "optional": [...]}}}): recall
of the must codes, and precision counting every reported code that is neither must nor optional as false.

holdout: one model per real icon source, trained with that source left out and evaluated on its icons (the
only honest figure on real icons), beside a nearest-template baseline with the same split.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from catalog.symbols import CORE_CODES
from mlops.ml.dashboard import train as training
from mlops.ml.dashboard.candidates import crops_for, working_copy
from mlops.ml.dashboard.imaging import open_image, open_photo
from mlops.ml.dashboard.recognizer import DashboardRecognizer, box_iou
from mlops.ml.dashboard.synth import SOURCES, Template, icon_paths, icon_rgba, icon_source

SIZES = (32, 64, 128)  # the icon's longer side, in pixels of a 640 x 480 photo
PANEL = (18, 18, 22)


def real_icons(
    data_dir: Path, only: set[str] | None = None, sources: set[str] | None = None
) -> list[tuple[str, str, Image.Image]]:
    """(code, code/file, RGBA) of the real icons in data_dir, optionally of some files or sources only."""
    return [
        (p.parent.name, f"{p.parent.name}/{p.name}", icon_rgba(p))
        for p in icon_paths(data_dir)
        if (only is None or p.name in only or f"{p.parent.name}/{p.name}" in only)
        and (sources is None or icon_source(p) in sources)
    ]


def dark_panel(size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    w, h = size
    ramp = np.linspace(0.8, 1.2, h, dtype=np.float32)[:, None, None]
    base = np.array(PANEL, np.float32) * ramp + rng.normal(0, 2.0, (h, w, 3)).astype(np.float32)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def place_lit(panel: Image.Image, icon: Image.Image, height: int, at: tuple[int, int]) -> tuple[int, int, int, int]:
    """Pastes icon, longer side `height`, with a soft glow; returns its box on the panel."""
    k = height / max(icon.size)
    icon = icon.resize((max(1, round(icon.width * k)), max(1, round(icon.height * k))), Image.Resampling.LANCZOS)
    pad = max(4, height // 6)
    glow = Image.new("RGBA", (icon.width + 2 * pad, icon.height + 2 * pad), (0, 0, 0, 0))
    glow.paste(icon, (pad, pad))
    glow = glow.filter(ImageFilter.GaussianBlur(pad / 2))
    halo = Image.fromarray((np.asarray(glow).astype(np.float32) * [1, 1, 1, 0.35]).astype(np.uint8), "RGBA")
    layer = panel.convert("RGBA")
    layer.alpha_composite(halo, (at[0] - pad, at[1] - pad))
    layer.alpha_composite(icon, at)
    panel.paste(layer.convert("RGB"))
    alpha = np.asarray(icon.getchannel("A"))
    ys, xs = np.nonzero(alpha > 40)
    return (
        at[0] + int(xs.min()),
        at[1] + int(ys.min()),
        at[0] + int(xs.max()) + 1,
        at[1] + int(ys.max()) + 1,
    )


def degrade(image: Image.Image) -> Image.Image:
    buf = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1.0)).save(buf, format="JPEG", quality=60)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def single_symbol_report(recognizer: DashboardRecognizer, icons: list[tuple[str, str, Image.Image]]) -> dict:
    classes = recognizer.config.classes
    rows = []
    rng = np.random.default_rng(0)
    for code, name, icon in icons:
        for height in SIZES:
            for degraded in (False, True):
                photo = dark_panel((640, 480), rng)
                at = (320 - height // 2, 240 - height // 2)
                box = place_lit(photo, icon, height, at)
                photo = degrade(photo) if degraded else photo
                work, scale = working_copy(photo)
                cfg = recognizer.config
                crop = crops_for(photo, work, scale, np.asarray([box], float) / scale, cfg.input_size, cfg.crop_margin)
                probs = recognizer.classify(crop)[0]
                found = recognizer.detect(photo)
                top = found[0] if found else None
                rows.append(
                    {
                        "code": code,
                        "file": name,
                        "height": height,
                        "degraded": degraded,
                        "crop_prediction": classes[int(probs.argmax())],
                        "crop_confidence": round(float(probs.max()), 3),
                        "detected": top.code if top else None,
                        "detection_iou": round(box_iou(top.box, box), 3) if top else 0.0,
                        "detections": len(found),
                    }
                )
        for background in ("dark", "light"):
            rows.append(_close_up_row(recognizer, code, name, icon, background, rng))
    return summarise(rows)


def close_up(icon: Image.Image, background: str, rng: np.random.Generator) -> tuple[Image.Image, tuple]:
    """The icon filling most of a 480 x 400 frame, on a dark panel or a plain light one; and its box."""
    if background == "dark":
        photo = dark_panel((480, 400), rng)
        return photo, place_lit(photo, icon, 300, (90, 50))
    photo = Image.new("RGB", (480, 400), tuple(int(v) for v in rng.integers(215, 250, 3)))
    k = 300 / max(icon.size)
    scaled = icon.resize((max(1, round(icon.width * k)), max(1, round(icon.height * k))), Image.Resampling.LANCZOS)
    photo.paste(scaled, (90, 50), scaled)
    ys, xs = np.nonzero(np.asarray(scaled.getchannel("A")) > 40)
    return photo, (90 + int(xs.min()), 50 + int(ys.min()), 90 + int(xs.max()) + 1, 50 + int(ys.max()) + 1)


def _close_up_row(
    recognizer: DashboardRecognizer, code: str, name: str, icon: Image.Image, background: str, rng: np.random.Generator
) -> dict:
    photo, box = close_up(icon, background, rng)
    cfg = recognizer.config
    work, scale = working_copy(photo)
    crop = crops_for(photo, work, scale, np.asarray([box], float) / scale, cfg.input_size, cfg.crop_margin)
    probs = recognizer.classify(crop)[0]
    found = recognizer.detect(photo)
    top = found[0] if found else None
    return {
        "code": code,
        "file": name,
        "height": f"close_up_{background}",
        "degraded": False,
        "crop_prediction": cfg.classes[int(probs.argmax())],
        "crop_confidence": round(float(probs.max()), 3),
        "detected": top.code if top else None,
        # A close-up's answer is its code: the box may rightly be the whole frame.
        "detection_iou": 1.0 if top else 0.0,
        "detections": len(found),
    }


def summarise(rows: list[dict]) -> dict:
    def rates(subset: list[dict]) -> dict:
        n = len(subset)
        crop = sum(r["crop_prediction"] == r["code"] for r in subset)
        det = sum(r["detected"] == r["code"] and r["detection_iou"] >= 0.5 for r in subset)
        return {
            "n": n,
            "crop_top1": round(crop / n, 4) if n else None,
            "detect_top1": round(det / n, 4) if n else None,
        }

    by_code: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_code[r["code"]].append(r)
    core = [r for r in rows if r["code"] in CORE_CODES]
    return {
        "core": rates(core),
        "core_clean": rates([r for r in core if not r["degraded"]]),
        "core_degraded": rates([r for r in core if r["degraded"]]),
        "core_by_height": {h: rates([r for r in core if r["height"] == h]) for h in SIZES},
        "core_close_up": {bg: rates([r for r in core if r["height"] == f"close_up_{bg}"]) for bg in ("dark", "light")},
        "all": rates(rows),
        "non_core": rates([r for r in rows if r["code"] not in CORE_CODES]),
        "per_code": {c: rates(v) for c, v in sorted(by_code.items())},
        "errors": [r for r in rows if r["crop_prediction"] != r["code"] or r["detected"] != r["code"]],
        "rows": rows,
    }


def cluster_report(recognizer: DashboardRecognizer, icons: list[tuple[str, str, Image.Image]], clusters: int) -> dict:
    """Several real icons on one 1280 x 960 panel, in rows like a cluster's tell-tale strip."""
    tp = fp = fn = 0
    for seed in range(clusters):
        rng = np.random.default_rng(1000 + seed)
        photo = dark_panel((1280, 960), rng)
        chosen = rng.choice(len(icons), size=min(8, len(icons)), replace=False)
        truth = []
        x, y, row_h = 60, 80, 0
        for i in chosen:
            code, _, icon = icons[i]
            height = int(rng.integers(60, 150))
            if x + height > 1220:
                x, y = 60, y + row_h + int(rng.integers(40, 90))
                row_h = 0
            if y + height > 920:
                break
            truth.append((code, place_lit(photo, icon, height, (x, y))))
            x += height + int(rng.integers(25, 80))
            row_h = max(row_h, height)
        if seed % 2:
            photo = degrade(photo)
        found = recognizer.detect(photo)
        unmatched = list(truth)
        for det in found:
            hit = next((t for t in unmatched if t[0] == det.code and box_iou(det.box, t[1]) >= 0.5), None)
            if hit:
                unmatched.remove(hit)
                tp += 1
            else:
                fp += 1
        fn += len(unmatched)
    return {
        "clusters": clusters,
        "symbols": tp + fn,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "false_positives": fp,
    }


def icon_chart(icons: list[Image.Image], rng: np.random.Generator, on_table: bool) -> Image.Image:
    """Icons printed on a white page, in rows with table lines: an icon chart, not a dashboard.

    Printed ink has no glow and the page around each icon is bright and grey. on_table puts the page on a dark
    desk, so the photo is not a plain light frame either.
    """
    page_size = (1000, 760) if on_table else (1280, 960)
    tone = rng.integers(225, 250)
    page = Image.new(
        "RGB", page_size, (int(tone), int(tone) - int(rng.integers(0, 6)), int(tone) - int(rng.integers(0, 10)))
    )
    draw = ImageDraw.Draw(page)
    x, y, row_h = 50, 50, 0
    for icon in icons:
        height = int(rng.integers(50, 130))
        if x + height > page_size[0] - 50:
            x, y = 50, y + row_h + 40
            draw.line((30, y - 20, page_size[0] - 30, y - 20), fill=(90, 90, 90), width=2)
            row_h = 0
        if y + height > page_size[1] - 50:
            break
        k = height / max(icon.size)
        scaled = icon.resize((max(1, round(icon.width * k)), max(1, round(icon.height * k))), Image.Resampling.LANCZOS)
        page.paste(scaled, (x, y), scaled)
        # a caption under the icon, as charts have: a grey bar standing in for the words
        draw.rectangle((x, y + height + 6, x + height, y + height + 12), fill=(70, 70, 70))
        x += height + int(rng.integers(60, 120))
        row_h = max(row_h, height + 14)
    if not on_table:
        return page
    photo = Image.new("RGB", (1280, 960), tuple(int(v) for v in rng.integers(20, 50, 3)))
    photo.paste(page.rotate(float(rng.uniform(-4, 4)), expand=False, fillcolor=(30, 30, 30)), (140, 100))
    return photo


def charts_report(recognizer: DashboardRecognizer, icons: list[tuple[str, str, Image.Image]], charts: int) -> dict:
    """Icon charts on white paper: every detection is false (product wants 'no instrument panel in view')."""
    found: dict[str, list[str]] = {}
    for seed in range(charts):
        rng = np.random.default_rng(2000 + seed)
        chosen = rng.choice(len(icons), size=min(12, len(icons)), replace=False)
        photo = icon_chart([icons[i][2] for i in chosen], rng, on_table=bool(seed % 2))
        if seed % 4 >= 2:
            photo = degrade(photo)
        detections = recognizer.detect(photo)
        if detections:
            found[f"chart_{seed}"] = [f"{d.code}:{d.confidence:.2f}" for d in detections]
    return {
        "charts": charts,
        "charts_with_detections": len(found),
        "detections": sum(len(v) for v in found.values()),
        "with_detections": found,
    }


def negative_images(extra: Path | None) -> list[tuple[str, Image.Image]]:
    """Images with nothing lit: blank, dark noise, gradients, textures, plus any photos in `extra`."""
    rng = np.random.default_rng(7)
    out: list[tuple[str, Image.Image]] = [
        ("black", Image.new("RGB", (1280, 960))),
        ("dark_grey", Image.new("RGB", (1280, 960), (30, 30, 34))),
        ("white", Image.new("RGB", (1280, 960), (255, 255, 255))),
        ("dark_noise", Image.fromarray(rng.integers(0, 40, (960, 1280, 3), dtype=np.uint8))),
        ("noise", Image.fromarray(rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8))),
    ]
    for i in range(4):
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        t = np.linspace(0, 1, 1280)[None, :, None]
        grad = (a + (b - a) * t) * np.ones((960, 1, 1))
        out.append((f"gradient_{i}", Image.fromarray(grad.astype(np.uint8))))
        small = rng.integers(0, 256, (6 + 4 * i, 8 + 4 * i, 3), dtype=np.uint8)
        out.append((f"texture_{i}", Image.fromarray(small).resize((1280, 960), Image.Resampling.BICUBIC)))
        img = Image.new("RGB", (1280, 960), tuple(int(v) for v in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(img)
        for _ in range(30):
            x, y, r = rng.integers(0, 1280), rng.integers(0, 960), rng.integers(10, 200)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
        out.append((f"shapes_{i}", img))
    if extra:
        for path in sorted(extra.rglob("*")):
            if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"):
                out.append((path.name, open_image(path)))
    return out


def negatives_report(recognizer: DashboardRecognizer, extra: Path | None) -> dict:
    results = {
        name: [f"{d.code}:{d.confidence:.2f}" for d in recognizer.detect(img)] for name, img in negative_images(extra)
    }
    return {"images": len(results), "with_detections": {k: v for k, v in results.items() if v}}


# ---- real photos against their labels ----
def photos_report(recognizer: DashboardRecognizer, photos_dir: Path) -> dict:
    """Recall of the must lamps and precision of everything reported, per photo and overall."""
    labels = json.loads((photos_dir / "labels.json").read_text(encoding="utf-8"))["photos"]
    rows = []
    tp = fn = fp = 0
    for name, want in sorted(labels.items()):
        found = recognizer.detect(open_photo(photos_dir / name))
        reported = [d.code for d in found]
        must, optional = set(want.get("must", [])), set(want.get("optional", []))
        hits = must & set(reported)
        false = [c for c in reported if c not in must | optional]
        tp, fn, fp = tp + len(hits), fn + len(must - hits), fp + len(false)
        rows.append(
            {
                "photo": name,
                "must": sorted(must),
                "found": [f"{d.code}:{d.confidence:.2f}@{list(d.box)}" for d in found],
                "missed": sorted(must - hits),
                "false_positives": false,
            }
        )
    return {
        "photos": len(rows),
        "must": tp + fn,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        # Precision over the lamps that count: hits against hits plus codes that are neither must nor optional.
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "false_positives": fp,
        "per_photo": rows,
    }


# ---- the nearest-template baseline ----
_BASELINE_SIDE = 32


def _descriptor(rgba: Image.Image) -> np.ndarray:
    """A symbol's ink (brightness times coverage), centred in a square, 32 x 32, zero-mean and unit-norm."""
    side = max(rgba.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(rgba, ((side - rgba.width) // 2, (side - rgba.height) // 2))
    arr = np.asarray(square.resize((_BASELINE_SIDE, _BASELINE_SIDE), Image.Resampling.BOX)).astype(np.float32)
    ink = arr[..., :3].max(axis=2) * arr[..., 3] / 255
    ink -= ink.mean()
    return (ink / max(float(np.linalg.norm(ink)), 1e-6)).ravel()


def nearest_template_top1(test: list[tuple[str, str, Image.Image]], train: list[Template]) -> dict:
    """Top-1 of naming each test icon by its most similar training template (cosine of the ink images)."""
    if not test or not train:
        return {"n": len(test), "top1": None, "core_top1": None}
    bank = np.stack([_descriptor(t.image) for t in train])
    codes = [t.code for t in train]
    pred = [codes[int(np.argmax(bank @ _descriptor(icon)))] for _, _, icon in test]
    truth = [code for code, _, _ in test]
    core = [i for i, c in enumerate(truth) if c in CORE_CODES]
    return {
        "n": len(test),
        "top1": round(float(np.mean([p == t for p, t in zip(pred, truth, strict=True)])), 4),
        "core_top1": round(float(np.mean([pred[i] == truth[i] for i in core])), 4) if core else None,
    }


# ---- held-out sources ----
def holdout(
    *,
    data_dir: Path,
    out_dir: Path,
    sources: tuple[str, ...],
    seed: int,
    epochs: int,
    scenes: int,
    val_scenes: int,
    reuse: bool = False,
    log: Callable[[str], None] = print,
) -> dict:
    """Trains one model per source with that source left out, and evaluates it on that source's icons."""
    table: dict[str, dict] = {}
    pooled_truth: list[int] = []
    pooled_pred: list[int] = []
    classes: list[str] = []
    for source in sources:
        icons = real_icons(data_dir, sources={source})
        if not icons:
            log(f"{source}: no icons, skipped")
            continue
        folder = out_dir / f"without-{source}"
        if reuse and _trained_as(folder, source, seed, epochs, scenes):
            log(f"{source}: reusing the model in {folder}")
        else:
            log(f"{source}: training without its {len(icons)} icons into {folder}")
            training.train_dashboard(
                out_dir=folder,
                seed=seed,
                data_dir=data_dir,
                epochs=epochs,
                scenes=scenes,
                val_scenes=val_scenes,
                detection_scenes=0,
                exclude_sources=frozenset({source}),
            )
        recognizer = DashboardRecognizer.load(folder)
        classes = list(recognizer.config.classes)
        report = single_symbol_report(recognizer, icons)
        others = training.load_library(data_dir, frozenset({source})).templates
        baseline = nearest_template_top1(icons, _unique(others))
        table[source] = {
            "icons": len(icons),
            "model": {k: report[k] for k in ("all", "core", "core_clean", "core_degraded", "core_close_up")},
            "baseline_nearest_template": baseline,
            "clusters": cluster_report(recognizer, icons, 6),
            "per_code": report["per_code"],
        }
        index = {c: i for i, c in enumerate(classes)}
        for row in report["rows"]:
            pooled_truth.append(index[row["code"]])
            pooled_pred.append(index[row["crop_prediction"]])
        log(f"{source}: {json.dumps({k: table[source][k] for k in ('model', 'baseline_nearest_template')})}")
    summary: dict = {"sources": table}
    if pooled_truth:
        k = len(classes)
        matrix = np.zeros((k, k), dtype=np.int64)
        np.add.at(matrix, (np.array(pooled_truth), np.array(pooled_pred)), 1)
        summary["pooled"] = {
            "crops": len(pooled_truth),
            "accuracy": round(float(np.trace(matrix) / matrix.sum()), 4),
            "confusion": {"labels": classes, "matrix": matrix.tolist()},
        }
    summary["plan"] = {"seed": seed, "epochs": epochs, "scenes": scenes, "val_scenes": val_scenes}
    return summary


def _trained_as(folder: Path, source: str, seed: int, epochs: int, scenes: int) -> bool:
    """Whether folder already holds a model trained without source under this plan (so runs can be split)."""
    try:
        training_info = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["training"]
    except (OSError, KeyError, ValueError):
        return False
    return (folder / "weights.pt").is_file() and (
        training_info.get("excluded_sources"),
        training_info.get("seed"),
        training_info.get("epochs"),
        training_info.get("train_scenes"),
    ) == ([source], seed, epochs, scenes)


def _unique(templates: list[Template]) -> list[Template]:
    seen: set[str] = set()
    out = []
    for t in templates:
        if t.source not in seen:
            seen.add(t.source)
            out.append(t)
    return out


def write_holdout_metrics(model_dir: Path, summary: dict) -> None:
    """Puts the held-out-source figures into a model's metrics.json, makes them its headline, and draws their
    row-normalised confusion matrix as confusion_held_out.png beside the training run's confusion.png."""
    path = model_dir / "metrics.json"
    metrics = json.loads(path.read_text(encoding="utf-8"))
    metrics["held_out_sources"] = {k: v for k, v in summary.items() if k != "pooled"} | {
        "pooled": {k: v for k, v in summary.get("pooled", {}).items() if k != "confusion"}
    }
    if "pooled" in summary:
        confusion = summary["pooled"]["confusion"]
        matrix = np.asarray(confusion["matrix"])
        training.draw_confusion(matrix, confusion["labels"], model_dir / "confusion_held_out.png")
        metrics["accuracy"] = summary["pooled"]["accuracy"]
        metrics["confusion"] = summary["pooled"]["confusion"]
        metrics["headline"] = (
            "held-out sources: every real icon crop (sizes 32/64/128 px clean and degraded, close-ups on dark "
            "and light), classified by a model trained without the icon's source"
        )
    path.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


# ---- the command line ----
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    icons = commands.add_parser("icons", help="real icons composited on panels, clusters and blank images")
    icons.add_argument("--model", type=Path, required=True)
    icons.add_argument("--data", type=Path, required=True)
    icons.add_argument("--only", nargs="*", help="evaluate only these icon files (code/name.png or name.png)")
    icons.add_argument("--sources", nargs="*", choices=SOURCES, help="evaluate only the icons of these sources")
    icons.add_argument("--negatives", type=Path, default=None, help="a folder of photos with no dashboard")
    icons.add_argument("--clusters", type=int, default=12)
    icons.add_argument("--charts", type=int, default=8, help="icon charts printed on white paper (must give [])")
    icons.add_argument("--json", type=Path, default=None)
    icons.add_argument(
        "--context-rule", choices=("config", "on", "off"), default="config", help="override the model's context rule"
    )
    photos = commands.add_parser("photos", help="recall and precision on labelled real photos")
    photos.add_argument("--model", type=Path, required=True)
    photos.add_argument("--photos", type=Path, required=True, help="a folder with the photos and labels.json")
    photos.add_argument("--json", type=Path, default=None)
    photos.add_argument(
        "--context-rule", choices=("config", "on", "off"), default="config", help="override the model's context rule"
    )
    held = commands.add_parser("holdout", help="leave one real icon source out at a time: train and evaluate")
    held.add_argument("--data", type=Path, required=True)
    held.add_argument("--out", type=Path, required=True, help="where the held-out models are written")
    held.add_argument("--sources", nargs="*", choices=SOURCES, default=list(SOURCES))
    held.add_argument("--seed", type=int, default=0)
    held.add_argument("--epochs", type=int, default=6)
    held.add_argument("--scenes", type=int, default=1600)
    held.add_argument("--val-scenes", type=int, default=200)
    held.add_argument("--write-metrics", type=Path, default=None, help="a model folder whose metrics.json gets them")
    held.add_argument("--reuse", action="store_true", help="evaluate models already trained under this plan")
    held.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    if args.command == "photos":
        report = photos_report(_loaded(args.model, args.context_rule), args.photos)
        _emit(report, args.json)
        return
    if args.command == "holdout":
        summary = holdout(
            data_dir=args.data,
            out_dir=args.out,
            sources=tuple(args.sources),
            seed=args.seed,
            epochs=args.epochs,
            scenes=args.scenes,
            val_scenes=args.val_scenes,
            reuse=args.reuse,
        )
        if args.write_metrics:
            write_holdout_metrics(args.write_metrics, summary)
        if args.json:
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        brief = {
            s: {k: v[k] for k in ("icons", "model", "baseline_nearest_template")} for s, v in summary["sources"].items()
        }
        print(json.dumps({"sources": brief, "pooled_accuracy": summary.get("pooled", {}).get("accuracy")}, indent=2))
        return
    recognizer = _loaded(args.model, args.context_rule)
    chosen = real_icons(args.data, set(args.only) if args.only else None, set(args.sources) if args.sources else None)
    report = {
        "single_symbol": single_symbol_report(recognizer, chosen),
        "clusters": cluster_report(recognizer, chosen, args.clusters),
        "negatives": negatives_report(recognizer, args.negatives),
        "icon_charts": charts_report(recognizer, chosen, args.charts),
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    brief = {k: v for k, v in report["single_symbol"].items() if k not in ("errors", "per_code", "rows")}
    print(
        json.dumps(
            {
                "single_symbol": brief,
                "clusters": report["clusters"],
                "negatives": report["negatives"],
                "icon_charts": report["icon_charts"],
            },
            indent=2,
        )
    )
    print("per code:", json.dumps(report["single_symbol"]["per_code"]))
    for e in report["single_symbol"]["errors"]:
        print("  miss", json.dumps(e))


def _loaded(model: Path, context_rule: str) -> DashboardRecognizer:
    """The recogniser in model, with its context rule as configured or forced on or off (to measure it)."""
    recognizer = DashboardRecognizer.load(model)
    if context_rule != "config":
        recognizer.config = dataclasses.replace(recognizer.config, context_rule=context_rule == "on")
    return recognizer


def _emit(report: dict, path: Path | None) -> None:
    if path:
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
