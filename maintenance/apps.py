from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.user_erasers.register("maintenance.services.user_maintenance_erase")
        # The directory (below us) asks whether a review's visit is a completed job at the garage.
        hooks.visit_verifiers.register("maintenance.services.is_completed_visit")
        # Diagnostics (below us) announce a finished analysis; the driver's inbox tells them.
        hooks.diagnostic_finished.register("maintenance.services.diagnostic_notify")
