from __future__ import annotations

from django.apps import AppConfig

from cardoc import hooks


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        hooks.content_seeders.register("catalog.services.catalog_seed")
