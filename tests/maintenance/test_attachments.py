"""Receipts and photos on maintenance records and fill-ups: sniffed, size-limited, private, owner-only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from accounts.services import storage_used
from maintenance import models as maintenance_models
from maintenance.models import Attachment, FuelEntry, MaintenanceRecord
from tests.diagnostics.media_factory import image_bytes, upload
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": folder}},
    }
    # A FileField resolves a callable storage once, when the model class loads; hand it the new one.
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storages["private"])
    return folder


def stored(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def fill_up(driver: User, vehicle: Vehicle) -> FuelEntry:
    return baker.make(FuelEntry, user=driver, vehicle=vehicle, odometer_km=50_100, litres=Decimal(30), total_cost=1)


def test_a_driver_attaches_a_receipt_to_a_fill_up_and_reads_it_back(
    driver: User, fill_up: FuelEntry, private_media: Path, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    response = client.post(
        f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("receipt.pdf", PDF)}, format="multipart"
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    assert (attachment.fuel_entry, attachment.content_type, attachment.size_bytes) == (
        fill_up,
        "application/pdf",
        len(PDF),
    )
    assert attachment.original_name == "receipt.pdf"
    assert attachment.file.name.endswith(f"{attachment.pk}.pdf")  # our name, never the phone's
    download = client.get(body["url"])
    assert download.status_code == HTTPStatus.OK
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF
    assert client.get(f"/api/v1/fuel/{fill_up.pk}").json()["attachments"][0]["id"] == body["id"]


def test_a_photo_goes_on_a_maintenance_record(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    record = make_record(driver, vehicle=vehicle)
    client = client_for(driver)

    response = client.post(
        f"/api/v1/maintenance/{record.pk}/attachments", {"file": upload("p.jpg", image_bytes())}, format="multipart"
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert Attachment.objects.get(maintenance_record=record).content_type.startswith("image/")
    assert len(client.get(f"/api/v1/maintenance/{record.pk}").json()["attachments"]) == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [("receipt.pdf", b"MZ\x90\x00 not a pdf"), ("photo.jpg", b"GIF89a......"), ("receipt.pdf", b"")],
)
def test_it_refuses_files_that_are_not_what_we_accept(
    driver: User,
    fill_up: FuelEntry,
    private_media: Path,
    client_for: Callable[[User], APIClient],
    name: str,
    data: bytes,
) -> None:
    response = client_for(driver).post(
        f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload(name, data)}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "file" in response.json()["error"]["fields"]
    assert not Attachment.objects.exists()
    assert stored(private_media) == []


def test_it_refuses_a_file_over_the_size_limit(
    driver: User,
    fill_up: FuelEntry,
    private_media: Path,
    client_for: Callable[[User], APIClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("maintenance.services.ATTACHMENT_MAX_BYTES", 50)

    response = client_for(driver).post(
        f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most" in response.json()["error"]["fields"]["file"][0]
    assert stored(private_media) == []


def test_attachments_are_private_to_their_owner(
    driver: User,
    other_driver: User,
    fill_up: FuelEntry,
    api_client: APIClient,
    client_for: Callable[[User], APIClient],
) -> None:
    url = (
        client_for(driver)
        .post(f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart")
        .json()["url"]
    )
    attachment = Attachment.objects.get()
    intruder = client_for(other_driver)

    assert api_client.get(url).status_code == HTTPStatus.UNAUTHORIZED
    assert intruder.get(url).status_code == HTTPStatus.NOT_FOUND
    assert intruder.get(f"/api/v1/attachments/{attachment.pk}").status_code == HTTPStatus.NOT_FOUND
    assert intruder.delete(f"/api/v1/attachments/{attachment.pk}").status_code == HTTPStatus.NOT_FOUND
    upload_theirs = intruder.post(
        f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart"
    )
    assert upload_theirs.status_code == HTTPStatus.NOT_FOUND
    other_record = make_record(driver)
    assert (
        intruder.post(
            f"/api/v1/maintenance/{other_record.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart"
        ).status_code
        == HTTPStatus.NOT_FOUND
    )
    assert api_client.post(f"/api/v1/fuel/{fill_up.pk}/attachments").status_code == HTTPStatus.UNAUTHORIZED
    assert Attachment.objects.count() == 1


def test_attachments_and_their_files_go_with_their_record(
    driver: User,
    vehicle: Vehicle,
    fill_up: FuelEntry,
    private_media: Path,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = client_for(driver)
    record = make_record(driver, vehicle=vehicle)
    client.post(f"/api/v1/maintenance/{record.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart")
    client.post(f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("r.pdf", PDF)}, format="multipart")
    single = client.post(
        f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("s.pdf", PDF)}, format="multipart"
    ).json()
    assert len(stored(private_media)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/attachments/{single['id']}").status_code == HTTPStatus.NO_CONTENT
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/maintenance/{record.pk}").status_code == HTTPStatus.NO_CONTENT
    assert len(stored(private_media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        vehicle.delete()  # the fill-up, its attachment and the file go with the car

    assert not Attachment.objects.exists()
    assert not MaintenanceRecord.objects.filter(pk=record.pk).exists()
    assert stored(private_media) == []
    assert maintenance_models.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


def test_attachments_count_toward_the_storage_quota_with_diagnostics_media(
    driver: User, fill_up: FuelEntry, private_media: Path, settings: Any, client_for: Callable[[User], APIClient]
) -> None:
    settings.USER_STORAGE_QUOTA_MB = 1
    client = client_for(driver)
    big = PDF + b"%" * (700 * 1024)
    first = client.post(f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("a.pdf", big)}, format="multipart")
    assert first.status_code == HTTPStatus.CREATED, first.json()

    second = client.post(f"/api/v1/fuel/{fill_up.pk}/attachments", {"file": upload("b.pdf", big)}, format="multipart")

    assert second.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert second.json()["error"]["code"] == "storage_quota_exceeded"
    assert Attachment.objects.filter(user=driver).count() == 1
    assert len(stored(private_media)) == 1
    # The quota is one sum over every app: a diagnostic photo adds to the receipt already stored.
    image = image_bytes()
    photo = client.post(
        "/api/v1/diagnostics",
        {"diagnostic_type": "dashboard_scan", "image": upload("p.png", image)},
        format="multipart",
    )
    assert photo.status_code == HTTPStatus.ACCEPTED, photo.json()
    assert storage_used(user=driver) == len(big) + len(image)
