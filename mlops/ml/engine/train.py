"""Command line: python -m mlops.ml.engine.train --data DIR --out DIR --epochs N --seed S

Trains and validates the engine-sound model (see ``mlops.ml.engine.training``) and prints its figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import torch

from mlops.ml.engine.training import DEFAULT_EPOCHS, train_engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the engine-sound model and write its artefacts.")
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder, or its engine/ folder")
    parser.add_argument("--out", type=Path, required=True, help="where to write the artefacts")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the build machines have 2)")
    parser.add_argument("--no-refit", action="store_true", help="ship the validated model, not the refit")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    def report(done: int, total: int, stats: dict[str, Any]) -> None:
        print(f"epoch {done}/{total} " + " ".join(f"{k}={v}" for k, v in stats.items()), flush=True)

    metrics = train_engine(
        out_dir=args.out,
        epochs=args.epochs,
        seed=args.seed,
        data_dir=args.data,
        progress=report,
        refit=not args.no_refit,
    )
    summary = {k: metrics[k] for k in ("accuracy", "balanced_accuracy", "macro_f1", "negative_windows_rejected")}
    print(json.dumps({**summary, "clips": metrics["clips"], "seconds": metrics["training"]["seconds"]}, indent=2))


if __name__ == "__main__":
    main()
