from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class TutorialsConfig(AppConfig):
    name = "tutorials"
    verbose_name = "Tutorials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.content_seeders.register("tutorials.services.tutorials_seed")
