"""The figures on the staff console's front page: today's diagnostics, this week's findings, the live models.

Every figure is an SQL aggregate (latency percentiles over a bounded sample), so the page makes the same
few queries with ten rows or ten million.
Diagnostics sits at the top of the house, so it may read the catalog and the model registry directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticStatus, FindingFeedback, Urgency
from mlops.models import MLModel, Prediction

TOP_FINDINGS = 10
MODEL_WINDOW = timedelta(days=7)
FINDINGS_WINDOW = timedelta(days=7)
NO_RESULT = "no_result"


@dataclass(frozen=True, slots=True)
class Finding:
    """One catalog entry and how often it was found in the window."""

    code: str
    name: str
    kind: str  # "light" or "sound"
    entry_id: UUID
    count: int


@dataclass(slots=True)
class ModelFigures:
    """How one serving model version did over the model window."""

    model: MLModel
    predictions: int = 0
    live_share: float | None = None  # of what its type's serving models answered in the window
    mean_confidence: float | None = None
    unknown_share: float | None = None
    latency_p95_ms: float | None = None
    precision: float | None = None  # from drivers' feedback; None until there is some

    @property
    def share_explained(self) -> str:
        """What the configured traffic share means for this model (0% on an active model is not "none")."""
        if self.model.status == MLModel.Status.ACTIVE:
            return "all traffic not routed to a testing model"
        return f"{self.model.traffic_share:.0%} of its type's requests (A/B test)"


@dataclass(slots=True)
class Overview:
    day: datetime
    by_status: dict[str, int] = field(default_factory=dict)
    by_urgency: dict[str, int] = field(default_factory=dict)
    total: int = 0
    completed: int = 0
    failed: int = 0
    unknown: int = 0
    findings: list[Finding] = field(default_factory=list)
    models: list[ModelFigures] = field(default_factory=list)

    @property
    def failure_rate(self) -> float | None:
        """Failed among today's finished diagnostics; pending and running ones are not counted yet."""
        finished = self.completed + self.failed
        return self.failed / finished if finished else None

    @property
    def unknown_share(self) -> float | None:
        """Completed today with nothing recognised (no finding linked to the catalog)."""
        return self.unknown / self.completed if self.completed else None


def start_of_day(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _today(overview: Overview) -> None:
    found = Exists(Detection.objects.filter(result__record=OuterRef("pk")))
    rows = (
        DiagnosticRecord.objects.filter(created_at__gte=overview.day)
        .annotate(found=found)
        .values("status", "result__urgency", "found")
        .annotate(n=Count("id"))
        .order_by()
    )
    overview.by_status = dict.fromkeys(DiagnosticStatus.values, 0)
    overview.by_urgency = {**dict.fromkeys(Urgency.values, 0), NO_RESULT: 0}
    for row in rows:
        overview.total += row["n"]
        overview.by_status[row["status"]] = overview.by_status.get(row["status"], 0) + row["n"]
        urgency = row["result__urgency"] or NO_RESULT
        overview.by_urgency[urgency] = overview.by_urgency.get(urgency, 0) + row["n"]
        if row["status"] == DiagnosticStatus.COMPLETED:
            overview.completed += row["n"]
            if not row["found"]:
                overview.unknown += row["n"]
        elif row["status"] == DiagnosticStatus.FAILED:
            overview.failed += row["n"]


def _findings(since: datetime) -> list[Finding]:
    """The most frequent catalog entries found since ``since``.

    Grouped by the entries' ids alone (no join to the catalog in the big query); the names of the ten
    winners come from the catalog in one small query per kind.
    """
    rows = list(
        Detection.objects.filter(result__record__created_at__gte=since)
        .values("warning_light_id", "engine_sound_id")
        .annotate(n=Count("id"))
        .order_by("-n", "warning_light_id", "engine_sound_id")[:TOP_FINDINGS]
    )
    light_ids = [r["warning_light_id"] for r in rows if r["warning_light_id"]]
    sound_ids = [r["engine_sound_id"] for r in rows if r["engine_sound_id"]]
    lights = WarningLight.objects.in_bulk(light_ids) if light_ids else {}
    sounds = EngineSound.objects.in_bulk(sound_ids) if sound_ids else {}
    findings = []
    for row in rows:
        kind, entry = (
            ("light", lights.get(row["warning_light_id"]))
            if row["warning_light_id"]
            else ("sound", sounds.get(row["engine_sound_id"]))
        )
        if entry is not None:
            findings.append(Finding(code=entry.code, name=entry.name, kind=kind, entry_id=entry.pk, count=row["n"]))
    return findings


def _precision(confirmed: int, reviewed: int) -> float | None:
    return confirmed / reviewed if reviewed else None


def feedback_figures(*, model_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """What drivers' verdicts say of each model: counts and precision, overall and per predicted code.

    Precision is the share of a model's reviewed findings that drivers confirmed (a rejection or a
    correction counts against it). One grouped query for all the models; a model nobody reviewed is
    absent. Registered on ``cardoc.hooks.model_feedback_figures`` for the registry's performance API.
    """
    figures: dict[UUID, dict[str, Any]] = {}
    for row in FindingFeedback.objects.precision_rows(list(model_ids)):
        model = figures.setdefault(
            row["ml_model_id"], {"reviewed": 0, "confirmed": 0, "rejected": 0, "corrected": 0, "by_code": []}
        )
        counts = {name: int(row[name]) for name in ("reviewed", "confirmed", "rejected", "corrected")}
        for name, value in counts.items():
            model[name] += value
        model["by_code"].append(
            {"code": row["predicted_code"], **counts, "precision": _precision(counts["confirmed"], counts["reviewed"])}
        )
    for model in figures.values():
        model["precision"] = _precision(model["confirmed"], model["reviewed"])
    return figures


def live_precision_by_model(model_ids: list[UUID]) -> dict[UUID, float]:
    """Share of each model's reviewed findings that drivers confirmed; a model without feedback is absent."""
    return {
        model_id: figures["precision"]
        for model_id, figures in feedback_figures(model_ids=model_ids).items()
        if figures["precision"] is not None
    }


def _models(since: datetime) -> list[ModelFigures]:
    """Each serving model's figures over the window, from the registry's own live-figures aggregate.

    That makes two queries per serving model (one or two per model type), however many predictions there
    are: the counts are an aggregate over the (model, time) index, and the p95 latency comes from the
    newest 10,000 predictions, as on the model's performance endpoint. Live traffic is a model's share of
    what its type's serving models answered in the window.
    """
    serving = list(MLModel.objects.serving().order_by("model_type", "-status", "name", "version"))
    live = {m.pk: Prediction.objects.filter(ml_model=m, created_at__gte=since).live_figures() for m in serving}
    by_type: dict[str, int] = {}
    for model in serving:
        by_type[model.model_type] = by_type.get(model.model_type, 0) + int(live[model.pk]["predictions"] or 0)
    precision = live_precision_by_model([m.pk for m in serving])
    figures = []
    for model in serving:
        served = int(live[model.pk]["predictions"] or 0)
        type_total = by_type[model.model_type]
        figures.append(
            ModelFigures(
                model=model,
                predictions=served,
                live_share=served / type_total if type_total else None,
                mean_confidence=live[model.pk]["mean_confidence"],
                unknown_share=live[model.pk]["unknown_share"],
                latency_p95_ms=live[model.pk]["latency_p95_ms"],
                precision=precision.get(model.pk),
            )
        )
    return figures


def console_overview(*, now: datetime | None = None, with_models: bool = True) -> Overview:
    """Everything the console's front page shows, as of ``now``."""
    now = now or timezone.now()
    overview = Overview(day=start_of_day(now))
    _today(overview)
    overview.findings = _findings(now - FINDINGS_WINDOW)
    if with_models:
        overview.models = _models(now - MODEL_WINDOW)
    return overview
