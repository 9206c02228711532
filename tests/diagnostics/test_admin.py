"""The staff console's diagnostic pages: a real analysis, then what staff see of it, and its media."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditAction, AuditEvent
from diagnostics.models import DiagnosticRecord, DiagnosticStatus
from tests.diagnostics.conftest import DeployedModels, stored_files
from tests.diagnostics.media_factory import PANEL_SIZE, dashboard_photo, upload, wav_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "tasks_sync")]

URL = "/api/v1/diagnostics"


def _post(driver: User, client_for: Callable[[User], APIClient], capture: Any, **files: Any) -> Any:
    """Upload, and let the inline worker run the analysis queued on commit."""
    diagnostic_type = "combined" if len(files) == 2 else "dashboard_scan" if "image" in files else "engine_sound"
    with capture(execute=True):
        return client_for(driver).post(URL, {"diagnostic_type": diagnostic_type, **files}, format="multipart")


@pytest.fixture
def analysed(
    driver: User,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
    deployed_models: DeployedModels,
) -> DiagnosticRecord:
    """A driver's combined diagnostic, analysed by the real bundled models."""
    response = _post(
        driver,
        client_for,
        django_capture_on_commit_callbacks,
        image=upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery"), "image/jpeg"),
        audio=upload("engine.wav", wav_bytes(2.0), "audio/wav"),
    )
    assert response.status_code in (HTTPStatus.ACCEPTED, HTTPStatus.CREATED), response.json()
    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    assert record.status == DiagnosticStatus.COMPLETED
    return record


def _change_url(record: DiagnosticRecord) -> str:
    return reverse("admin:diagnostics_diagnosticrecord_change", args=[record.pk])


def test_the_diagnostic_page_draws_the_boxes_and_the_timeline(
    analysed: DiagnosticRecord, staff: User, client: Client, deployed_models: DeployedModels
) -> None:
    record = analysed
    detections = list(record.result.detections.select_related("warning_light"))
    assert {d.warning_light.code for d in detections} == {"oil_pressure", "battery"}
    client.force_login(staff)

    page = client.get(_change_url(record)).content.decode()

    image_url = reverse("admin:diagnostics_diagnosticrecord_image", args=[record.pk])
    audio_url = reverse("admin:diagnostics_diagnosticrecord_audio", args=[record.pk])
    assert f'<image href="{image_url}" x="0" y="0" width="{PANEL_SIZE[0]}" height="{PANEL_SIZE[1]}"/>' in page
    for detection in detections:
        x0, y0, x1, y1 = detection.box
        assert f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none"' in page
        assert f"{detection.warning_light.code} {detection.confidence:.2f}</text>" in page
        light_url = reverse("admin:catalog_warninglight_change", args=[detection.warning_light.pk])
        assert f'<a href="{light_url}">{detection.warning_light.name}</a>' in page
    assert f'<audio controls preload="metadata" src="{audio_url}"></audio>' in page
    windows = record.result.analysis["engine_sound"]["windows"]
    assert len(windows) > 0
    assert f"Timeline of the {len(windows)} analysis windows" in page
    assert page.count('fill-opacity="') == len(windows)
    assert f"{deployed_models.dashboard.name} {deployed_models.dashboard.version}</a>" in page
    assert f"{deployed_models.engine.name} {deployed_models.engine.version}</a>" in page
    assert "Waiting in the queue" in page
    assert "Inference" in page
    assert record.result.get_urgency_display() in page


def test_the_page_is_evidence_staff_read_but_cannot_rewrite(
    analysed: DiagnosticRecord, staff: User, client: Client
) -> None:
    record = analysed
    client.force_login(staff)
    page = client.get(_change_url(record)).content.decode()
    assert 'name="status"' not in page
    assert 'name="diagnostic_type"' not in page
    assert 'name="vehicle"' not in page

    response = client.post(_change_url(record), {"status": "failed", "diagnostic_type": "engine_sound"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    record.refresh_from_db()
    assert (record.status, record.diagnostic_type) == (DiagnosticStatus.COMPLETED, "combined")


def test_deleting_in_the_console_removes_the_media_and_is_audited(
    analysed: DiagnosticRecord,
    staff: User,
    client: Client,
    private_media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert len(stored_files(private_media)) == 2
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:diagnostics_diagnosticrecord_delete", args=[analysed.pk]), {"post": "yes"}
        )

    assert response.status_code == HTTPStatus.FOUND
    assert not DiagnosticRecord.objects.filter(pk=analysed.pk).exists()
    assert stored_files(private_media) == []
    event = AuditEvent.objects.get(action=AuditAction.DIAGNOSTIC, details__event="deleted")
    assert (event.user, event.details["diagnostic"]) == (staff, str(analysed.pk))


def test_staff_can_have_diagnostics_analysed_again(
    analysed: DiagnosticRecord, staff: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    first_result = analysed.result.pk
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:diagnostics_diagnosticrecord_changelist"),
            {"action": "reanalyze_selected", "_selected_action": [str(analysed.pk)]},
            follow=True,
        )

    assert "1 diagnostic(s) queued for a new analysis." in response.content.decode()
    analysed.refresh_from_db()
    assert analysed.status == DiagnosticStatus.COMPLETED
    assert analysed.result.pk != first_result
    assert AuditEvent.objects.filter(details__event="reanalysis_requested", user=staff).count() == 1


def test_staff_can_play_the_media_that_the_page_shows(
    analysed: DiagnosticRecord, staff: User, client: Client, deployed_models: DeployedModels
) -> None:
    record = analysed
    client.force_login(staff)

    image = client.get(reverse("admin:diagnostics_diagnosticrecord_image", args=[record.pk]))
    audio = client.get(reverse("admin:diagnostics_diagnosticrecord_audio", args=[record.pk]))

    assert image.status_code == HTTPStatus.OK
    assert image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert audio.status_code == HTTPStatus.OK
    assert audio["Content-Type"] == "audio/wav"
    assert b"".join(audio.streaming_content)[:4] == b"RIFF"


def test_drivers_and_anonymous_visitors_cannot_fetch_media_through_the_console(
    analysed: DiagnosticRecord, driver: User, client: Client
) -> None:
    record = analysed
    url = reverse("admin:diagnostics_diagnosticrecord_image", args=[record.pk])

    anonymous = client.get(url)
    client.force_login(driver)
    owner_in_admin = client.get(url)

    for response in (anonymous, owner_in_admin):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_diagnostic_without_a_photo_answers_404_for_its_photo(
    driver: User,
    staff: User,
    client: Client,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
    deployed_models: DeployedModels,
) -> None:
    response = _post(
        driver, client_for, django_capture_on_commit_callbacks, audio=upload("engine.wav", wav_bytes(1.0), "audio/wav")
    )
    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    client.force_login(staff)

    assert client.get(reverse("admin:diagnostics_diagnosticrecord_image", args=[record.pk])).status_code == 404
    page = client.get(_change_url(record)).content.decode()
    assert "No photo." in page
    assert "Nothing recognised (unknown)." in page


def test_the_changelist_shows_urgency_and_confidence_with_two_decimals(
    analysed: DiagnosticRecord, staff: User, client: Client, deployed_models: DeployedModels
) -> None:
    record = analysed
    client.force_login(staff)

    page = client.get(reverse("admin:diagnostics_diagnosticrecord_changelist")).content.decode()

    assert f'<td class="field-confidence">{record.result.overall_confidence:.2f}</td>' in page
    assert re.search(r'<td class="field-urgency">(Immediate|Soon|Monitoring)</td>', page)
