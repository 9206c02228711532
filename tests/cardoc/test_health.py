"""/health/live and /health/ready, as a load balancer or an orchestrator's probe sees them."""

from __future__ import annotations

import shutil
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cardoc.tasks import enqueue
from mlops.models import MLModel, ModelStatus, ModelType
from tests.worker_process import qcluster_process

pytestmark = pytest.mark.django_db

LIVE, READY = "/health/live", "/health/ready"


@pytest.fixture
def models(settings: Any, tmp_path: Path) -> Path:
    """The bundled models, registered from a private copy that a test may damage."""
    folder = tmp_path / "artifacts"
    shutil.copytree(settings.ML_ARTIFACTS_DIR, folder, ignore=shutil.ignore_patterns("*.png", "*.md"))
    settings.ML_ARTIFACTS_DIR = folder
    call_command("load_models", verbosity=0)
    return folder


@pytest.fixture
def inline_tasks(settings: Any) -> None:
    settings.TASKS_SYNC = True  # the worker check then has nothing to wait for


def checks(response: Any) -> dict[str, dict[str, Any]]:
    return response.json()["checks"]


def test_live_answers_a_probe_by_ip_over_plain_http(client: Client, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["cardoc.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(LIVE, HTTP_HOST="10.1.2.3")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    # The same request to any other page is still held to the host list and the HTTPS redirect.
    assert client.get("/api/v1/warning-lights", HTTP_HOST="10.1.2.3").status_code == HTTPStatus.BAD_REQUEST
    assert client.get("/api/v1/warning-lights", HTTP_HOST="cardoc.example").status_code == HTTPStatus.MOVED_PERMANENTLY


@pytest.mark.usefixtures("models", "inline_tasks")
def test_ready_is_200_when_every_check_passes(client: Client, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["cardoc.example"]
    response = client.get(READY, HTTP_HOST="10.1.2.3")
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "worker", "queue", "disk", "mlops"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("inline_tasks")
def test_ready_is_503_until_the_models_are_registered(client: Client, settings: Any, tmp_path: Path) -> None:
    response = client.get(READY)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"].isdigit()
    assert checks(response)["mlops"] == {
        "ok": False,
        "detail": "no active dashboard model; no active engine_sound model",
    }
    call_command("load_models", verbosity=0)
    assert client.get(READY).status_code == HTTPStatus.OK


@pytest.mark.usefixtures("inline_tasks")
def test_a_tampered_active_model_makes_it_not_ready(client: Client, models: Path) -> None:
    active = MLModel.objects.get(model_type=ModelType.AUDIO_CLASSIFICATION, status=ModelStatus.ACTIVE)
    weights = Path(active.artifact_path) / "weights.pt"
    assert weights.is_relative_to(models)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    response = client.get(READY)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    mlops = checks(response)["mlops"]
    assert mlops == {"ok": False, "detail": f"{active.name} {active.version} fails its integrity check"}
    # The detail names the model, never a path or a checksum.
    assert str(models) not in response.content.decode()


@pytest.mark.usefixtures("models")
def test_a_deep_queue_or_a_full_disk_makes_it_not_ready(client: Client, settings: Any) -> None:
    settings.TASKS_SYNC = False
    settings.HEALTH_MAX_QUEUE = 0
    enqueue("cardoc.tasks.enqueue")  # never run: no worker here, so it only waits in the queue
    queue = checks(client.get(READY))["queue"]
    assert queue == {"ok": False, "detail": "1 tasks waiting (limit 0)"}

    settings.HEALTH_MIN_FREE_MB = 10**9
    disk = checks(client.get(READY))["disk"]
    assert not disk["ok"]
    assert "MB free for uploads" in disk["detail"]


@pytest.mark.usefixtures("models", "inline_tasks")
def test_a_database_outage_is_503_and_skips_what_needs_it(client: Client) -> None:
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-folder/cardoc.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        response = client.get(READY)
        live = client.get(LIVE)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = checks(response)
    assert body["database"] == {"ok": False, "detail": "the database did not answer"}
    assert body["mlops"]["detail"] == "skipped: the database is unavailable"
    assert body["disk"]["ok"]
    assert live.status_code == HTTPStatus.OK


def test_probes_take_only_get(client: Client) -> None:
    response = client.post(LIVE)
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_ready_follows_a_real_worker_starting_and_stopping(client: Client, settings: Any, tmp_path: Path) -> None:
    settings.TASKS_SYNC = False
    call_command("load_models", verbosity=0)
    assert checks(client.get(READY))["worker"] == {
        "ok": False,
        "detail": "no worker has reported within the last minute",
    }

    def wait_for(ok: bool) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            worker = checks(client.get(READY))["worker"]
            if worker["ok"] is ok:
                return worker
            time.sleep(0.5)
        raise AssertionError(f"the worker check never became {ok}")

    with qcluster_process(var_dir=tmp_path, log_file=tmp_path / "qcluster.log"):
        assert wait_for(True)["detail"] == "1 cluster(s)"
        assert client.get(READY).status_code == HTTPStatus.OK
    assert not wait_for(False)["ok"]
    assert client.get(READY).status_code == HTTPStatus.SERVICE_UNAVAILABLE
