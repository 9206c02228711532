from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class TutorialsConfig(AppConfig):
    name = "tutorials"
    verbose_name = "Tutorials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: cardoc.public_cache reads models, which exist only once the registry is ready.
        from cardoc.public_cache import watch_public_content

        watch_public_content("tutorials.Tutorial", "tutorials.TutorialWarningLight", "tutorials.TutorialEngineSound")
        hooks.content_seeders.register("tutorials.services.tutorials_seed")
