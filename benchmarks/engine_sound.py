"""Print the engine-sound model's CPU speed: cold load, and classify() on a 10 s clip.

Usage: python benchmarks/engine_sound.py [--artifacts DIR] [--threads 2] [--runs 50]
The cold-load figure comes from a fresh interpreter, so it includes importing torch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from mlops.ml.engine import EngineSoundClassifier, encode_audio, load_audio, probe_audio

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARTIFACTS = REPO / "mlops" / "artifacts" / "engine_sound-v2"

COLD = """
import time, sys
t0 = time.perf_counter()
import torch
torch.set_num_threads({threads})
from pathlib import Path
from mlops.ml.engine import EngineSoundClassifier
t1 = time.perf_counter()
EngineSoundClassifier.load(Path({artifacts!r}))
t2 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}}")
"""


def cold_load(artifacts: Path, threads: int) -> tuple[float, float]:
    """Seconds to import torch and our package, and seconds for load() itself, in a fresh process."""
    code = COLD.format(threads=threads, artifacts=str(artifacts))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    imports, load = (float(v) for v in out.stdout.split())
    return imports, load


def time_classify(classifier: EngineSoundClassifier, waveform: torch.Tensor, rate: int, runs: int) -> list[float]:
    for _ in range(5):
        classifier.classify(waveform, rate)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        classifier.classify(waveform, rate)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifacts", type=Path, default=DEFAULT_ARTIFACTS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="End with one JSON line of the headline figures.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    imports_s, load_s = cold_load(args.artifacts, args.threads)
    classifier = EngineSoundClassifier.load(args.artifacts)
    gen = torch.Generator().manual_seed(0)
    figures: dict[str, object] = {
        "threads": args.threads,
        "cold_import_s": round(imports_s, 3),
        "cold_load_s": round(load_s, 3),
        "weights_kib": round((args.artifacts / "weights.pt").stat().st_size / 1024, 1),
        "parameters": sum(p.numel() for p in classifier.model.parameters()),
    }
    for rate in (16000, 44100):
        clip = 0.1 * torch.randn(10 * rate, generator=gen)
        times = time_classify(classifier, clip, rate, args.runs)
        figures[f"classify_10s_{rate}hz_ms"] = {
            "p50": round(statistics.median(times), 1),
            "p95": round(sorted(times)[int(0.95 * len(times)) - 1], 1),
            "windows": len(classifier.classify(clip, rate).windows),
        }
    # The whole request path for a typical upload: decode a 10 s 44.1 kHz stereo MP3, then classify.
    data = encode_audio(0.1 * torch.randn(2, 441000, generator=gen), 44100, "mp3")
    times = []
    for _ in range(10):
        start = time.perf_counter()
        waveform, rate = load_audio(data)
        classifier.classify(waveform, rate)
        times.append((time.perf_counter() - start) * 1000)
    figures["decode_mp3_and_classify_10s_ms_p50"] = round(statistics.median(times), 1)
    # The upload request only probes (every packet read, one second decoded); the worker decodes once.
    long_flac = encode_audio(0.1 * torch.randn(2, 60 * 48000, generator=gen), 48000, "flac")
    for name, run in (("probe", probe_audio), ("decode", load_audio)):
        start = time.perf_counter()
        run(long_flac)
        figures[f"{name}_60s_48k_stereo_flac_ms"] = round((time.perf_counter() - start) * 1000, 1)
    print(json.dumps(figures, indent=2))
    if args.json:  # the same figures on one line, last
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
