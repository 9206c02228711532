"""mlops' part of ``/metrics``: inference latency and the share of ``unknown``, by model version.

Inference runs in the worker processes, which nobody scrapes; the ``Prediction`` log they write is shared,
so the figures are read from it over a recent window (index ``prediction_model_time_idx``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from mlops.models import MLModel, Prediction

WINDOW = timedelta(minutes=15)
# Percentiles read the newest predictions' latencies; this bounds the rows one scrape reads per model.
SAMPLE = 2000


def inference_metrics() -> Iterator[GaugeMetricFamily]:
    labels = ["model", "version"]
    served = GaugeMetricFamily(
        "cardoc_inference_predictions", f"Predictions served in the last {WINDOW.seconds // 60} minutes.", labels=labels
    )
    latency = GaugeMetricFamily(
        "cardoc_inference_latency_seconds",
        f"Inference latency over the last {WINDOW.seconds // 60} minutes, by quantile.",
        labels=[*labels, "quantile"],
    )
    unknown = GaugeMetricFamily(
        "cardoc_inference_unknown_ratio",
        f"Share of predictions that answered unknown in the last {WINDOW.seconds // 60} minutes.",
        labels=labels,
    )
    since = timezone.now() - WINDOW
    recent = MLModel.objects.filter(predictions__created_at__gte=since).distinct().order_by("name", "version")
    for model in recent:
        figures = Prediction.objects.filter(ml_model=model, created_at__gte=since).live_figures(sample=SAMPLE)
        names = [model.name, model.version]
        served.add_metric(names, figures["predictions"] or 0)
        for quantile, key in (("0.5", "latency_p50_ms"), ("0.95", "latency_p95_ms")):
            if figures[key] is not None:
                latency.add_metric([*names, quantile], float(figures[key] or 0) / 1000)
        if figures["unknown_share"] is not None:
            unknown.add_metric(names, float(figures["unknown_share"]))
    yield served
    yield latency
    yield unknown
