from __future__ import annotations

from django.apps import AppConfig


class TutorialsConfig(AppConfig):
    name = "tutorials"
    verbose_name = "Tutorials"
    default_auto_field = "django.db.models.BigAutoField"
