"""POST /api/v1/diagnostics: what is stored, what is refused, and that a refusal stores nothing."""

from __future__ import annotations

import struct
import threading
import uuid
import zlib
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import AuditEvent
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.conftest import stored_files
from tests.diagnostics.media_factory import image_bytes, photo, recording, upload, wav_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def test_it_stores_a_dashboard_scan_as_pending_in_private_storage(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    vehicle = baker.make(Vehicle, user=driver, year=2015)
    ref = uuid.uuid4()

    response = client_for(driver).post(
        URL,
        {"diagnostic_type": "dashboard_scan", "image": photo("IMG_0001.JPG"), "vehicle": vehicle.pk, "client_ref": ref},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    body = response.json()
    record = DiagnosticRecord.objects.get()
    assert body["id"] == str(record.pk)
    assert body["status"] == "pending"
    assert body["result"] is None
    assert body["vehicle"] == str(vehicle.pk)
    assert body["client_ref"] == str(ref)
    assert body["image_url"] == f"http://testserver/api/v1/diagnostics/{record.pk}/image"
    assert body["audio_url"] is None
    assert (record.user, record.vehicle, record.diagnostic_type) == (driver, vehicle, "dashboard_scan")
    assert record.queued_at is not None
    # Named from the sniffed type (a PNG), not from the phone's file name.
    assert [p.name for p in stored_files(private_media)] == [f"{record.pk}.png"]
    assert record.image.name.startswith("diagnostics/images/")
    event = AuditEvent.objects.get(action="diagnostic")
    assert event.user == driver
    assert event.details == {"event": "created", "diagnostic": str(record.pk), "diagnostic_type": "dashboard_scan"}


def test_it_stores_a_combined_diagnostic_with_both_files(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    response = client_for(driver).post(
        URL, {"diagnostic_type": "combined", "image": photo(), "audio": recording()}, format="multipart"
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    record = DiagnosticRecord.objects.get()
    assert sorted(p.name for p in stored_files(private_media)) == [f"{record.pk}.png", f"{record.pk}.wav"]
    assert response.json()["audio_url"].endswith(f"/api/v1/diagnostics/{record.pk}/audio")


def test_it_queues_the_analysis_only_after_the_commit(
    driver: User,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(driver).post(
            URL, {"diagnostic_type": "engine_sound", "audio": recording()}, format="multipart"
        )

    assert response.status_code == HTTPStatus.ACCEPTED
    assert len(callbacks) == 1
    assert DiagnosticRecord.objects.get().status == "pending"


def test_a_repeated_client_ref_returns_the_first_record_and_stores_nothing_twice(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    client = client_for(driver)
    ref = str(uuid.uuid4())
    first = client.post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": ref}, format="multipart"
    )

    again = client.post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": ref}, format="multipart"
    )

    assert first.status_code == HTTPStatus.ACCEPTED
    assert again.status_code == HTTPStatus.OK
    assert again.json()["id"] == first.json()["id"]
    assert DiagnosticRecord.objects.count() == 1
    assert len(stored_files(private_media)) == 1
    assert AuditEvent.objects.filter(action="diagnostic").count() == 1


def test_the_same_client_ref_from_another_user_is_a_new_record(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    ref = str(uuid.uuid4())
    first = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": ref}, format="multipart"
    )

    other = client_for(other_driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": ref}, format="multipart"
    )

    assert other.status_code == HTTPStatus.ACCEPTED
    assert other.json()["id"] != first.json()["id"]
    assert DiagnosticRecord.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_racing_uploads_with_one_client_ref_store_one_record_and_one_file(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    ref = str(uuid.uuid4())
    start = threading.Barrier(2)
    statuses: list[int] = []
    ids: list[str] = []

    def send() -> None:
        client = client_for(driver)
        start.wait()
        try:
            response = client.post(
                URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": ref}, format="multipart"
            )
            statuses.append(response.status_code)
            ids.append(response.json()["id"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.ACCEPTED]
    assert len(set(ids)) == 1
    assert DiagnosticRecord.objects.count() == 1
    assert len(stored_files(private_media)) == 1


def _big_png(width: int, height: int) -> Callable[[], bytes]:
    return lambda: image_bytes((width, height), mode="1")


def _png_claiming(width: int, height: int) -> Callable[[], bytes]:
    """A small PNG whose header claims a huge size: decoding it would allocate width x height pixels."""

    def make() -> bytes:
        data = bytearray(image_bytes((8, 8)))
        # The IHDR chunk starts at byte 8: length (4), type (4), width (4), height (4), ... then its CRC.
        data[16:24] = struct.pack(">II", width, height)
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
        return bytes(data)

    return make


def _truncated(make: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: make()[: len(make()) // 2]


def _padded(make: Callable[[], bytes], size: int) -> Callable[[], bytes]:
    return lambda: make() + b"\0" * (size - len(make()))


def _png() -> bytes:
    return image_bytes((640, 480))


BAD_UPLOADS = [
    pytest.param({"diagnostic_type": "dashboard_scan"}, "image", id="dashboard scan without a photo"),
    pytest.param({"diagnostic_type": "engine_sound"}, "audio", id="engine sound without a recording"),
    pytest.param({"diagnostic_type": "combined", "image": "photo"}, "audio", id="combined without a recording"),
    pytest.param({"diagnostic_type": "combined", "audio": "recording"}, "image", id="combined without a photo"),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": "recording", "image": "photo"}, "image", id="extra photo"
    ),
    pytest.param({"diagnostic_type": "x-ray", "image": "photo"}, "diagnostic_type", id="unknown type"),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("engine.wav", image_bytes)}, "audio", id="png renamed wav"
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.png", wav_bytes)}, "image", id="wav renamed png"
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.png", _truncated(_png))},
        "image",
        id="truncated png",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50)},
        "image",
        id="corrupt jpeg",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.gif", b"GIF89a" + b"\0" * 64)},
        "image",
        id="unsupported gif",
    ),
    pytest.param({"diagnostic_type": "dashboard_scan", "image": ("dash.png", b"")}, "image", id="empty photo"),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.png", _padded(_png, 15 * 1024 * 1024 + 1))},
        "image",
        id="photo over 15 MB",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.png", _big_png(8000, 5001))},
        "image",
        id="photo over 40 megapixels",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("dash.png", _png_claiming(8000, 5001))},
        "image",
        id="header claiming over 40 megapixels",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": ("bomb.png", _png_claiming(30_000, 30_000))},
        "image",
        id="decompression bomb",
    ),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("e.wav", _padded(wav_bytes, 20 * 1024 * 1024 + 1))},
        "audio",
        id="recording over 20 MB",
    ),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("e.wav", partial(wav_bytes, 0.2))},
        "audio",
        id="recording of 0.2 s",
    ),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("e.wav", partial(wav_bytes, 61, rate=8000))},
        "audio",
        id="recording of 61 s",
    ),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("e.wav", _truncated(partial(wav_bytes, 2)))},
        "audio",
        id="truncated wav",
    ),
    pytest.param(
        {"diagnostic_type": "engine_sound", "audio": ("e.wav", b"RIFF\x24\0\0\0WAVEjunk")},
        "audio",
        id="wav header only",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": "photo", "client_ref": "not-a-uuid"},
        "client_ref",
        id="malformed client_ref",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": "photo", "vehicle": str(uuid.uuid4())},
        "vehicle",
        id="unknown vehicle",
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": "photo", "vehicle": "car-1"}, "vehicle", id="malformed vehicle"
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": "photo", "vehicle": "OTHER"}, "vehicle", id="another's vehicle"
    ),
    pytest.param(
        {"diagnostic_type": "dashboard_scan", "image": "photo", "photo": "photo"}, "photo", id="misspelt file field"
    ),
]


def _form(spec: dict[str, Any], other_vehicle: Vehicle) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for key, value in spec.items():
        if value == "photo":
            form[key] = photo()
        elif value == "recording":
            form[key] = recording()
        elif value == "OTHER":
            form[key] = str(other_vehicle.pk)
        elif isinstance(value, tuple):
            name, content = value
            form[key] = upload(name, content() if callable(content) else content)
        else:
            form[key] = value
    return form


@pytest.mark.parametrize(("spec", "field"), BAD_UPLOADS)
def test_a_bad_upload_gets_a_clear_400_and_stores_nothing(
    spec: dict[str, Any],
    field: str,
    driver: User,
    other_driver: User,
    client_for: Callable[[User], APIClient],
    private_media: Path,
) -> None:
    other_vehicle = baker.make(Vehicle, user=other_driver, year=2012)

    response = client_for(driver).post(URL, _form(spec, other_vehicle), format="multipart")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert error["message"]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []
    assert not AuditEvent.objects.filter(action="diagnostic").exists()


def test_the_duration_limits_name_the_problem(driver: User, client_for: Callable[[User], APIClient]) -> None:
    short = client_for(driver).post(
        URL, {"diagnostic_type": "engine_sound", "audio": recording(data=wav_bytes(0.2))}, format="multipart"
    )
    long = client_for(driver).post(
        URL, {"diagnostic_type": "engine_sound", "audio": recording(data=wav_bytes(61, rate=8000))}, format="multipart"
    )

    assert "too short" in short.json()["error"]["fields"]["audio"][0]
    assert "too long" in long.json()["error"]["fields"]["audio"][0]


@pytest.mark.parametrize("wait", ["31", "-1", "soon"])
def test_a_bad_wait_is_refused_before_anything_is_stored(
    wait: str, driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    response = client_for(driver).post(
        f"{URL}?wait={wait}", {"diagnostic_type": "dashboard_scan", "image": photo()}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["wait"]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []


def test_an_anonymous_upload_is_refused_with_401(api_client: APIClient, private_media: Path) -> None:
    response = api_client.post(URL, {"diagnostic_type": "dashboard_scan", "image": photo()}, format="multipart")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"
    assert stored_files(private_media) == []


def test_an_oversized_request_is_refused_before_it_is_read(
    driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    huge = upload("dash.png", image_bytes() + b"\0" * (36 * 1024 * 1024))

    response = client_for(driver).post(URL, {"diagnostic_type": "dashboard_scan", "image": huge}, format="multipart")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"]["code"] == "upload_too_large"
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []


@pytest.mark.parametrize("empty", ["", "   "], ids=["empty", "blank"])
def test_it_refuses_an_empty_client_ref_and_stores_nothing(
    empty: str, driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    response = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), "client_ref": empty}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "client_ref is empty" in error["fields"]["client_ref"][0]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []


def test_without_a_client_ref_it_is_stored_with_none(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(URL, {"diagnostic_type": "dashboard_scan", "image": photo()}, format="multipart")

    assert response.status_code == HTTPStatus.ACCEPTED
    assert DiagnosticRecord.objects.get().client_ref is None


def test_a_wait_that_runs_out_answers_202_with_the_pending_record(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    # No worker runs in this test, so the analysis stays queued for the whole second.
    response = client_for(driver).post(
        f"{URL}?wait=1", {"diagnostic_type": "dashboard_scan", "image": photo()}, format="multipart"
    )

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json()["status"] == "pending"
    assert DiagnosticRecord.objects.get().status == "pending"
