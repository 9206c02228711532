"""Evaluation of a trained recogniser on real icons, which training may not have seen.

    python -m mlops.ml.dashboard.evaluate --model DIR --data DIR [--only FILE ...] [--negatives DIR]
        [--json OUT]

Each real icon is composited as a lit symbol on a dark panel at several sizes, clean and degraded (blur and
JPEG), and judged two ways: the classifier on the symbol's own crop (single-symbol top-1), and the whole
recogniser on the image (its most confident detection must name the code, with IoU >= 0.5). Then several
icons are laid out together on a cluster-sized panel, and images with nothing lit are checked to give [].
"""

from __future__ import annotations

import argparse
import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from catalog.symbols import CORE_CODES
from mlops.ml.dashboard.candidates import crops_for, working_copy
from mlops.ml.dashboard.imaging import open_image
from mlops.ml.dashboard.recognizer import DashboardRecognizer, box_iou
from mlops.ml.dashboard.synth import icon_rgba

SIZES = (32, 64, 128)  # the icon's longer side, in pixels of a 640 x 480 photo
PANEL = (18, 18, 22)


def real_icons(data_dir: Path, only: set[str] | None = None) -> list[tuple[str, str, Image.Image]]:
    root = data_dir / "dashboard" if (data_dir / "dashboard").is_dir() else data_dir
    return [
        (p.parent.name, f"{p.parent.name}/{p.name}", icon_rgba(p))
        for p in sorted(root.glob("*/*.png"))
        if only is None or p.name in only or f"{p.parent.name}/{p.name}" in only
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
    return summarise(rows)


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
        "non_core": rates([r for r in rows if r["code"] not in CORE_CODES]),
        "per_code": {c: rates(v) for c, v in sorted(by_code.items())},
        "errors": [r for r in rows if r["crop_prediction"] != r["code"] or r["detected"] != r["code"]],
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--only", nargs="*", help="evaluate only these icon files (code/name.png or name.png)")
    parser.add_argument("--negatives", type=Path, default=None, help="a folder of photos with no dashboard")
    parser.add_argument("--clusters", type=int, default=12)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    recognizer = DashboardRecognizer.load(args.model)
    icons = real_icons(args.data, set(args.only) if args.only else None)
    report = {
        "single_symbol": single_symbol_report(recognizer, icons),
        "clusters": cluster_report(recognizer, icons, args.clusters),
        "negatives": negatives_report(recognizer, args.negatives),
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    brief = {k: v for k, v in report["single_symbol"].items() if k not in ("errors", "per_code")}
    print(
        json.dumps(
            {"single_symbol": brief, "clusters": report["clusters"], "negatives": report["negatives"]},
            indent=2,
        )
    )
    print("per code:", json.dumps(report["single_symbol"]["per_code"]))
    for e in report["single_symbol"]["errors"]:
        print("  miss", json.dumps(e))


if __name__ == "__main__":
    main()
