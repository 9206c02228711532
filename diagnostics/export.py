"""The labelled data set that drivers' feedback makes: confirmed and corrected media, for the next training run.

The layout is the one the training data already uses (``dashboard/<code>/``, ``engine/<code>/``), plus a
``labels.jsonl`` that says, per file and code, where the label came from and where in the media it is.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Prefetch

from diagnostics.models import DiagnosticFeedback, FindingFeedback

logger = logging.getLogger(__name__)

LABELS_FILE = "labels.jsonl"


@dataclass(frozen=True, slots=True)
class Label:
    """One code that one driver's diagnostic shows, as the driver (or their mechanic) told us."""

    diagnostic: str
    kind: str  # "dashboard" or "engine"
    code: str
    source: str  # "confirmed", "corrected" or "mechanic"
    predicted_code: str | None
    model: str | None
    where: dict[str, Any] | None  # the finding's box (pixels) or span (seconds)


@dataclass(slots=True)
class ExportReport:
    files: int = 0
    labels: int = 0
    missing_media: int = 0
    by_code: dict[str, int] = field(default_factory=dict)


def _labels(feedback: DiagnosticFeedback) -> Iterator[Label]:
    record = str(feedback.record_id)
    for row in feedback.findings.all():
        code = row.true_code
        if code is None:  # rejected without the right code: nothing to learn a label from
            continue
        detection = row.detection
        is_sound = row.corrected_sound_id is not None or (
            detection is not None and detection.engine_sound_id is not None
        )
        where: dict[str, Any] | None = None
        if detection is not None and detection.box is not None:
            where = {"box": list(detection.box)}
        elif detection is not None and detection.start_s is not None:
            where = {"span": [detection.start_s, detection.end_s]}
        model = f"{row.ml_model.name} {row.ml_model.version}" if row.ml_model is not None else None
        yield Label(record, "engine" if is_sound else "dashboard", code, row.verdict, row.predicted_code, model, where)
    found = feedback.mechanic_found
    if found is not None:
        kind = "engine" if feedback.mechanic_found_sound_id is not None else "dashboard"
        yield Label(record, kind, found.code, "mechanic", None, None, None)


def feedback_export(*, out: Path) -> ExportReport:
    """Copy every confirmed or corrected photo and recording under ``out``, and write ``labels.jsonl``.

    Runs again safely: file names are the diagnostics' ids, so a second export overwrites the first.
    The caller sees every driver's rows (``rls.bypass``); this only reads the database.
    """
    report = ExportReport()
    findings = FindingFeedback.objects.select_related("detection", "ml_model", "corrected_light", "corrected_sound")
    feedback_rows = (
        DiagnosticFeedback.objects.select_related("record", "mechanic_found_light", "mechanic_found_sound")
        .prefetch_related(Prefetch("findings", queryset=findings))
        .order_by("created_at", "id")
    )
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for feedback in feedback_rows.iterator(chunk_size=500):
        record = feedback.record
        for label in _labels(feedback):
            media = record.audio if label.kind == "engine" else record.image
            if not media:
                report.missing_media += 1
                continue
            suffix = Path(media.name).suffix or ".bin"
            target = out / label.kind / label.code / f"{record.pk}{suffix}"
            if not target.exists():
                try:
                    with media.storage.open(media.name, "rb") as source:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with target.open("wb") as sink:
                            shutil.copyfileobj(source, sink)
                except FileNotFoundError:
                    logger.warning("Feedback export: the media of diagnostic %s is gone", record.pk)
                    report.missing_media += 1
                    continue
                report.files += 1
            report.labels += 1
            report.by_code[label.code] = report.by_code.get(label.code, 0) + 1
            lines.append(
                json.dumps(
                    {
                        "file": target.relative_to(out).as_posix(),
                        "kind": label.kind,
                        "code": label.code,
                        "source": label.source,
                        "predicted_code": label.predicted_code,
                        "model": label.model,
                        **(label.where or {}),
                        "diagnostic": label.diagnostic,
                    },
                    sort_keys=True,
                )
            )
    (out / LABELS_FILE).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return report
