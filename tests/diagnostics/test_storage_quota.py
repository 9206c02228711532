"""The per-user storage quota (issue 14): every stored photo and recording counts, and an upload past the
quota is refused with 413 in the one error shape, storing nothing."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import storage_quota_check, storage_used
from cardoc import hooks
from cardoc.exceptions import StorageQuotaExceededError
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.conftest import stored_files
from tests.diagnostics.media_factory import image_bytes, photo, recording, wav_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
MB = 1024 * 1024
REF = "7b1b4c43-6c3d-4d3f-9f0e-0d9d7d0b3a11"


@pytest.fixture
def quota_of_one_megabyte(settings: Any) -> int:
    settings.USER_STORAGE_QUOTA_MB = 1
    return MB


def stored_for(user: User, size: int) -> DiagnosticRecord:
    """A diagnostic of ``user``'s that already takes ``size`` bytes of their quota."""
    return baker.make(DiagnosticRecord, user=user, diagnostic_type="dashboard_scan", media_bytes=size)


def scan(client: APIClient, data: bytes | None = None) -> Any:
    return client.post(URL, {"diagnostic_type": "dashboard_scan", "image": photo(data=data)}, format="multipart")


def test_a_stored_diagnostic_counts_the_size_of_both_its_files(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    image, audio = image_bytes(), wav_bytes()
    response = client_for(driver).post(
        URL,
        {"diagnostic_type": "combined", "image": photo(data=image), "audio": recording(data=audio)},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    record = DiagnosticRecord.objects.get()
    assert record.media_bytes == len(image) + len(audio)
    assert record.media_bytes == sum(path.stat().st_size for path in stored_files(private_media))
    assert storage_used(user=driver) == len(image) + len(audio)


def test_an_upload_past_the_quota_is_refused_with_413_and_stores_nothing(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path, quota_of_one_megabyte: int
) -> None:
    already = stored_for(driver, quota_of_one_megabyte - 100)

    response = scan(client_for(driver))

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    error = response.json()["error"]
    assert error["code"] == "storage_quota_exceeded"
    assert "storage is full" in error["message"]
    assert "0 KB of your 1.0 MB are free" in error["message"]
    assert error["fields"] == {}
    assert list(DiagnosticRecord.objects.all()) == [already]
    assert stored_files(private_media) == []


def test_an_upload_that_fills_the_quota_exactly_is_accepted(
    driver: User, client_for: Callable[[User], APIClient], quota_of_one_megabyte: int
) -> None:
    data = image_bytes()
    stored_for(driver, quota_of_one_megabyte - len(data))

    assert scan(client_for(driver), data).status_code == HTTPStatus.ACCEPTED
    assert storage_used(user=driver) == quota_of_one_megabyte
    # One byte more is one too many.
    assert scan(client_for(driver), data).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert DiagnosticRecord.objects.filter(user=driver).count() == 2


def test_another_drivers_files_do_not_count_against_mine(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient], quota_of_one_megabyte: int
) -> None:
    stored_for(other_driver, quota_of_one_megabyte)

    assert scan(client_for(driver)).status_code == HTTPStatus.ACCEPTED
    assert scan(client_for(other_driver)).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert DiagnosticRecord.objects.filter(user=driver).count() == 1


def test_deleting_a_diagnostic_makes_room_again(
    driver: User, client_for: Callable[[User], APIClient], quota_of_one_megabyte: int
) -> None:
    full = stored_for(driver, quota_of_one_megabyte)
    client = client_for(driver)
    assert scan(client).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    assert client.delete(f"{URL}/{full.pk}").status_code == HTTPStatus.NO_CONTENT

    assert scan(client).status_code == HTTPStatus.ACCEPTED
    assert storage_used(user=driver) == DiagnosticRecord.objects.get(user=driver).media_bytes > 0


def test_a_repeated_client_ref_is_answered_even_when_the_quota_is_full(
    driver: User, client_for: Callable[[User], APIClient], quota_of_one_megabyte: int
) -> None:
    first = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": REF}, format="multipart"
    )
    stored_for(driver, quota_of_one_megabyte)

    retry = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": REF}, format="multipart"
    )

    assert retry.status_code == HTTPStatus.OK
    assert retry.json()["id"] == first.json()["id"]


def test_the_check_adds_up_every_app_that_stores_the_users_files(
    driver: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A future feature (attachments) registers its own usage on the hook and calls the same check.
    settings.USER_STORAGE_QUOTA_MB = 1
    stored_for(driver, 400_000)
    monkeypatch.setattr(hooks.storage_usage, "_paths", [*hooks.storage_usage.paths, f"{__name__}.attachments_used"])

    assert storage_used(user=driver) == 400_000 + ATTACHMENTS_BYTES
    storage_quota_check(user=driver, incoming_bytes=MB - 400_000 - ATTACHMENTS_BYTES)
    with pytest.raises(
        StorageQuotaExceededError,
        match=r"Your storage is full: this upload is 341 KB, and 340 KB of your 1\.0 MB are free",
    ):
        storage_quota_check(user=driver, incoming_bytes=MB - 400_000 - ATTACHMENTS_BYTES + 1)
    storage_quota_check(user=driver, incoming_bytes=0)  # nothing to store: never refused


ATTACHMENTS_BYTES = 300_000


def attachments_used(*, user: User) -> int:
    return ATTACHMENTS_BYTES


def test_the_migration_measures_the_files_stored_before_it(driver: User, private_media: Path) -> None:
    record = stored_for(driver, 0)
    record.image.save("old.png", ContentFile(b"x" * 1234), save=False)
    record.audio.save("old.wav", ContentFile(b"y" * 766), save=False)
    record.save()
    untouched = stored_for(driver, 0)
    migration = importlib.import_module("diagnostics.migrations.0007_media_bytes_and_models_used_rls")

    # What RunPython hands the function: the app registry and something that runs SQL on the connection.
    migration.fill_media_bytes(apps, SimpleNamespace(connection=connection, execute=connection.cursor().execute))

    record.refresh_from_db()
    untouched.refresh_from_db()
    assert (record.media_bytes, untouched.media_bytes) == (2000, 0)
