from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mlops.artifacts import read_artifact, write_checksum
from mlops.ml.dashboard.train import train_dashboard
from mlops.ml.engine import train_engine
from mlops.ml.onnx_export import ARTIFACT_ONNX, check_parity, export
from mlops.services import KIND_TO_MODEL_TYPE, MODEL_NAMES, model_register


def default_data_dir(kind: str) -> Path | None:
    # The dashboard trains on several folders of the data set (icons, more icons, backgrounds): its root.
    root = settings.BASE_DIR.parent / "shared" / "data"
    folder = root if kind == "dashboard" else root / "engine"
    return folder if (folder / ("dashboard" if kind == "dashboard" else "")).is_dir() else None


class ProgressBar:
    """A one-line text progress bar; good enough for a terminal and readable in CI logs."""

    def __init__(self, write: Any, width: int = 30) -> None:
        self.write, self.width, self.started = write, width, time.monotonic()

    def __call__(self, step: int, total: int, info: dict[str, Any]) -> None:
        done = int(self.width * step / max(total, 1))
        figures = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in info.items())
        elapsed = time.monotonic() - self.started
        self.write(f"[{'#' * done}{'.' * (self.width - done)}] {step}/{total} {elapsed:5.0f}s {figures}")


class Command(BaseCommand):
    help = "Train a model from scratch on CPU, write its artefact folder and register it as a testing model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KIND_TO_MODEL_TYPE))
        parser.add_argument("--data", type=Path, help="Real data folder (default: ../shared/data/<kind>).")
        parser.add_argument("--epochs", type=int, help="Training epochs (default: the model's own).")
        parser.add_argument(
            "--scenes", type=int, help="Dashboard only: synthetic training scenes (default: the model's own)."
        )
        parser.add_argument(
            "--cnn-from",
            type=Path,
            help="Dashboard only: reuse this artefact's CNN as it is, and fit only the template match, the "
            "calibration and the threshold on its validation scenes (how v3 was made from v2).",
        )
        parser.add_argument("--seed", type=int, default=20261126)
        parser.add_argument("--out", type=Path, help="Artefact folder (default: var/models/<kind>-<time>).")
        # Not --version: BaseCommand already owns that flag (it prints Django's version).
        parser.add_argument("--model-version", help="Registry version (default: the training time).")

    def handle(self, *args: Any, **options: Any) -> None:
        kind: str = options["kind"]
        data_dir: Path | None = options["data"] or default_data_dir(kind)
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        out: Path = options["out"] or settings.VAR_DIR / "models" / f"{kind}-{stamp}"
        version: str = options["model_version"] or stamp
        out.mkdir(parents=True, exist_ok=True)
        train_kwargs: dict[str, Any] = {
            "out_dir": out,
            "seed": options["seed"],
            "progress": ProgressBar(self.stdout.write),
        }
        if options["epochs"]:
            train_kwargs["epochs"] = options["epochs"]

        if kind == "dashboard":
            if options["cnn_from"]:
                if not (options["cnn_from"] / "weights.pt").is_file():
                    raise CommandError(f"--cnn-from: {options['cnn_from']} holds no weights.pt.")
                train_kwargs["cnn_from"] = options["cnn_from"]
            if options["scenes"]:
                train_kwargs["scenes"] = options["scenes"]
                train_kwargs["val_scenes"] = max(10, options["scenes"] // 6)
            metrics = train_dashboard(data_dir=data_dir, **train_kwargs)
        else:
            if data_dir is None:
                raise CommandError("The engine-sound model trains on real recordings: pass --data DIR.")
            if options["scenes"] or options["cnn_from"]:
                raise CommandError("--scenes and --cnn-from are for the dashboard model.")
            metrics = train_engine(data_dir=data_dir, **train_kwargs)

        config_file = out / "config.json"
        config = json.loads(config_file.read_text())
        config.update(kind=kind, name=MODEL_NAMES[kind], version=version, trained_at=timezone.now().isoformat())
        config_file.write_text(json.dumps(config, indent=2) + "\n")
        # The phone's copy is made from the final config and weights and shipped inside the artefact, so the
        # checksum covers it and a download serves exactly what was trained.
        model_type = KIND_TO_MODEL_TYPE[kind]
        exported = export(model_type=model_type, artifact_dir=out, target=out / ARTIFACT_ONNX)
        difference = check_parity(model_type=model_type, artifact_dir=out, onnx_file=exported.path)
        parity = "not checked: no onnxruntime" if difference is None else f"max |logit difference| {difference:.2g}"
        self.stdout.write(f"ONNX export {exported.path} ({exported.size_bytes:,} bytes), onnxruntime parity: {parity}")
        write_checksum(out)
        model, _ = model_register(
            info=read_artifact(out), name=MODEL_NAMES[kind], version=version, model_type=model_type
        )
        accuracy = metrics.get("accuracy")
        self.stdout.write(
            self.style.SUCCESS(
                f"Trained {model.name} {model.version} into {out} (accuracy {accuracy}); status testing."
            )
        )
