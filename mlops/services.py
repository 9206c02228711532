"""Writes to the model registry: registering artefacts, deploying, A/B traffic and the prediction log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cardoc.exceptions import ConflictError
from cardoc.hooks import model_feedback_figures
from cardoc.models import AuditAction
from cardoc.services import audit_record, rows_delete_in_batches
from mlops.artifacts import ArtifactInfo, ArtifactIntegrityError, relative_to_project, resolve, verify
from mlops.ml.dashboard import DashboardRecognizer
from mlops.ml.engine import EngineSoundClassifier
from mlops.ml.onnx_export import Export, export, read_export, shipped_export
from mlops.models import MLModel, ModelStatus, ModelType, Prediction

logger = logging.getLogger(__name__)

KIND_TO_MODEL_TYPE = {
    "dashboard": MLModel.ModelType.IMAGE_CLASSIFICATION,
    "engine_sound": MLModel.ModelType.AUDIO_CLASSIFICATION,
}
MODEL_NAMES = {"dashboard": "dashboard-recognizer", "engine_sound": "engine-sound-classifier"}


def artifact_version(info: ArtifactInfo) -> str:
    """The version a training run gave the artefact, else one derived from its content."""
    return str(info.config.get("version") or f"sha-{info.sha256[:12]}")


def _trained_at(info: ArtifactInfo) -> datetime | None:
    raw = info.config.get("trained_at") or info.metrics.get("trained_at")
    return parse_datetime(raw) if isinstance(raw, str) else None


def _accuracy(metrics: dict[str, Any]) -> float | None:
    # Training runs report their headline figure at the top level or inside their validation block.
    value = metrics.get("accuracy", metrics.get("validation", {}).get("accuracy"))
    return float(value) if isinstance(value, int | float) else None


@transaction.atomic
def model_register(
    *, info: ArtifactInfo, name: str, version: str, model_type: str, activate_if_none: bool = False
) -> tuple[MLModel, bool]:
    """Register an artefact as a testing model; returns (model, created). Idempotent by name and version.

    A second registration of the same name and version with other bytes is refused: a retrained model
    must get a new version, or the registry could no longer say which weights served a prediction.
    """
    existing = MLModel.objects.filter(name=name, version=version).first()
    if existing is not None:
        if existing.sha256 != info.sha256:
            raise ValidationError(
                f"{name} {version} is already registered with other weights (sha256 {existing.sha256[:12]}…)."
            )
        model, created = existing, False
    else:
        model = MLModel.objects.create(
            name=name,
            version=version,
            model_type=model_type,
            artifact_path=relative_to_project(Path(info.path)),
            sha256=info.sha256,
            size_bytes=info.size_bytes,
            accuracy=_accuracy(info.metrics),
            metrics=info.metrics,
            trained_at=_trained_at(info),
            status=ModelStatus.TESTING,
        )
        created = True
    if activate_if_none and not MLModel.objects.of_type(model_type).filter(status=ModelStatus.ACTIVE).exists():
        model = _activate(model)
    return model, created


def _activate(model: MLModel) -> MLModel:
    # The partial unique index allows one active model per type, so the old one steps down first.
    MLModel.objects.of_type(model.model_type).filter(status=ModelStatus.ACTIVE).exclude(pk=model.pk).update(
        status=ModelStatus.DEPRECATED, traffic_share=0
    )
    model.status = ModelStatus.ACTIVE
    model.traffic_share = 0
    model.deployed_at = timezone.now()
    model.save(update_fields=["status", "traffic_share", "deployed_at"])
    return model


# The same loaders mlops.inference serves with (it imports this module, so it cannot be imported here).
_DEPLOY_LOADERS: dict[str, Callable[[Path], object]] = {
    ModelType.IMAGE_CLASSIFICATION: DashboardRecognizer.load,
    ModelType.AUDIO_CLASSIFICATION: EngineSoundClassifier.load,
}


def model_check_loadable(*, model: MLModel) -> None:
    """Refuse a model whose artefact is missing, fails its checksum or does not load.

    Run before any switch: a model pointing at a missing folder would otherwise become active, and every
    diagnostic of its type would fail until someone noticed.
    """
    label = f"{model.name} {model.version}"
    folder = resolve(model.artifact_path)
    if not folder.is_dir():
        raise ConflictError(f"The {label} model's artefact is missing; it cannot serve.", code="model_unloadable")
    try:
        verify(folder, model.sha256)
        _DEPLOY_LOADERS[model.model_type](folder)
    except ArtifactIntegrityError as exc:
        logger.error("Refusing to deploy %s: %s", label, exc)
        raise ConflictError(f"The {label} model failed its integrity check.", code="model_unloadable") from exc
    except Exception as exc:
        # Whatever the loader raises (a truncated file, a config for another architecture): log it for staff.
        logger.exception("Refusing to deploy %s: its artefact does not load", label)
        raise ConflictError(f"The {label} model's artefact does not load.", code="model_unloadable") from exc


@transaction.atomic
def model_deploy(
    *, model: MLModel, actor: AbstractBaseUser | None = None, request: HttpRequest | None = None
) -> MLModel:
    """Make ``model`` the active one of its type once it verifies and loads; the previous active model
    becomes deprecated."""
    model_check_loadable(model=model)
    # Lock every model of the type, so two deploys at once cannot leave two actives or none.
    locked = list(MLModel.objects.select_for_update().of_type(model.model_type).order_by("pk"))
    previous = next((m for m in locked if m.status == ModelStatus.ACTIVE and m.pk != model.pk), None)
    model.refresh_from_db()
    _activate(model)
    audit_record(
        action=AuditAction.MODEL_DEPLOY,
        user=actor,
        request=request,
        details={
            "model": str(model.pk),
            "name": model.name,
            "version": model.version,
            "previous": str(previous.pk) if previous else None,
        },
    )
    return model


@transaction.atomic
def model_set_traffic(
    *, model: MLModel, share: float, actor: AbstractBaseUser | None = None, request: HttpRequest | None = None
) -> MLModel:
    """Give a testing model ``share`` of its type's requests; the active model serves the rest."""
    if not 0 <= share <= 1:
        raise ValidationError({"traffic_share": "Must be between 0 and 1."})
    locked = MLModel.objects.select_for_update().of_type(model.model_type)
    model = locked.get(pk=model.pk)
    if model.status != ModelStatus.TESTING and share > 0:
        raise ValidationError({"traffic_share": "Only a testing model can take a share of traffic."})
    if share > 0:
        model_check_loadable(model=model)
    others = locked.filter(status=ModelStatus.TESTING).exclude(pk=model.pk).aggregate(total=Sum("traffic_share"))
    if (others["total"] or 0) + share > 1:
        raise ValidationError({"traffic_share": "The testing models of this type would take more than all traffic."})
    model.traffic_share = share
    model.save(update_fields=["traffic_share"])
    audit_record(
        action=AuditAction.MODEL_TRAFFIC,
        user=actor,
        request=request,
        details={"model": str(model.pk), "traffic_share": share},
    )
    return model


NO_FEEDBACK: dict[str, Any] = {
    "reviewed": 0,
    "confirmed": 0,
    "rejected": 0,
    "corrected": 0,
    "precision": None,
    "by_code": [],
}


def model_feedback(*, model_ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Drivers' verdicts on each model's findings, from the apps that collect them (``model_feedback_figures``).

    Every model asked about gets an entry; one nobody reviewed has zero counts and no precision.
    """
    figures: dict[Any, dict[str, Any]] = {model_id: dict(NO_FEEDBACK) for model_id in model_ids}
    for source in model_feedback_figures:
        for model_id, found in source(model_ids=list(model_ids)).items():
            figures[model_id] = dict(found)
    return figures


def prediction_record(
    *, model_id: Any, top_code: str, confidence: float, is_unknown: bool, latency_ms: float
) -> Prediction:
    return Prediction.objects.create(
        ml_model_id=model_id,
        top_code=top_code,
        confidence=min(max(confidence, 0.0), 1.0),
        is_unknown=is_unknown,
        latency_ms=max(latency_ms, 0.0),
    )


def predictions_prune(*, older_than: timedelta) -> int:
    """Delete prediction-log rows older than ``older_than`` (PREDICTION_RETENTION_DAYS); returns how many."""
    return rows_delete_in_batches(Prediction.objects.filter(created_at__lt=timezone.now() - older_than))


# --- Models on the phone --------------------------------------------------------------------------------


def onnx_path(model: MLModel) -> Path:
    """Where ``manage.py export_onnx`` writes the model's ONNX file (its spec sits beside it)."""
    return Path(settings.ML_ONNX_DIR) / f"{model.name}-{model.version}.onnx"


def onnx_export_of(model: MLModel) -> Export | None:
    """The model's ONNX export (cheap: reads a small JSON), or None until there is one.

    The one shipped inside the artefact comes first: the registered sha256 covers it. Otherwise the one that
    ``export_onnx`` wrote under ML_ONNX_DIR.
    """
    return shipped_export(resolve(model.artifact_path)) or read_export(onnx_path(model))


def model_export_onnx(*, model: MLModel) -> Export:
    """Export ``model`` to ONNX after checking its artefact against the registered sha256.

    An artefact that ships its own export is not exported again: phones get the checksummed file.
    """
    folder = resolve(model.artifact_path)
    verify(folder, model.sha256)
    shipped = shipped_export(folder)
    if shipped is not None:
        return shipped
    return export(model_type=model.model_type, artifact_dir=folder, target=onnx_path(model))
