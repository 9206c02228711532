from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mlops.inference import (
    MediaError,
    ModelUnavailableError,
    analyze_dashboard,
    analyze_engine_sound,
)
from mlops.sniff import DASHBOARD, ENGINE_SOUND, SNIFF_BYTES, sniff


def diagnose_file(path: Path, kind: str | None) -> dict[str, Any]:
    """One file's report in the CLI's JSON shape; raises MediaError for unreadable input."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"cannot read the file: {exc.strerror or exc}") from exc
    if kind is None:
        sniffed = sniff(data[:SNIFF_BYTES])
        kind = sniffed.model_kind if sniffed else None
    if kind == DASHBOARD:
        image = analyze_dashboard(data)
        detections = [
            {"code": d.code, "confidence": round(d.confidence, 4), "box": list(d.box)} for d in image.detections
        ]
        model, elapsed_ms = image.model, image.elapsed_ms
    elif kind == ENGINE_SOUND:
        sound = analyze_engine_sound(data)
        detections = [
            {"code": w.code, "confidence": round(w.confidence, 4), "start_s": w.start_s, "end_s": w.end_s}
            for w in sound.verdict.windows
        ]
        model, elapsed_ms = sound.model, sound.elapsed_ms
    else:
        raise MediaError("not a supported image (JPEG, PNG, WebP) or recording (WAV, FLAC, OGG, MP3, M4A)")
    top = max(detections, key=lambda d: d["confidence"], default=None)
    if kind == ENGINE_SOUND:
        # For sound the verdict aggregates the windows and may be "unknown"; that is the answer, not a code.
        top_code = None if sound.verdict.code == "unknown" else sound.verdict.code
    else:
        top_code = top["code"] if top else None
    report: dict[str, Any] = {
        "file": str(path),
        "kind": kind,
        "detections": detections,
        "top": top_code,
        "model": {"name": model.name, "version": model.version},
        "elapsed_ms": round(elapsed_ms, 1),
    }
    if kind == ENGINE_SOUND:
        # What the driver is told: each code heard, over the span it was heard (the windows are above).
        report["findings"] = [
            {"code": f.code, "confidence": f.confidence, "start_s": f.start_s, "end_s": f.end_s}
            for f in sound.verdict.findings
        ]
    return report


class Command(BaseCommand):
    help = (
        "Run the active models on photos or recordings and print one JSON object per file: a photo's lights, or "
        "a recording's window-by-window timeline and its findings, each code with the span it was heard over."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--kind", choices=[DASHBOARD, ENGINE_SOUND], help="Skip detecting the kind.")
        parser.add_argument("--json", action="store_true", help="One compact JSON object per line.")

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        for path in options["files"]:
            try:
                report = diagnose_file(path, options["kind"])
            except MediaError as exc:
                failures += 1
                report = {"file": str(path), "error": {"code": "unreadable_media", "message": str(exc)}}
            except ModelUnavailableError as exc:
                failures += 1
                report = {"file": str(path), "error": {"code": "model_unavailable", "message": str(exc)}}
            self.stdout.write(json.dumps(report, indent=None if options["json"] else 2))
        if failures:
            raise CommandError(f"{failures} of {len(options['files'])} file(s) could not be diagnosed.")
