"""``/metrics`` for Prometheus: django-prometheus's request and database metrics, plus the app's own.

django-prometheus measures what happens in this process: request latency by view (its middlewares) and
database time (its database backends, see ``DATABASES`` in settings). The rest lives in the database, shared
by every web and worker process, so it is read there at scrape time by collectors the apps register on
``cardoc.hooks.metric_collectors``: the queue (here), diagnostic outcomes (diagnostics), inference latency
and the share of ``unknown`` by model version (mlops).

Like the health probes, the endpoint is answered by a middleware at the top of the stack, so a scraper can
come by IP over plain HTTP. It is protected: a request needs ``Authorization: Bearer <METRICS_TOKEN>`` or a
peer address in ``METRICS_ALLOWED_IPS`` (the direct peer, never X-Forwarded-For); with neither set, nobody
may read it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import cache
from http import HTTPStatus

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_q.brokers import get_broker
from django_q.models import OrmQ
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from cardoc import hooks, rls
from cardoc.exceptions import error_body

METRICS_PATH = "/metrics"
logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def may_read(request: HttpRequest) -> bool:
    """The bearer token, or a peer address on the allow-list."""
    token = settings.METRICS_TOKEN
    if token and constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in _allowed_networks(tuple(settings.METRICS_ALLOWED_IPS)))


def queue_metrics() -> Iterator[GaugeMetricFamily]:
    """Tasks waiting in the django-q2 broker and, with the database broker, how long the oldest has waited."""
    broker = get_broker()
    yield GaugeMetricFamily("cardoc_queue_depth", "Tasks waiting in the queue.", value=broker.queue_size())
    if "orm" in settings.Q_CLUSTER:
        # django-q2's ORM broker stamps a waiting task's lock `retry` seconds in the past, so it is free at once;
        # a task being worked on has a fresh lock. So the waiting ones are those whose lock is that old.
        retry = timedelta(seconds=int(settings.Q_CLUSTER.get("retry", 60)))  # type: ignore[call-overload]
        now = timezone.now()
        oldest = OrmQ.objects.filter(lock__lte=now - retry).aggregate(oldest=Min("lock"))["oldest"]
        age = (now - (oldest + retry)).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "cardoc_queue_oldest_age_seconds", "How long the oldest waiting task has waited.", value=max(0.0, age)
        )


class AppCollector(Collector):
    """Everything read from the database at scrape time: the queue, then each app's collectors."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        sources: list[Callable[[], Iterable[GaugeMetricFamily]]] = [queue_metrics, *hooks.metric_collectors]
        families: list[GaugeMetricFamily] = []
        with rls.bypass_for_counts():
            for source in sources:
                try:
                    families.extend(source())
                except DatabaseError:
                    # One failing source must not cost the scrape the others (or the request metrics).
                    logger.warning("metrics: %s could not read the database", source.__module__)
        return families


def exposition() -> bytes:
    """This process's metrics (or every process's, in gunicorn's multiprocess mode), then the app's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)  # type: ignore[no-untyped-call]
    else:
        process_registry = REGISTRY
    app_registry = CollectorRegistry(auto_describe=False)
    app_registry.register(AppCollector())
    return generate_latest(process_registry) + generate_latest(app_registry)


class MetricsMiddleware:
    """Answers ``/metrics`` near the top, so neither ALLOWED_HOSTS nor the HTTPS redirect stands in the way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != METRICS_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse(error_body("method_not_allowed", "Use GET."), status=HTTPStatus.METHOD_NOT_ALLOWED)
        if not may_read(request):
            body = error_body("forbidden", "Send the metrics token, or scrape from an allowed address.")
            return JsonResponse(body, status=HTTPStatus.FORBIDDEN)
        response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
