"""django-q2 entry points for the model registry."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from cardoc import rls
from mlops.services import predictions_prune


def prune_predictions() -> int:
    """Scheduled daily (setup_schedules): drop prediction-log rows past PREDICTION_RETENTION_DAYS."""
    with rls.bypass(reason="prune_predictions"):
        return predictions_prune(older_than=timedelta(days=settings.PREDICTION_RETENTION_DAYS))
