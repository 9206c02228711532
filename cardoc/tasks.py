from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_q.tasks import async_task

from cardoc import rls
from cardoc.services import audit_prune
from cardoc.sync import tombstones_prune


def enqueue(func_path: str, *args: object, **options: object) -> str | object:
    """Queue a django-q2 task by dotted path; run it inline when ``TASKS_SYNC`` is on (tests, demos).

    django-q2 freezes its own ``sync`` flag at import, so the per-call flag is what lets a test's
    ``settings.TASKS_SYNC = True`` take effect.
    """
    return async_task(func_path, *args, sync=settings.TASKS_SYNC, **options)


def prune_audit_events() -> int:
    """Scheduled daily (setup_schedules): drop audit events past AUDIT_RETENTION_DAYS."""
    with rls.bypass(reason="prune_audit_events"):
        return audit_prune(older_than=timedelta(days=settings.AUDIT_RETENTION_DAYS))


def prune_sync_tombstones() -> int:
    """Scheduled daily (setup_schedules): drop change-feed tombstones past SYNC_TOMBSTONE_RETENTION_DAYS."""
    with rls.bypass(reason="prune_sync_tombstones"):
        return tombstones_prune(older_than=timedelta(days=settings.SYNC_TOMBSTONE_RETENTION_DAYS))
