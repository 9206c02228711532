"""The one receiver of the directory: a review removed by a cascade still leaves the listing's rating.

Deleting a user (in the admin or by account erasure) deletes their reviews by ``CASCADE``, and no service of
ours runs for those rows; a ``post_delete`` receiver is the one place every such path passes. Services that
delete reviews themselves recompute too, which is harmless: the recomputation is idempotent.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from directory.models import Review
from directory.services import mechanic_refresh_rating


def review_deleted(sender: type[Review], instance: Review, **kwargs: Any) -> None:
    with transaction.atomic():
        mechanic_refresh_rating(mechanic_id=instance.mechanic_id)
