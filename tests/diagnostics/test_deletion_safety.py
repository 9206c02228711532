"""Deleted diagnostics leave no private media behind, however deleted; a disk error is no 500; a stale run
never stores its result (issue 14, defect 18)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics import services
from diagnostics.models import DiagnosticRecord, DiagnosticStatus
from diagnostics.services import diagnostic_reanalyze, diagnostic_sweep_stuck
from tests.diagnostics.conftest import stored_files

pytestmark = pytest.mark.django_db


def with_photo(user: User, **fields: Any) -> DiagnosticRecord:
    record = baker.make(DiagnosticRecord, user=user, diagnostic_type="dashboard_scan", **fields)
    record.image.save("dash.jpg", ContentFile(b"\xff\xd8\xff photo"), save=True)
    return record


def test_a_hard_delete_in_the_admin_removes_the_private_files(
    staff: User, driver: User, private_media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    record = with_photo(driver, status="completed")
    assert len(stored_files(private_media)) == 1
    admin = Client()
    admin.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/diagnostics/diagnosticrecord/{record.pk}/delete/", {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []


def test_deleting_a_user_in_the_admin_removes_their_private_files(
    staff: User, driver: User, private_media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with_photo(driver, status="completed")
    admin = Client()
    admin.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/admin/accounts/user/{driver.pk}/delete/", {"post": "yes"})

    assert not User.objects.filter(pk=driver.pk).exists()
    assert stored_files(private_media) == []


def test_a_disk_error_while_removing_files_does_not_turn_the_delete_into_a_500(
    driver: User,
    client_for: Callable[[User], APIClient],
    private_media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = with_photo(driver, status="completed")
    # A real failure of the disk operation: where the file was, a directory that cannot be removed.
    path = Path(record.image.path)
    path.unlink()
    path.mkdir()
    (path / "busy").write_bytes(b"x")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(driver).delete(f"/api/v1/diagnostics/{record.pk}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not DiagnosticRecord.objects.exists()


def test_a_run_the_sweep_gave_up_on_cannot_own_the_record_after_a_reanalysis(settings: Any, driver: User) -> None:
    settings.DIAGNOSTIC_MAX_ATTEMPTS = 1
    long_ago = timezone.now() - timedelta(hours=1)
    record = with_photo(driver, status=DiagnosticStatus.IN_PROGRESS, attempts=1, runs_started=1, started_at=long_ago)
    stale_run = DiagnosticRecord.objects.get(pk=record.pk)  # what the stuck worker still holds

    assert diagnostic_sweep_stuck(queued_ids=set()).failed == 1
    diagnostic_reanalyze(record=record, user=driver)
    # The new run claims the record: its attempt number (1) is the stale run's again.
    DiagnosticRecord.objects.filter(pk=record.pk).update(
        status=DiagnosticStatus.IN_PROGRESS, attempts=1, runs_started=2, started_at=timezone.now()
    )

    assert not DiagnosticRecord.objects.filter(services._owned(stale_run)).exists()
    assert DiagnosticRecord.objects.filter(services._owned(DiagnosticRecord.objects.get(pk=record.pk))).exists()
