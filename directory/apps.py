from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Mechanics directory"
    default_auto_field = "django.db.models.BigAutoField"
