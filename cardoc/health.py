"""Health probes for load balancers and orchestrators: ``/health/live`` and ``/health/ready``.

They are answered by a middleware at the top of the stack, before host validation and the HTTPS redirect,
because probes come by IP over plain HTTP from inside the network. They reveal nothing secret: each check
says only whether it passed and, if not, why in a few words.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_q.brokers import get_broker
from django_q.status import Stat

from cardoc import hooks
from cardoc.exceptions import error_body

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str = ""


# Migrations only move forward on a running system, so once they are seen applied the check stops asking.
_migrations_applied = False


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(True)


def migrations() -> Check:
    global _migrations_applied  # a per-process memo, see above
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return Check(False, f"{len(pending)} migration(s) not applied")
        _migrations_applied = True
    return Check(True)


def worker() -> Check:
    # A running cluster re-saves its status every few seconds with a 3 s expiry (django-q2's Stat), so any
    # status found means a heartbeat within seconds. It needs a cache all processes share: the default one.
    if settings.TASKS_SYNC:
        return Check(True, "tasks run inline")
    clusters = Stat.get_all(broker=get_broker())
    if not clusters:
        return Check(False, "no worker has reported within the last minute")
    return Check(True, f"{len(clusters)} cluster(s)")


def queue() -> Check:
    depth = get_broker().queue_size()
    if depth > settings.HEALTH_MAX_QUEUE:
        return Check(False, f"{depth} tasks waiting (limit {settings.HEALTH_MAX_QUEUE})")
    return Check(True, f"{depth} waiting")


def disk() -> Check:
    folder = settings.PRIVATE_MEDIA_ROOT
    folder.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(folder).free // 2**20
    if free_mb < settings.HEALTH_MIN_FREE_MB:
        return Check(False, f"{free_mb} MB free for uploads (minimum {settings.HEALTH_MIN_FREE_MB})")
    return Check(True, f"{free_mb} MB free")


CORE_CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "migrations": migrations,
    "worker": worker,
    "queue": queue,
    "disk": disk,
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check (ours, then the apps' own ``hooks.readiness_checks``); a failing one never hides the rest."""
    checks = dict(CORE_CHECKS)
    for check in hooks.readiness_checks:
        checks[check.__module__.split(".")[0]] = check  # named after its app: "mlops"
    report: dict[str, dict[str, object]] = {}
    for name, check in checks.items():
        if name not in ("database", "disk") and not report["database"]["ok"]:
            report[name] = {"ok": False, "detail": "skipped: the database is unavailable"}
            continue
        try:
            result = check()
        except DatabaseError:
            result = Check(False, "the database did not answer")
        report[name] = {"ok": result.ok, "detail": result.detail} if result.detail else {"ok": result.ok}
    return all(item["ok"] for item in report.values()), report


class HealthCheckMiddleware:
    """Answers the probes first, so neither ALLOWED_HOSTS nor the HTTPS redirect stands in their way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == LIVE_PATH:
            return self._answer(request, True, {})
        if request.path == READY_PATH:
            ok, report = readiness()
            return self._answer(request, ok, report)
        return self.get_response(request)

    @staticmethod
    def _answer(request: HttpRequest, ok: bool, checks: dict[str, dict[str, object]]) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return JsonResponse(error_body("method_not_allowed", "Use GET."), status=HTTPStatus.METHOD_NOT_ALLOWED)
        body: dict[str, object] = {"status": "ok" if ok else "unavailable"}
        if checks:
            body["checks"] = checks
        response = JsonResponse(body, status=HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE)
        response["Cache-Control"] = "no-store"
        if not ok:
            response["Retry-After"] = "10"
            # The body says what failed; a probe every few seconds must not also fill the error log.
            response._has_been_logged = True  # type: ignore[attr-defined]
        return response
