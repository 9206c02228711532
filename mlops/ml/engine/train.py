"""Command line: python -m mlops.ml.engine.train --data DIR --out DIR [--steps N] [--seed S]

Trains and validates the engine-sound model (see ``mlops.ml.engine.training``) and prints its figures.
``manage.py train_model engine_sound`` does the same and registers the result.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mlops.ml.engine.training import DEFAULT_EPOCHS, train_engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the engine-sound model and write its artefacts.")
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the artefacts")
    parser.add_argument("--steps", type=int, default=DEFAULT_EPOCHS, help="full-batch optimiser steps per fit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core machine)")
    args = parser.parse_args(argv)

    def report(done: int, total: int, stats: dict[str, Any]) -> None:
        print(f"step {done}/{total} " + " ".join(f"{k}={v}" for k, v in stats.items()), flush=True)

    metrics = train_engine(
        out_dir=args.out, epochs=args.steps, seed=args.seed, data_dir=args.data, progress=report, threads=args.threads
    )
    summary = {
        "accuracy": metrics["accuracy"],
        "baseline_accuracy": metrics["baseline_accuracy"],
        "model": metrics["model"]["families"],
        "baseline": metrics["baseline"]["families"],
        "seconds": metrics["training"]["seconds"],
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
