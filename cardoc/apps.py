from __future__ import annotations

from django.apps import AppConfig


class CardocConfig(AppConfig):
    """The project package doubles as the app for cross-cutting models (settings, audit)."""

    name = "cardoc"
    verbose_name = "CarDoc platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from cardoc import checks  # noqa: F401 - registers the system checks
        from cardoc.services import audit_admin_log_entry

        def _log_entry_saved(sender: type[LogEntry], instance: LogEntry, created: bool, **kwargs: object) -> None:
            if created:
                audit_admin_log_entry(entry=instance)

        post_save.connect(_log_entry_saved, sender=LogEntry, dispatch_uid="cardoc_audit_admin_log_entries")
