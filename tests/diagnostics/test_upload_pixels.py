"""The pixel limits of a photo upload: checked from the header in the request, never by a full decode."""

from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import pytest
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.conftest import stored_files
from tests.diagnostics.media_factory import upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def encoded(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 20, 24)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_tiny_file_of_a_huge_solid_png_is_refused_from_its_header(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    data = encoded((6300, 6300), "PNG")  # about 130 KB on disk, 40 MP (159 MB) once decoded
    assert len(data) < 400_000

    response = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": upload("solid.png", data, "image/png")}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["image"] == ["The photo has more than 8 megapixels; please send a smaller one."]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []


def test_a_jpeg_of_the_same_size_is_accepted_since_it_decodes_at_reduced_scale(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    data = encoded((6300, 6300), "JPEG")

    response = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": upload("big.jpg", data, "image/jpeg")}, format="multipart"
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    assert DiagnosticRecord.objects.get().status == "pending"
