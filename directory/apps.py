from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete

from cardoc import hooks


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Mechanics directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: these modules read models, which exist only once the registry is ready.
        from cardoc.public_cache import watch_public_content
        from directory.signals import review_deleted

        watch_public_content("directory.Service")
        hooks.content_seeders.register("directory.services.directory_seed")
        hooks.user_erasers.register("directory.services.user_listings_release")
        hooks.mechanic_role_revokers.register("directory.services.user_listings_release")
        post_delete.connect(review_deleted, sender="directory.Review", dispatch_uid="directory_review_deleted")
