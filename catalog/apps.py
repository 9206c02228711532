from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: cardoc.public_cache reads models, which exist only once the registry is ready.
        from cardoc import sync
        from cardoc.public_cache import watch_public_content
        from cardoc.sync import SyncSource

        watch_public_content("catalog.WarningLight", "catalog.EngineSound")
        hooks.content_seeders.register("catalog.services.catalog_seed")
        views = "catalog.api.views"
        sync.register(
            SyncSource(
                kind="warning_light", model="catalog.WarningLight", viewset=f"{views}.WarningLightViewSet", owner=None
            )
        )
        sync.register(
            SyncSource(
                kind="engine_sound", model="catalog.EngineSound", viewset=f"{views}.EngineSoundViewSet", owner=None
            )
        )
