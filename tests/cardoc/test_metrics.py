"""/metrics as Prometheus scrapes it: protected by a token or an address list, and what it reports."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from model_bakery import baker

from accounts.models import User
from cardoc.tasks import enqueue
from diagnostics.models import DiagnosticRecord, DiagnosticStatus
from mlops.models import MLModel, ModelType, Prediction

pytestmark = pytest.mark.django_db

METRICS = "/metrics"
TOKEN = "scrape-me-" + "x" * 30


@pytest.fixture
def token(settings: Any) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client, **extra: Any) -> str:
    response = client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def value(text: str, name: str, default: float | None = None, **labels: str) -> float:
    """The sample ``name{labels}`` in the exposition text (labels in any order, others allowed)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{key}="{wanted}"' in (match.group(1) or "") for key, wanted in labels.items()):
            return float(match.group(2))
    if default is not None:
        return default
    raise AssertionError(f"{name}{labels} not in the metrics")


def test_nobody_may_read_it_until_a_token_or_an_address_is_configured(client: Client) -> None:
    response = client.get(METRICS)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.usefixtures("token")
def test_it_needs_the_exact_token(client: Client) -> None:
    assert client.get(METRICS).status_code == HTTPStatus.FORBIDDEN
    assert client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == HTTPStatus.FORBIDDEN
    assert client.get(METRICS, HTTP_AUTHORIZATION=TOKEN).status_code == HTTPStatus.FORBIDDEN
    assert client.get(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == HTTPStatus.OK


def test_an_allowed_network_may_read_it_without_a_token(client: Client, settings: Any) -> None:
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "192.168.1.7"]
    assert client.get(METRICS, REMOTE_ADDR="10.20.30.40").status_code == HTTPStatus.OK
    assert client.get(METRICS, REMOTE_ADDR="192.168.1.7").status_code == HTTPStatus.OK
    assert client.get(METRICS, REMOTE_ADDR="192.168.1.8").status_code == HTTPStatus.FORBIDDEN
    # A forwarded address is the client's word, not the peer's: it never opens the door.
    spoofed = client.get(METRICS, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert spoofed.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.usefixtures("token")
def test_a_scraper_by_ip_over_plain_http_is_answered(client: Client, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["cardoc.example"]
    settings.SECURE_SSL_REDIRECT = True
    assert "cardoc_queue_depth" in scrape(client, HTTP_HOST="10.1.2.3")


@pytest.mark.usefixtures("token")
def test_it_takes_only_get(client: Client) -> None:
    response = client.post(METRICS, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.usefixtures("token")
def test_it_reports_request_latency_by_view_and_database_time(client: Client) -> None:
    # The counters live for the whole process, so the test compares two scrapes around one request.
    view = {"view": "api:warning-light-list", "method": "GET"}

    def figures() -> tuple[float, float]:
        text = scrape(client)
        requests = value(text, "django_http_requests_latency_seconds_by_view_method_count", default=0, **view)
        return requests, value(text, "django_db_execute_total", default=0, alias="default")

    requests_before, queries_before = figures()
    assert client.get("/api/v1/warning-lights").status_code == HTTPStatus.OK
    requests_after, queries_after = figures()
    assert requests_after == requests_before + 1
    assert queries_after > queries_before
    assert "django_db_query_duration_seconds_bucket" in scrape(client)


@pytest.mark.usefixtures("token")
def test_it_reports_the_queue_and_diagnostic_outcomes(client: Client, driver: User, settings: Any) -> None:
    settings.TASKS_SYNC = False
    enqueue("cardoc.tasks.enqueue")  # no worker here: it only waits
    now = timezone.now()
    baker.make(DiagnosticRecord, user=driver, status=DiagnosticStatus.COMPLETED, started_at=now, _quantity=3)
    baker.make(DiagnosticRecord, user=driver, status=DiagnosticStatus.FAILED, started_at=now)
    baker.make(DiagnosticRecord, user=driver, status=DiagnosticStatus.COMPLETED, started_at=now - timedelta(hours=2))
    baker.make(DiagnosticRecord, user=driver, status=DiagnosticStatus.PENDING, queued_at=now - timedelta(minutes=5))

    text = scrape(client)
    assert value(text, "cardoc_queue_depth") == 1
    if "orm" in settings.Q_CLUSTER:  # Redis keeps no enqueue time for the age
        assert 0 <= value(text, "cardoc_queue_oldest_age_seconds") < 60
    assert value(text, "cardoc_diagnostics_last_hour", status="completed") == 3
    assert value(text, "cardoc_diagnostics_last_hour", status="failed") == 1
    assert value(text, "cardoc_diagnostics_last_hour", status="in_progress") == 0
    assert value(text, "cardoc_diagnostics_pending") == 1
    assert 290 <= value(text, "cardoc_diagnostics_pending_oldest_age_seconds") < 400


@pytest.mark.usefixtures("token")
def test_it_reports_inference_latency_and_unknowns_by_model_version(client: Client) -> None:
    old, new = (
        baker.make(MLModel, name="dashboard", version=version, model_type=ModelType.OBJECT_DETECTION)
        for version in ("1.0.0", "1.1.0")
    )
    for latency, unknown in ((100.0, False), (200.0, True), (300.0, False), (400.0, True)):
        Prediction.objects.create(ml_model=new, latency_ms=latency, is_unknown=unknown)
    stale = Prediction.objects.create(ml_model=old, latency_ms=5000.0)
    Prediction.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(hours=1))

    text = scrape(client)
    labels = {"model": "dashboard", "version": "1.1.0"}
    assert value(text, "cardoc_inference_predictions", **labels) == 4
    assert value(text, "cardoc_inference_unknown_ratio", **labels) == 0.5
    assert value(text, "cardoc_inference_latency_seconds", **labels, quantile="0.5") in (0.2, 0.3)
    assert value(text, "cardoc_inference_latency_seconds", **labels, quantile="0.95") == 0.4
    # Outside the window, the old version has nothing to report.
    assert 'version="1.0.0"' not in text
