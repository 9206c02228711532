from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: cardoc.public_cache reads models, which exist only once the registry is ready.
        from cardoc.public_cache import watch_public_content

        watch_public_content("catalog.WarningLight", "catalog.EngineSound")
        hooks.content_seeders.register("catalog.services.catalog_seed")
