from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class TutorialsConfig(AppConfig):
    name = "tutorials"
    verbose_name = "Tutorials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: cardoc.public_cache reads models, which exist only once the registry is ready.
        from cardoc import sync
        from cardoc.public_cache import watch_public_content
        from cardoc.sync import SyncSource

        watch_public_content("tutorials.Tutorial", "tutorials.TutorialWarningLight", "tutorials.TutorialEngineSound")
        hooks.content_seeders.register("tutorials.services.tutorials_seed")
        tutorials = SyncSource(
            kind="tutorial", model="tutorials.Tutorial", viewset="tutorials.api.views.TutorialViewSet", owner=None
        )
        sync.register(tutorials)
