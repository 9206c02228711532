"""The daily prune of drivers' photos and recordings that no diagnostic points to any more."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from diagnostics.tasks import prune_orphan_media
from tests.diagnostics.conftest import stored_files
from tests.diagnostics.media_factory import photo, recording

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
TWO_DAYS = 2 * 24 * 3600


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_it_removes_old_files_no_diagnostic_points_to_and_keeps_the_rest(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    response = client_for(driver).post(
        URL, {"diagnostic_type": "combined", "image": photo(), "audio": recording()}, format="multipart"
    )
    assert response.status_code == HTTPStatus.ACCEPTED
    kept = stored_files(private_media)
    assert len(kept) == 2
    # What a delete that crashed before removing its files leaves behind, one old and one just written.
    leftover_dir = private_media / "diagnostics" / "images" / "2020" / "01"
    leftover_dir.mkdir(parents=True)
    old_orphan, new_orphan = leftover_dir / "old.jpg", leftover_dir / "new.jpg"
    old_orphan.write_bytes(b"x")
    new_orphan.write_bytes(b"y")
    for path in [*kept, old_orphan]:
        _age(path, TWO_DAYS)

    assert prune_orphan_media() == 1

    assert stored_files(private_media) == sorted([*kept, new_orphan])
    record = DiagnosticRecord.objects.get()
    assert record.image.storage.exists(record.image.name)
    assert record.audio.storage.exists(record.audio.name)


def test_an_empty_storage_is_nothing_to_do(private_media: Path) -> None:
    assert prune_orphan_media() == 0
