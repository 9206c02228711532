"""Speed of the dashboard recogniser on CPU with two threads: cold load, and detect on 1280 x 960 photos.

PYTHONPATH=. python benchmarks/dashboard_speed.py [--model mlops/artifacts/dashboard] [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from catalog.symbols import COLOUR_RGB, CORE_CODES, STANDARD_COLOURS, render_symbol
from mlops.ml.dashboard import DashboardRecognizer
from mlops.ml.dashboard.evaluate import dark_panel

_COLD = """
import sys, time
t0 = time.perf_counter()
from mlops.ml.dashboard import DashboardRecognizer
t1 = time.perf_counter()
DashboardRecognizer.load(sys.argv[1])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def cluster_photo() -> Image.Image:
    """A 1280 x 960 cluster: a gauge, numbers and a strip of ten lit tell-tales."""
    photo = dark_panel((1280, 960), np.random.default_rng(0))
    draw = ImageDraw.Draw(photo)
    draw.arc((340, 80, 940, 680), 150, 390, fill=(230, 230, 235), width=6)
    for i, text in enumerate(("0", "40", "80", "120", "160", "200")):
        draw.text((380 + i * 95, 330 - 120 * abs(i - 2.5) / 2.5), text, fill=(220, 220, 220))
    for i, code in enumerate(CORE_CODES[:10]):
        symbol = render_symbol(code, size=72, style=i % 3, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
        photo.paste(symbol, (70 + i * 115, 760), symbol)
    return photo


def timings(recognizer: DashboardRecognizer, image: Image.Image, runs: int) -> dict[str, float]:
    for _ in range(5):
        recognizer.detect(image)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        recognizer.detect(image)
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(samples, 50)), 1),
        "p90_ms": round(float(np.percentile(samples, 90)), 1),
        "max_ms": round(max(samples), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("mlops/artifacts/dashboard"))
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # A fresh interpreter, so "cold" includes nothing this process has already loaded.
    command = [sys.executable, "-c", _COLD, str(args.model)]
    cold = subprocess.run(command, capture_output=True, text=True, check=True)
    import_s, load_s = (float(v) for v in cold.stdout.split())
    recognizer = DashboardRecognizer.load(args.model)
    photos = {
        "cluster_1280x960": cluster_photo(),
        "noise_1280x960": Image.fromarray(np.random.default_rng(1).integers(0, 256, (960, 1280, 3), dtype=np.uint8)),
        "phone_4032x3024": cluster_photo().resize((4032, 3024), Image.Resampling.BILINEAR),
    }
    report = {
        "threads": torch.get_num_threads(),
        "cold_import_s": round(import_s, 2),  # a fresh interpreter importing torch and the recogniser
        "cold_load_s": round(load_s, 3),  # then DashboardRecognizer.load itself
        "detect": {name: timings(recognizer, image, args.runs) for name, image in photos.items()},
        "found_on_cluster": [d.code for d in recognizer.detect(photos["cluster_1280x960"])],
    }
    print(json.dumps(report, indent=2))
    if args.json:  # the same figures on one line, last
        print(json.dumps(report))


if __name__ == "__main__":
    main()
