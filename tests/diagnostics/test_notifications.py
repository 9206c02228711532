"""The inbox tells the driver when a diagnostic finishes: its top finding and urgency, or that it failed."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import WarningLight
from diagnostics.models import DiagnosticRecord
from diagnostics.tasks import analyze_diagnostic
from maintenance.models import Notification
from maintenance.services import driver_language
from tests.diagnostics.conftest import DeployedModels, overwrite_stored
from tests.diagnostics.media_factory import dashboard_photo, silence_wav, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog", "tasks_sync")]

URL = "/api/v1/diagnostics"
INBOX = "/api/v1/notifications"


def _diagnose(client: APIClient, capture: Any, diagnostic_type: str, **files: SimpleUploadedFile) -> DiagnosticRecord:
    with capture(execute=True):
        response = client.post(URL, {"diagnostic_type": diagnostic_type, **files}, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return DiagnosticRecord.objects.get(pk=response.json()["id"])


def _inbox(client: APIClient) -> list[dict[str, Any]]:
    response = client.get(INBOX)
    assert response.status_code == HTTPStatus.OK
    return response.json()["results"]


def test_a_completed_diagnostic_puts_its_top_finding_and_urgency_in_the_inbox(
    driver: User,
    other_driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    photo = upload("dashboard.jpg", dashboard_photo("oil_pressure", "high_beam"), "image/jpeg")
    record = _diagnose(client, django_capture_on_commit_callbacks, "dashboard_scan", image=photo)
    assert record.status == "completed" and record.result.urgency == "immediate"

    [message] = _inbox(client)

    assert message["kind"] == "diagnostic_completed"
    assert message["diagnostic"] == str(record.pk)
    assert message["is_read"] is False
    # The critical light leads, whatever the order of the detections.
    assert message["title"] == "Your diagnosis is ready: Oil pressure warning"
    top = record.result.detections.get(warning_light__code="oil_pressure")
    assert message["body"] == (
        f"Found: Oil pressure warning ({round(top.confidence * 100)}% sure). Immediate: stop safely and get help now."
    )
    assert Notification.objects.get().user == driver
    assert _inbox(client_for(other_driver)) == []


def test_nothing_recognised_still_tells_the_driver(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    audio = upload("engine.wav", silence_wav(2.0), "audio/wav")
    record = _diagnose(client, django_capture_on_commit_callbacks, "engine_sound", audio=audio)
    assert record.status == "completed" and not record.result.detections.exists()

    [message] = _inbox(client)

    assert message["kind"] == "diagnostic_completed"
    assert message["title"] == "Your diagnosis is ready: nothing recognised"
    assert message["body"].endswith("Monitoring: nothing urgent; keep an eye on it.")


def test_a_failed_diagnostic_says_so_and_a_reanalysis_replaces_the_message(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    good = dashboard_photo("battery")
    with django_capture_on_commit_callbacks():
        response = client.post(
            URL, {"diagnostic_type": "dashboard_scan", "image": upload("d.jpg", good, "image/jpeg")}, format="multipart"
        )
    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    overwrite_stored(record.image, b"not an image any more")
    assert analyze_diagnostic(str(record.pk)) == "failed"

    [failed] = _inbox(client)
    assert failed["kind"] == "diagnostic_failed"
    assert failed["title"] == "Your diagnosis could not be completed"
    client.post(f"{INBOX}/{failed['id']}/read")

    overwrite_stored(record.image, good)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{URL}/{record.pk}/analyze").status_code == HTTPStatus.ACCEPTED

    [done] = _inbox(client)
    assert done["kind"] == "diagnostic_completed"
    assert done["title"] == "Your diagnosis is ready: Battery / charging system warning"
    assert done["is_read"] is False
    assert Notification.objects.filter(diagnostic=record).count() == 1


@pytest.mark.parametrize(
    ("locale", "language"), [("fr-CM", "fr"), ("fr", "fr"), ("en", "en"), ("de-DE", "en"), ("", "en")]
)
def test_the_message_is_written_in_the_profiles_language_french_for_cameroon(
    locale: str, language: str, driver: User
) -> None:
    driver.profile.locale = locale
    driver.profile.save()

    assert driver_language(driver) == language


def test_a_french_profile_gets_the_completed_message_in_french_with_the_french_light_name(
    driver: User,
    client_for: Callable[[User], APIClient],
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    driver.profile.locale = "fr-CM"
    driver.profile.save()
    french_name = "Pression d'huile"
    WarningLight.objects.filter(code="oil_pressure").update(name_fr=french_name)
    client = client_for(driver)
    photo = upload("dashboard.jpg", dashboard_photo("oil_pressure", "high_beam"), "image/jpeg")
    record = _diagnose(client, django_capture_on_commit_callbacks, "dashboard_scan", image=photo)

    [message] = _inbox(client)

    assert record.result.detections.filter(warning_light__code="oil_pressure").exists()
    assert message["title"] == f"Votre diagnostic est prêt : {french_name}"
    assert message["body"].startswith(f"Détecté : {french_name} (sûr à ")
    assert message["body"].endswith("Immédiat : arrêtez-vous en sécurité et demandez de l’aide maintenant.")
