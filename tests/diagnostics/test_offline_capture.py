"""Offline diagnostics: the capture time a phone sends, the setting that bounds it, and the history by it."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AppSetting
from diagnostics.models import DiagnosticRecord
from tests.diagnostics.media_factory import photo

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
MAX_AGE = "offline_capture_max_age_days"


def upload(client: APIClient, **fields: object) -> object:
    return client.post(URL, {"diagnostic_type": "dashboard_scan", "image": photo(), **fields}, format="multipart")


def test_an_upload_keeps_when_the_photo_was_taken(driver: User, client_for: Callable[[User], APIClient]) -> None:
    taken = timezone.now() - timedelta(days=3)

    response = upload(client_for(driver), captured_at=taken.isoformat())

    assert response.status_code in (HTTPStatus.ACCEPTED, HTTPStatus.CREATED)
    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    assert abs(record.captured_at - taken) < timedelta(seconds=1)
    assert response.json()["captured_at"].startswith(taken.strftime("%Y-%m-%dT%H:%M"))


def test_without_a_capture_time_it_is_the_upload_time(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = upload(client_for(driver))

    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    assert abs(record.captured_at - record.created_at) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (timedelta(hours=1), "The capture time is in the future; check the phone's clock."),
        (timedelta(days=-31), "The capture time is more than 30 days ago."),
    ],
)
def test_a_capture_time_in_the_future_or_too_old_is_refused(
    driver: User, client_for: Callable[[User], APIClient], offset: timedelta, message: str
) -> None:
    response = upload(client_for(driver), captured_at=(timezone.now() + offset).isoformat())

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"captured_at": [message]}
    assert not DiagnosticRecord.objects.exists()


def test_staff_widen_the_offline_window_in_the_admin_and_the_upload_follows(
    driver: User, staff: User, client_for: Callable[[User], APIClient], client: Client
) -> None:
    old = (timezone.now() - timedelta(days=40)).isoformat()
    assert upload(client_for(driver), captured_at=old).status_code == HTTPStatus.BAD_REQUEST
    # The row the migration made (made again here: a transactional test elsewhere in the run flushes it).
    importlib.import_module("diagnostics.migrations.0009_offline_capture_time_and_setting").create_setting(apps, None)
    setting = AppSetting.objects.get(key=MAX_AGE)
    client.force_login(staff)

    changed = client.post(
        f"/admin/cardoc/appsetting/{setting.pk}/change/",
        {
            "key": MAX_AGE,
            "value": "60",
            "data_type": "integer",
            "description": setting.description,
            "category": "diagnostics",
            "is_public": "on",
        },
    )

    assert changed.status_code == HTTPStatus.FOUND, changed.content.decode()[:2000]
    assert AppSetting.objects.get(key=MAX_AGE).value == 60
    assert upload(client_for(driver), captured_at=old).status_code in (HTTPStatus.ACCEPTED, HTTPStatus.CREATED)


def test_the_history_sorts_and_filters_by_capture_time(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    now = timezone.now()
    # Uploaded in this order, but taken in another: the offline one (two days ago) was uploaded last.
    recent = upload(client, captured_at=(now - timedelta(hours=1)).isoformat()).json()["id"]
    offline = upload(client, captured_at=(now - timedelta(days=2)).isoformat()).json()["id"]

    history = client.get(URL).json()["results"]
    window = client.get(URL, {"captured_before": (now - timedelta(days=1)).isoformat()}).json()["results"]

    assert [row["id"] for row in history] == [recent, offline]
    assert [row["id"] for row in window] == [offline]


def test_a_client_ref_reused_for_another_upload_is_a_409(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    ref = str(uuid.uuid4())
    first = upload(client, client_ref=ref)

    again = upload(client, client_ref=ref)
    other = client.post(
        URL,
        {"diagnostic_type": "combined", "image": photo(), "client_ref": ref},
        format="multipart",
    )

    assert again.status_code == HTTPStatus.OK
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == HTTPStatus.CONFLICT
    assert other.json()["error"]["code"] == "client_ref_conflict"
    assert DiagnosticRecord.objects.filter(user=driver).count() == 1
