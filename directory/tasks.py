"""django-q2 entry points of the directory: they take ids and call one service."""

from __future__ import annotations

from uuid import UUID

from directory.services import photo_make_thumbnail


def make_photo_thumbnail(photo_id: str) -> None:
    photo_make_thumbnail(photo_id=UUID(photo_id))
