"""The diagnostics API around the upload: history, detail, results, media, re-analysis, deletion, access."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from mlops.models import MLModel
from tests.conftest import RLS_QUERIES
from tests.diagnostics.conftest import DeployedModels, stored_files
from tests.diagnostics.media_factory import (
    PANEL_SIZE,
    dashboard_photo,
    image_bytes,
    needs_recordings,
    photo,
    real_recording,
    recording,
    silence_wav,
    symbol_tiles,
    upload,
    wav_bytes,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def _record(user: User, **fields: Any) -> DiagnosticRecord:
    return baker.make(DiagnosticRecord, user=user, **({"diagnostic_type": "dashboard_scan"} | fields))


def _with_result(user: User, urgency: str = "soon", **fields: Any) -> DiagnosticRecord:
    record = _record(user, status="completed", **fields)
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.8, urgency=urgency)
    light = WarningLight.objects.order_by("code").first()
    baker.make(Detection, result=result, warning_light=light, confidence=0.8, box_x0=1, box_y0=1, box_x1=5, box_y1=5)
    return record


def _upload(client: APIClient, capture: Any | None = None, **files: Any) -> dict[str, Any]:
    diagnostic_type = {
        ("image",): "dashboard_scan",
        ("audio",): "engine_sound",
        ("audio", "image"): "combined",
    }[tuple(sorted(files))]
    response = client.post(URL, {"diagnostic_type": diagnostic_type, **files}, format="multipart")
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    return response.json()


# --- Access: anonymous 401, another user 404, on every endpoint ----------------------------------

ENDPOINTS = [
    ("get", "{url}"),
    ("post", "{url}"),
    ("get", "{url}/{id}"),
    ("delete", "{url}/{id}"),
    ("get", "{url}/{id}/results"),
    ("post", "{url}/{id}/analyze"),
    ("get", "{url}/{id}/image"),
    ("get", "{url}/{id}/audio"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_requests_get_401(method: str, path: str, driver: User, api_client: APIClient) -> None:
    record = _record(driver)

    response = getattr(api_client, method)(path.format(url=URL, id=record.pk))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS if "{id}" in e[1]])
def test_another_users_diagnostic_is_404_everywhere(
    method: str,
    path: str,
    driver: User,
    other_driver: User,
    client_for: Callable[[User], APIClient],
    catalog: None,
    private_media: Path,
) -> None:
    record = DiagnosticRecord.objects.get(pk=_upload(client_for(driver), image=photo(), audio=recording())["id"])
    DiagnosticRecord.objects.filter(pk=record.pk).update(status="completed")
    baker.make(DiagnosticResult, record=record, overall_confidence=0.5, urgency="soon")

    response = getattr(client_for(other_driver), method)(path.format(url=URL, id=record.pk))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"
    assert DiagnosticRecord.objects.filter(pk=record.pk, status="completed").exists()
    assert len(stored_files(private_media)) == 2


def test_another_users_diagnostics_are_not_in_the_history(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    mine = _record(driver)
    _record(other_driver)

    response = client_for(driver).get(URL)

    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


# --- History -------------------------------------------------------------------------------------


def test_the_history_is_newest_first_with_cursor_pages(driver: User, client_for: Callable[[User], APIClient]) -> None:
    records = [_record(driver) for _ in range(5)]
    now = timezone.now()
    for age, record in enumerate(records):
        taken = now - timedelta(minutes=age)  # online uploads: taken when received
        DiagnosticRecord.objects.filter(pk=record.pk).update(created_at=taken, captured_at=taken)
    client = client_for(driver)

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == [str(r.pk) for r in records]
    assert first["previous"] is None
    assert third["next"] is None


@pytest.mark.usefixtures("catalog")
def test_the_history_filters(driver: User, client_for: Callable[[User], APIClient]) -> None:
    car = baker.make(Vehicle, user=driver, year=2018)
    now = timezone.now()
    old = _record(driver, diagnostic_type="engine_sound", status="failed")
    DiagnosticRecord.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    urgent = _with_result(driver, urgency="immediate", vehicle=car)
    calm = _with_result(driver, urgency="monitoring")
    pending = _record(driver, diagnostic_type="combined")
    client = client_for(driver)

    def ids(**params: Any) -> set[str]:
        response = client.get(URL, params)
        assert response.status_code == HTTPStatus.OK, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(diagnostic_type="engine_sound") == {str(old.pk)}
    assert ids(status="completed") == {str(urgent.pk), str(calm.pk)}
    assert ids(status="pending") == {str(pending.pk)}
    assert ids(urgency="immediate") == {str(urgent.pk)}
    assert ids(vehicle=str(car.pk)) == {str(urgent.pk)}
    assert ids(created_before=(now - timedelta(days=1)).isoformat()) == {str(old.pk)}
    assert ids(created_after=(now - timedelta(days=1)).isoformat()) == {str(urgent.pk), str(calm.pk), str(pending.pk)}
    assert ids(created_after=(now - timedelta(days=11)).date().isoformat(), urgency="monitoring") == {str(calm.pk)}


@pytest.mark.parametrize(
    ("param", "value"),
    [("status", "stuck"), ("urgency", "panic"), ("vehicle", "car-1"), ("created_after", "last tuesday")],
)
def test_a_bad_filter_is_a_400_naming_it(
    param: str, value: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).get(URL, {param: value})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [param]


@pytest.mark.usefixtures("catalog")
def test_the_history_takes_a_constant_number_of_queries(
    driver: User, client_for: Callable[[User], APIClient], django_assert_max_num_queries: Any
) -> None:
    client = client_for(driver)
    for _ in range(2):
        _with_result(driver)
    with django_assert_max_num_queries(4 + RLS_QUERIES) as small:
        client.get(URL)
    for _ in range(15):
        _with_result(driver)
        _record(driver)

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)

    assert len(response.json()["results"]) == 20
    row = next(r for r in response.json()["results"] if r["result"])
    assert row["result"]["findings"][0]["code"]


# --- Detail and results --------------------------------------------------------------------------


def _model_brief(model: MLModel) -> dict[str, str]:
    return {"id": str(model.pk), "name": model.name, "version": model.version}


@pytest.mark.usefixtures("tasks_sync")
def test_detail_and_results_join_a_light_with_its_catalog_entry_and_tutorials(
    driver: User,
    client_for: Callable[[User], APIClient],
    catalog: None,
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    WarningLight.objects.filter(code="oil_pressure").update(icon="catalog/icons/oil_pressure.png")
    client = client_for(driver)
    # Silence: the engine model runs and hears nothing, so the one finding is the light.
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(
            client,
            image=upload("dashboard.jpg", dashboard_photo("oil_pressure"), "image/jpeg"),
            audio=recording(data=silence_wav()),
        )

    detail = client.get(f"{URL}/{created['id']}").json()
    results = client.get(f"{URL}/{created['id']}/results").json()

    assert detail["status"] == "completed"
    assert detail["result"] == results
    assert results["urgency"] == "immediate"
    assert sorted(results["models"], key=lambda m: m["name"]) == [
        _model_brief(deployed_models.dashboard),
        _model_brief(deployed_models.engine),
    ]
    (light,) = results["detections"]
    assert 0 < light["confidence"] <= 1
    assert results["overall_confidence"] == light["confidence"]
    assert light["entry"]["kind"] == "warning_light"
    assert light["entry"]["code"] == "oil_pressure"
    assert light["entry"]["severity"] == "critical"
    assert light["entry"]["colour"] == "red"
    assert light["entry"]["sound_type"] is None
    assert light["entry"]["icon_url"] == "http://testserver/media/catalog/icons/oil_pressure.png"
    assert light["entry"]["common_causes"] and light["entry"]["repair_suggestions"] and light["entry"]["description"]
    expected = WarningLight.objects.get(code="oil_pressure").tutorials.order_by("title")
    assert [t["title"] for t in light["entry"]["tutorials"]] == [t.title for t in expected]
    assert set(light["entry"]["tutorials"][0]) == {"id", "title", "youtube_url", "difficulty"}
    (x0, y0, x1, y1) = symbol_tiles(1)[0]
    box = light["box"]
    assert 0 <= box["x0"] < box["x1"] <= PANEL_SIZE[0] and 0 <= box["y0"] < box["y1"] <= PANEL_SIZE[1]
    assert x0 < (box["x0"] + box["x1"]) / 2 < x1 and y0 < (box["y0"] + box["y1"]) / 2 < y1
    assert light["span"] is None
    assert light["model"] == _model_brief(deployed_models.dashboard)


@needs_recordings
@pytest.mark.usefixtures("tasks_sync")
def test_results_join_an_engine_sound_with_its_catalog_entry_and_the_span_heard(
    driver: User,
    client_for: Callable[[User], APIClient],
    catalog: None,
    deployed_models: DeployedModels,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(client, audio=recording(data=real_recording("water_pump")))

    results = client.get(f"{URL}/{created['id']}/results").json()

    assert results["urgency"] == "soon"
    assert results["models"] == [_model_brief(deployed_models.engine)]
    (sound,) = results["detections"]
    assert sound["entry"]["kind"] == "engine_sound"
    assert sound["entry"]["code"] == "water_pump"
    assert sound["entry"]["sound_type"] == EngineSound.objects.get(code="water_pump").sound_type
    assert sound["entry"]["colour"] is None
    assert sound["entry"]["icon_url"] is None
    assert sound["entry"]["tutorials"]
    # One second of recording: the span it was heard over lies within it.
    assert 0 <= sound["span"]["start_s"] < sound["span"]["end_s"] <= 1.0
    assert sound["box"] is None
    assert sound["model"] == _model_brief(deployed_models.engine)


@pytest.mark.usefixtures("catalog")
def test_results_take_a_constant_number_of_queries(
    driver: User, client_for: Callable[[User], APIClient], django_assert_max_num_queries: Any
) -> None:
    record = _with_result(driver)
    result = record.result
    baker.make(Detection, result=result, engine_sound=EngineSound.objects.first(), confidence=0.4, start_s=0, end_s=1)
    client = client_for(driver)
    with django_assert_max_num_queries(12 + RLS_QUERIES) as few:
        client.get(f"{URL}/{record.pk}/results")
    for light in WarningLight.objects.all():
        baker.make(Detection, result=result, warning_light=light, confidence=0.5)
    for sound in EngineSound.objects.all():
        baker.make(Detection, result=result, engine_sound=sound, confidence=0.4, start_s=0, end_s=1)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(f"{URL}/{record.pk}/results")
    # The detail also reads the record's sync version, for its ETag: one query more, whatever the findings.
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        client.get(f"{URL}/{record.pk}")

    assert len(response.json()["detections"]) == 2 + WarningLight.objects.count() + EngineSound.objects.count()


@pytest.mark.parametrize(
    ("status", "code"),
    [("pending", "analysis_pending"), ("in_progress", "analysis_pending"), ("failed", "analysis_failed")],
)
def test_results_are_a_409_until_there_is_one(
    status: str, code: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _record(driver, status=status, error_message="The photo could not be read." if status == "failed" else "")

    response = client_for(driver).get(f"{URL}/{record.pk}/results")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == code
    if status == "failed":
        assert response.json()["error"]["message"] == "The photo could not be read."


def test_a_malformed_id_is_a_404(driver: User, client_for: Callable[[User], APIClient]) -> None:
    assert client_for(driver).get(f"{URL}/not-a-uuid").status_code == HTTPStatus.NOT_FOUND


# --- Media ---------------------------------------------------------------------------------------


def test_the_owner_gets_the_photo_with_the_sniffed_type_not_the_claimed_one(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    png = image_bytes((64, 48))
    client = client_for(driver)
    created = _upload(client, image=upload("holiday.jpg", png, "image/jpeg"))

    response = client.get(f"{URL}/{created['id']}/image", HTTP_ACCEPT="image/*")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == png


def test_the_owner_gets_the_recording(driver: User, client_for: Callable[[User], APIClient]) -> None:
    wav = wav_bytes(1.0)
    client = client_for(driver)
    created = _upload(client, audio=upload("engine.m4a", wav, "audio/mp4"))

    response = client.get(f"{URL}/{created['id']}/audio")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "audio/wav"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == wav


def test_media_the_diagnostic_does_not_have_is_a_404(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    created = _upload(client, image=photo())

    response = client.get(f"{URL}/{created['id']}/audio")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_uploads_are_never_under_the_public_media_root_nor_at_a_public_url(
    settings: Any, driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    client = client_for(driver)
    _upload(client, image=photo())

    (stored,) = stored_files(private_media)
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert client.get(DiagnosticRecord.objects.get().image.url).status_code == HTTPStatus.NOT_FOUND


# --- Re-analysis and deletion --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "in_progress"])
def test_reanalysis_is_refused_with_409_while_one_is_running(
    status: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _record(driver, status=status, attempts=1)

    response = client_for(driver).post(f"{URL}/{record.pk}/analyze")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "analysis_running"
    record.refresh_from_db()
    assert (record.status, record.attempts) == (status, 1)


@pytest.mark.usefixtures("catalog")
def test_reanalysis_of_a_failed_diagnostic_queues_it_again(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    record = _record(driver, status="failed", attempts=3, error_message="No model.")

    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(driver).post(f"{URL}/{record.pk}/analyze")

    assert response.status_code == HTTPStatus.ACCEPTED
    assert len(callbacks) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts, record.error_message) == ("pending", 0, "")
    assert record.queued_at is not None


@pytest.mark.usefixtures("catalog")
def test_delete_removes_the_record_its_result_and_its_files_after_commit(
    driver: User,
    client_for: Callable[[User], APIClient],
    private_media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    created = _upload(client, image=photo(), audio=recording())
    record = DiagnosticRecord.objects.get(pk=created["id"])
    DiagnosticRecord.objects.filter(pk=record.pk).update(status="completed")
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.5, urgency="soon")
    baker.make(Detection, result=result, warning_light=WarningLight.objects.first(), confidence=0.5)
    assert len(stored_files(private_media)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{URL}/{record.pk}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not DiagnosticRecord.objects.exists()
    assert not DiagnosticResult.objects.exists()
    assert not Detection.objects.exists()
    assert stored_files(private_media) == []
    assert client.get(f"{URL}/{record.pk}").status_code == HTTPStatus.NOT_FOUND


# --- ?wait ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_sync")
def test_post_with_wait_answers_with_the_completed_result(
    driver: User, client_for: Callable[[User], APIClient], catalog: None, deployed_models: DeployedModels
) -> None:
    photo = upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery"), "image/jpeg")

    response = client_for(driver).post(
        f"{URL}?wait=5", {"diagnostic_type": "dashboard_scan", "image": photo}, format="multipart"
    )

    # Finished within the wait: 201 with the finished record, not 202.
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["status"] == "completed"
    assert body["result"]["urgency"] == "immediate"
    assert {d["entry"]["code"] for d in body["result"]["detections"]} == {"oil_pressure", "battery"}
    assert DiagnosticRecord.objects.get(pk=body["id"]).result.detections.count() == 2


def test_get_with_wait_gives_up_after_n_seconds_and_returns_the_current_state(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _record(driver, status="in_progress")
    started = time.monotonic()

    response = client_for(driver).get(f"{URL}/{record.pk}", {"wait": 1})

    assert 0.9 <= time.monotonic() - started < 5
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "in_progress"


def test_get_with_wait_on_a_finished_diagnostic_answers_at_once(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _record(driver, status="failed")
    started = time.monotonic()

    response = client_for(driver).get(f"{URL}/{record.pk}", {"wait": 30})

    assert time.monotonic() - started < 1
    assert response.json()["status"] == "failed"


@pytest.mark.parametrize("wait", ["31", "-1", "x"])
def test_get_with_a_bad_wait_is_a_400(wait: str, driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = _record(driver)

    response = client_for(driver).get(f"{URL}/{record.pk}", {"wait": wait})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["wait"]
