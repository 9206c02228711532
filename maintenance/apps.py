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
        from cardoc import sync
        from cardoc.sync import ALL_OPERATIONS, SyncSource

        views = "maintenance.api.views"
        records = SyncSource(
            kind="maintenance",
            model="maintenance.MaintenanceRecord",
            viewset=f"{views}.MaintenanceRecordViewSet",
            operations=ALL_OPERATIONS,
        )
        sync.register(records)
        sync.register(
            SyncSource(kind="notification", model="maintenance.Notification", viewset=f"{views}.NotificationViewSet")
        )
