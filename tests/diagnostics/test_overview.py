"""The staff console's front page: today's diagnostics, this week's findings and the serving models."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult, DiagnosticStatus, Urgency
from mlops.models import MLModel, ModelStatus, ModelType, Prediction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]

INDEX = reverse("admin:index")


def _model(name: str, model_type: str, status: str, share: float = 0.0) -> MLModel:
    return baker.make(
        MLModel,
        name=name,
        version="v1",
        model_type=model_type,
        status=status,
        traffic_share=share,
        sha256="a" * 64,
        size_bytes=1,
        metrics={},
    )


def _diagnostic(
    user: User, status: str, *, urgency: str | None = None, found: list[Any] = (), days_ago: int = 0
) -> DiagnosticRecord:
    record = baker.make(DiagnosticRecord, user=user, diagnostic_type="dashboard_scan", status=status)
    if days_ago:
        DiagnosticRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    if urgency is not None:
        result = baker.make(DiagnosticResult, record=record, urgency=urgency, overall_confidence=0.9)
        for entry in found:
            field = "warning_light" if isinstance(entry, WarningLight) else "engine_sound"
            baker.make(Detection, result=result, confidence=0.9, **{field: entry})
    return record


def _predictions(model: MLModel, latencies: list[float], *, confidence: float, unknown: int = 0) -> None:
    Prediction.objects.bulk_create(
        Prediction(ml_model=model, latency_ms=ms, confidence=confidence, is_unknown=i < unknown, top_code="x")
        for i, ms in enumerate(latencies)
    )


@pytest.fixture
def a_day(driver: User) -> dict[str, Any]:
    oil = WarningLight.objects.get(code="oil_pressure")
    battery = WarningLight.objects.get(code="battery")
    pump = EngineSound.objects.get(code="water_pump")
    for _ in range(3):
        _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.IMMEDIATE, found=[oil])
    _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.SOON, found=[battery, oil])
    _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.MONITORING, found=[])  # nothing recognised
    _diagnostic(driver, DiagnosticStatus.FAILED)
    _diagnostic(driver, DiagnosticStatus.PENDING)
    _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.SOON, found=[pump], days_ago=3)
    _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.SOON, found=[pump, pump], days_ago=9)
    dashboard = _model("dashboard-recognizer", ModelType.IMAGE_CLASSIFICATION, ModelStatus.ACTIVE)
    challenger = _model("dashboard-challenger", ModelType.IMAGE_CLASSIFICATION, ModelStatus.TESTING, share=0.25)
    retired = _model("dashboard-old", ModelType.IMAGE_CLASSIFICATION, ModelStatus.DEPRECATED)
    _predictions(dashboard, [float(ms) for ms in range(1, 101)], confidence=0.8, unknown=10)
    _predictions(challenger, [5.0, 7.0, 9.0], confidence=0.5)
    _predictions(retired, [1.0] * 6, confidence=0.9)  # served earlier this week, before the deploy
    engine = _model("engine-sound-classifier", ModelType.AUDIO_CLASSIFICATION, ModelStatus.ACTIVE)
    return {"dashboard": dashboard, "challenger": challenger, "retired": retired, "engine": engine}


def _figure(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</div>", start)]


def test_it_shows_todays_diagnostics_failure_rate_and_unknown_share(
    client: Client, staff: User, a_day: dict[str, Any]
) -> None:
    client.force_login(staff)
    response = client.get(INDEX)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()

    assert ">7</a>" in _figure(page, "console-today-total")  # the 3- and 9-day-old ones are not today's
    # 1 failed of 6 finished (5 completed + 1 failed); the pending one is not finished yet.
    assert ">17%</a>" in _figure(page, "console-failure-rate")
    assert "1 of 6 finished" in _figure(page, "console-failure-rate")
    # 1 of the 5 completed found nothing.
    assert ">20%<" in _figure(page, "console-unknown-share")
    assert "Completed: 5 (71%)" in page  # the status chart's tooltip
    assert "Immediate: 3 (43%)" in page
    assert "No result: 2 (29%)" in page  # failed and pending


def test_the_figures_link_to_the_diagnostics_they_count(client: Client, staff: User, a_day: dict[str, Any]) -> None:
    client.force_login(staff)
    page = client.get(INDEX).content.decode()
    today = re.search(r'id="console-today-total">\s*<span class="console-figure-value"><a href="([^"]+)"', page)
    failed = re.search(r'id="console-failure-rate">\s*<span class="console-figure-value"><a href="([^"]+)"', page)
    assert today and failed

    listed_today = client.get(html.unescape(today.group(1)))
    listed_failed = client.get(html.unescape(failed.group(1)))

    assert listed_today.status_code == listed_failed.status_code == HTTPStatus.OK
    assert "7 diagnostic records" in listed_today.content.decode()
    assert "1 diagnostic record" in listed_failed.content.decode()


def test_it_ranks_this_weeks_findings(client: Client, staff: User, a_day: dict[str, Any]) -> None:
    client.force_login(staff)
    page = client.get(INDEX).content.decode()
    findings = page[page.index('class="console-findings"') :]
    oil = WarningLight.objects.get(code="oil_pressure")
    pump = EngineSound.objects.get(code="water_pump")

    assert findings.index("oil_pressure</code>: 4") < findings.index("battery</code>: 1")
    # Three days old counts this week; nine days old does not (or it would read 3).
    assert "water_pump</code>: 1" in findings
    assert reverse("admin:catalog_warninglight_change", args=[oil.pk]) in findings
    assert reverse("admin:catalog_enginesound_change", args=[pump.pk]) in findings


def test_it_shows_each_serving_models_live_figures(client: Client, staff: User, a_day: dict[str, Any]) -> None:
    client.force_login(staff)
    page = client.get(INDEX).content.decode()
    table = page[page.index('id="console-models"') : page.index("</table>", page.index('id="console-models"'))]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 3  # the deprecated model no longer serves
    active = next(r for r in rows if "dashboard-recognizer" in r)
    challenger = next(r for r in rows if "dashboard-challenger" in r)
    engine = next(r for r in rows if "engine-sound-classifier" in r)

    # 100 of the 103 predictions the serving dashboard models made; 10 unknown; p95 by nearest rank of 1..100.
    assert "all traffic not routed to a testing model" in active
    assert "<td>100</td>" in active
    assert "<td>97%</td>" in active
    assert "<td>0.80</td>" in active
    assert "<td>95.0 ms</td>" in active
    assert "<td>10%</td>" in active
    assert "no feedback yet" in active
    assert "25% of its type&#x27;s requests (A/B test)" in challenger
    assert "<td>3%</td>" in challenger
    assert "<td>0.50</td>" in challenger
    assert "<td>9.0 ms</td>" in challenger
    # A model that served nothing yet shows dashes, not zeros.
    assert "<td>0</td><td>—</td><td>—</td><td>—</td><td>—</td>" in engine.replace("\n", "").replace(" ", "")


def test_the_page_makes_as_many_queries_with_many_rows_as_with_few(
    client: Client, staff: User, driver: User, a_day: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(staff)
    with CaptureQueriesContext(connection) as few:
        client.get(INDEX)
    light = WarningLight.objects.get(code="seatbelt")
    for _ in range(30):
        _diagnostic(driver, DiagnosticStatus.COMPLETED, urgency=Urgency.SOON, found=[light])
        _diagnostic(driver, DiagnosticStatus.FAILED)
    _predictions(a_day["dashboard"], [3.0] * 500, confidence=0.7)
    _predictions(a_day["engine"], [2.0] * 50, confidence=0.6)

    with django_assert_max_num_queries(len(few)):
        page = client.get(INDEX).content.decode()
    assert ">67</a>" in _figure(page, "console-today-total")


def test_staff_without_the_view_permission_see_no_figures(client: Client, a_day: dict[str, Any]) -> None:
    clerk = baker.make(User, email="clerk@example.com", is_staff=True)
    client.force_login(clerk)
    response = client.get(INDEX)
    assert response.status_code == HTTPStatus.OK
    assert "console-overview" not in response.content.decode()


def test_an_empty_day_reads_as_such(client: Client, staff: User) -> None:
    client.force_login(staff)
    page = client.get(INDEX).content.decode()
    assert ">0</a>" in _figure(page, "console-today-total")
    assert "—" in _figure(page, "console-failure-rate")
    assert "No model is serving" in page
