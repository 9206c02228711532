from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Mechanics directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The receiver's module imports the models, which may be imported only once the registry is ready.
        from directory.signals import review_deleted

        post_delete.connect(review_deleted, sender="directory.Review", dispatch_uid="directory_review_deleted")
