from __future__ import annotations

from django.apps import AppConfig


class MlopsConfig(AppConfig):
    name = "mlops"
    verbose_name = "ML models"
    default_auto_field = "django.db.models.BigAutoField"
