"""The registry's part of ``/health/ready``: every kind of model has an active version whose files check out.

It runs in the web process, so it verifies the artefact's sha256 (what the worker checks before loading)
without importing torch, and remembers a version it has verified once.
"""

from __future__ import annotations

from cardoc.health import Check
from mlops import artifacts
from mlops.models import MLModel, ModelStatus
from mlops.services import KIND_TO_MODEL_TYPE

_verified: set[tuple[str, str]] = set()


def models_ready() -> Check:
    problems: list[str] = []
    serving = MLModel.objects.serving().only("pk", "name", "version", "model_type", "artifact_path", "sha256", "status")
    by_type: dict[str, list[MLModel]] = {}
    for model in serving:
        by_type.setdefault(model.model_type, []).append(model)
    for kind, model_type in KIND_TO_MODEL_TYPE.items():
        models = by_type.get(model_type, [])
        if not any(m.status == ModelStatus.ACTIVE for m in models):
            problems.append(f"no active {kind} model")
        for model in models:
            key = (str(model.pk), model.sha256)
            if key in _verified:
                continue
            try:
                artifacts.verify(artifacts.resolve(model.artifact_path), model.sha256)
            except (artifacts.ArtifactIntegrityError, OSError):
                problems.append(f"{model.name} {model.version} fails its integrity check")
                continue
            _verified.add(key)
    if problems:
        return Check(False, "; ".join(problems))
    return Check(True, f"{sum(len(m) for m in by_type.values())} serving")
