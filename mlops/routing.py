"""Which registered model serves a request: the A/B split between the active and testing models."""

from __future__ import annotations

import hashlib
import uuid

from mlops.models import MLModel, ModelStatus


class ModelUnavailableError(Exception):
    """No model of the needed type is active, or its artefact failed its integrity check."""


def draw(routing_key: str | None) -> float:
    """A number in [0, 1): stable for a routing key (the same diagnostic, the same model), random without one."""
    key = routing_key if routing_key is not None else uuid.uuid4().hex
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def choose_model(model_type: str, routing_key: str | None = None) -> MLModel:
    """A testing model for its traffic share, else the active model of the type."""
    serving = list(MLModel.objects.of_type(model_type).serving().order_by("created_at", "pk"))
    point, cumulative = draw(routing_key), 0.0
    for candidate in serving:
        if candidate.status == ModelStatus.TESTING:
            cumulative += candidate.traffic_share
            if point < cumulative:
                return candidate
    active = next((m for m in serving if m.status == ModelStatus.ACTIVE), None)
    if active is None:
        raise ModelUnavailableError(f"No active {model_type.replace('_', ' ')} model is deployed.")
    return active
