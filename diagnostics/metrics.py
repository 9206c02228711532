"""Diagnostics' part of ``/metrics`` (registered on ``cardoc.hooks.metric_collectors``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from diagnostics.models import DiagnosticRecord, DiagnosticStatus

# Outcomes are counted over a recent window, which the (status, started_at) index answers at any table size.
WINDOW = timedelta(hours=1)


def diagnostic_metrics() -> Iterator[GaugeMetricFamily]:
    now = timezone.now()
    outcomes = GaugeMetricFamily(
        "cardoc_diagnostics_last_hour",
        "Diagnostics whose analysis started in the last hour, by their status now.",
        labels=["status"],
    )
    counted = dict.fromkeys(DiagnosticStatus.values, 0)
    started = (
        DiagnosticRecord.objects.filter(status__in=DiagnosticStatus.values, started_at__gte=now - WINDOW)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in started:
        counted[row["status"]] = row["n"]
    for status, n in counted.items():
        outcomes.add_metric([status], n)
    yield outcomes

    waiting = (
        DiagnosticRecord.objects.filter(status=DiagnosticStatus.PENDING)
        .order_by()
        .aggregate(n=Count("id"), oldest=Min("queued_at"))
    )
    yield GaugeMetricFamily("cardoc_diagnostics_pending", "Diagnostics waiting for their analysis.", value=waiting["n"])
    oldest = waiting["oldest"]
    yield GaugeMetricFamily(
        "cardoc_diagnostics_pending_oldest_age_seconds",
        "How long the longest-waiting diagnostic has waited since it was queued.",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
