"""Inference speed and memory on CPU: cold load, p50/p95 over 50 runs after warm-up, and RSS.

Targets (issue 5): 1280x960 dashboard photo p50 <= 60 ms; 10 s clip p50 <= 40 ms; cold load <= 2 s;
worker RSS <= 1 GB with both models loaded. Issue 10: any photo up to 40 MP p95 <= 250 ms (decode + detect).
The artefacts are the newest bundled versions (``DASHBOARD_ARTIFACT=dashboard-v2`` or
``ENGINE_ARTIFACT=engine_sound`` measure older ones).
Run: .venv/bin/python benchmarks/inference.py [dashboard] [--json]
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cardoc.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from catalog.symbols import STANDARD_COLOURS, render_symbol  # noqa: E402
from samples.make_samples import idle_hum_wav  # noqa: E402 - the README sample's own generator

RUNS, WARMUP = 50, 5
COLOURS = {
    "red": (235, 40, 30),
    "amber": (255, 170, 0),
    "green": (40, 220, 80),
    "blue": (40, 110, 255),
    "white": (240, 240, 240),
}


def memory_mb() -> dict[str, float]:
    """This process's resident memory from /proc/self/smaps_rollup: Rss and its anonymous (heap) part."""
    figures = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        figures[name] = int(value.split()[0]) / 1024
    return figures


def rss_mb() -> float:
    return memory_mb()["Rss"]


def dashboard_photo() -> bytes:
    """A 1280x960 dark cluster with a few lit symbols, encoded as a phone would (JPEG)."""
    rng = random.Random(7)
    panel = Image.new("RGB", (1280, 960), (14, 16, 20))
    for i, code in enumerate(["oil_pressure", "battery", "check_engine", "abs"]):
        symbol = render_symbol(code, size=96, colour=COLOURS[STANDARD_COLOURS[code]])
        panel.paste(symbol, (200 + i * 220, 420 + rng.randint(-40, 40)), symbol)
    buffer = io.BytesIO()
    panel.filter(ImageFilter.GaussianBlur(1)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def camera_jpeg(size: tuple[int, int], seed: int) -> bytes:
    """A phone-sized JPEG of a cluster: textured panel, a few lit symbols scaled to the frame."""
    rng = random.Random(seed)
    w, h = size
    panel = Image.effect_noise((w // 8, h // 8), 24).convert("RGB").resize(size, Image.Resampling.BILINEAR)
    panel = Image.eval(panel, lambda v: v // 6)
    for i, code in enumerate(["airbag", "seatbelt", "check_engine", "tpms"]):
        symbol = render_symbol(code, size=max(24, w // 14), colour=COLOURS[STANDARD_COLOURS[code]])
        panel.paste(symbol, (w // 5 + i * w // 6, h // 2 + rng.randint(-h // 10, h // 10)), symbol)
    buffer = io.BytesIO()
    panel.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def dashboard_benchmarks(recognizer: Any, open_photo: Callable[[bytes], Any]) -> None:
    """Decode + detect on the photo sizes drivers send, and on the real labelled photos where present."""
    photo = dashboard_photo()
    timed_photo("dashboard 1280x960 JPEG (decode + detect)", lambda: recognizer.detect(open_photo(photo)), RUNS)
    print(f"  found: {[d.code for d in recognizer.detect(open_photo(photo))]}")
    for size in ((2560, 1920), (4032, 3024), (7296, 5472)):
        data = camera_jpeg(size, seed=size[0])
        label = f"dashboard {size[0]}x{size[1]} JPEG, {size[0] * size[1] / 1e6:.0f} MP (decode + detect)"
        timed_photo(label, lambda data=data: recognizer.detect(open_photo(data)), 20)
    buffer = io.BytesIO()
    Image.open(io.BytesIO(camera_jpeg((3264, 2448), seed=4))).save(buffer, "PNG")
    png = buffer.getvalue()
    timed_photo("dashboard 3264x2448 PNG, 8 MP (decode + detect)", lambda: recognizer.detect(open_photo(png)), 10)
    real = ROOT.parent / "shared" / "data" / "dashboard_photos"
    for path in sorted(real.glob("*.*")) if real.is_dir() else []:
        if path.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"):
            data = path.read_bytes()
            name = f"dashboard real photo {path.name[:24]}"
            timed_photo(name, lambda data=data: recognizer.detect(open_photo(data)), 20)


# Each timing's p50 in ms (and the RSS), printed as one JSON line last with --json.
FIGURES: dict[str, float] = {}


def timed(label: str, run: object) -> None:
    for _ in range(WARMUP):
        run()  # type: ignore[operator]
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[math.ceil(0.95 * len(samples)) - 1]
    print(f"{label}: p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms over {RUNS} runs")
    FIGURES[f"{label} p50_ms"] = round(statistics.median(samples), 1)


def timed_photo(label: str, run: Callable[[], object], runs: int) -> None:
    """Wall and CPU time per call: on a shared machine the CPU time is what one call really costs."""
    for _ in range(2):
        run()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    wall.sort()
    cpu.sort()
    FIGURES[f"{label} p50_ms"] = round(statistics.median(wall), 1)
    p95, cpu95 = wall[math.ceil(0.95 * runs) - 1], cpu[math.ceil(0.95 * runs) - 1]
    print(
        f"{label}: p50 {statistics.median(wall):.1f} ms, p95 {p95:.1f} ms wall; "
        f"CPU p50 {statistics.median(cpu):.1f} ms, p95 {cpu95:.1f} ms; over {runs} runs"
    )


def main() -> None:
    print(f"CPU threads: {settings.ML_TORCH_THREADS}; RSS before torch: {rss_mb():.0f} MB")
    started = time.perf_counter()
    import torch

    from mlops.ml.dashboard import DashboardRecognizer, open_photo
    from mlops.ml.engine import EngineSoundClassifier, load_audio

    torch.set_num_threads(settings.ML_TORCH_THREADS)
    print(f"import torch + model code: {(time.perf_counter() - started) * 1000:.0f} ms")

    started = time.perf_counter()
    dashboard_folder = settings.ML_ARTIFACTS_DIR / os.environ.get("DASHBOARD_ARTIFACT", "dashboard-v3")
    recognizer = DashboardRecognizer.load(dashboard_folder)
    print(f"cold load, dashboard model ({dashboard_folder.name}): {(time.perf_counter() - started) * 1000:.0f} ms")
    engine_folder = settings.ML_ARTIFACTS_DIR / os.environ.get("ENGINE_ARTIFACT", "engine_sound-v2")
    started = time.perf_counter()
    classifier = EngineSoundClassifier.load(engine_folder)
    print(f"cold load, engine-sound model ({engine_folder.name}): {(time.perf_counter() - started) * 1000:.0f} ms")

    clip = idle_hum_wav(10, seed=3)
    dashboard_benchmarks(recognizer, open_photo)
    if "dashboard" in sys.argv[1:]:  # the dashboard figures only
        finish()
        return
    waveform, rate = load_audio(clip)
    timed("engine sound 10 s clip (classify)", lambda: classifier.classify(waveform, rate))
    timed("engine sound 10 s clip (decode + classify)", lambda: classifier.classify(*load_audio(clip)))
    # The worker's own imports: audio is decoded by PyAV, so torchcodec (and the dynamo/inductor stack it
    # pulls in at import) must not be in the process.
    import mlops.inference  # noqa: F401

    print(
        f"torchcodec imported: {'torchcodec' in sys.modules}; torch._dynamo imported: {'torch._dynamo' in sys.modules}"
    )
    memory = memory_mb()
    # The regular torch wheel maps its CUDA libraries even on a CPU; those pages are file-backed and shared
    # by every worker process, so the anonymous part is what each extra worker really costs.
    print(
        f"RSS with both models loaded: {memory['Rss']:.0f} MB "
        f"(anonymous {memory['Anonymous']:.0f} MB, file-backed {memory['Rss'] - memory['Anonymous']:.0f} MB)"
    )
    FIGURES["rss_mb"] = round(memory["Rss"], 0)
    FIGURES["anonymous_mb"] = round(memory["Anonymous"], 0)
    finish()


def finish() -> None:
    """With --json (``python benchmarks/inference.py [dashboard] --json``), the figures on one line, last."""
    if "--json" in sys.argv[1:]:
        print(json.dumps(FIGURES))


if __name__ == "__main__":
    main()
