from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.user_erasers.register("diagnostics.services.user_diagnostics_erase")
        # The registry (mlops, below us) shows drivers' verdicts as each model's live precision.
        hooks.model_feedback_figures.register("diagnostics.overview.feedback_figures")
        hooks.metric_collectors.register("diagnostics.metrics.diagnostic_metrics")
        hooks.storage_usage.register("diagnostics.services.user_storage_used")
        from cardoc import sync
        from cardoc.sync import CREATE, DELETE, UPDATE, SyncSource

        # Created by the multipart upload (keyed by client_ref), never by a push; a push may delete one.
        diagnostics = SyncSource(
            kind="diagnostic",
            model="diagnostics.DiagnosticRecord",
            viewset="diagnostics.api.views.DiagnosticViewSet",
            operations=frozenset({DELETE}),
        )
        sync.register(diagnostics)
        # Feedback given offline: made with the app's id, corrected by a pushed update; it goes with its diagnostic.
        sync.register(
            SyncSource(
                kind="feedback",
                model="diagnostics.DiagnosticFeedback",
                viewset="diagnostics.api.views.FeedbackViewSet",
                operations=frozenset({CREATE, UPDATE}),
            )
        )
        from django.db.models.signals import post_delete

        from diagnostics.models import DiagnosticRecord
        from diagnostics.services import diagnostic_files_discard_on_delete

        def _discard(sender: type[DiagnosticRecord], instance: DiagnosticRecord, **kwargs: object) -> None:
            diagnostic_files_discard_on_delete(record=instance)

        post_delete.connect(_discard, sender=DiagnosticRecord, dispatch_uid="diagnostics_discard_files_on_delete")
