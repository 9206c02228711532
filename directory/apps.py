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
        from cardoc import sync
        from cardoc.public_cache import watch_public_content
        from cardoc.sync import ALL_OPERATIONS, SyncSource
        from directory.signals import review_deleted

        watch_public_content("directory.Service")
        views = "directory.api.views"
        sync.register(
            SyncSource(kind="service", model="directory.Service", viewset=f"{views}.ServiceViewSet", owner=None)
        )
        sync.register(
            SyncSource(kind="mechanic", model="directory.Mechanic", viewset=f"{views}.MechanicViewSet", owner=None)
        )
        # The author's own reviews: written offline with an id the app chose, edited and deleted by a push.
        sync.register(
            SyncSource(
                kind="review", model="directory.Review", viewset=f"{views}.ReviewViewSet", operations=ALL_OPERATIONS
            )
        )
        hooks.content_seeders.register("directory.services.directory_seed")
        hooks.user_erasers.register("directory.services.user_listings_release")
        hooks.mechanic_role_revokers.register("directory.services.user_listings_release")
        post_delete.connect(review_deleted, sender="directory.Review", dispatch_uid="directory_review_deleted")
