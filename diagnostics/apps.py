from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.user_erasers.register("diagnostics.services.user_diagnostics_erase")
