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
        # Receipts and photos count toward the driver's storage quota, beside diagnostics' media.
        hooks.storage_usage.register("maintenance.services.user_storage_used")
        from django.db.models.signals import post_delete

        from maintenance.models import Attachment
        from maintenance.services import attachment_file_discard_on_delete

        def _discard(sender: type[Attachment], instance: Attachment, **kwargs: object) -> None:
            attachment_file_discard_on_delete(attachment=instance)

        # Every path that deletes an attachment (the API, the admin, a cascade from its record, fill-up, car
        # or account) removes its file once the deletion commits.
        post_delete.connect(_discard, sender=Attachment, dispatch_uid="maintenance_discard_attachment_files")
        from cardoc import sync
        from cardoc.sync import ALL_OPERATIONS, UPDATE, SyncSource

        views = "maintenance.api.views"
        records = SyncSource(
            kind="maintenance",
            model="maintenance.MaintenanceRecord",
            viewset=f"{views}.MaintenanceRecordViewSet",
            operations=ALL_OPERATIONS,
        )
        sync.register(records)
        # The server writes notifications; a phone only marks them read (offline too), an update that
        # commutes: read on two phones, it is read once, and neither push is a conflict.
        sync.register(
            SyncSource(
                kind="notification",
                model="maintenance.Notification",
                viewset=f"{views}.NotificationViewSet",
                operations=frozenset({UPDATE}),
                updates_commute=True,
            )
        )
        sync.register(
            SyncSource(
                kind="fuel",
                model="maintenance.FuelEntry",
                viewset="maintenance.api.garage_views.FuelEntryViewSet",
                operations=ALL_OPERATIONS,
            )
        )
