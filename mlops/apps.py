from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class MlopsConfig(AppConfig):
    name = "mlops"
    verbose_name = "ML models"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.readiness_checks.register("mlops.health.models_ready")
        hooks.metric_collectors.register("mlops.metrics.inference_metrics")
