"""Writes to the model registry: registering artefacts, deploying, A/B traffic and the prediction log."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cardoc.models import AuditAction
from cardoc.services import audit_record, rows_delete_in_batches
from mlops.artifacts import ArtifactInfo, relative_to_project
from mlops.models import MLModel, ModelStatus, Prediction

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


@transaction.atomic
def model_deploy(
    *, model: MLModel, actor: AbstractBaseUser | None = None, request: HttpRequest | None = None
) -> MLModel:
    """Make ``model`` the active one of its type; the previous active model becomes deprecated."""
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
