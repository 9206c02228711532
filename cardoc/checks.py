"""System checks run at start-up (``manage.py check``, runserver, the worker): settings that contradict."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_task_timeouts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A task must time out before django-q2 retries it and before the stuck-sweep takes it over.

    Otherwise a slow but live run is delivered a second time (retry) or declared dead (sweep) while it
    still works, and two runs race for one diagnostic.
    """
    cluster = settings.Q_CLUSTER
    timeout, retry = int(cluster.get("timeout") or 0), int(cluster.get("retry") or 0)
    stuck_after = settings.DIAGNOSTIC_STUCK_AFTER.total_seconds()
    errors = []
    if timeout and retry and timeout >= retry:
        errors.append(
            checks.Error(
                f"Q_TIMEOUT ({timeout} s) must be shorter than Q_RETRY ({retry} s).",
                hint="A task still running when it is retried runs twice; raise Q_RETRY or lower Q_TIMEOUT.",
                id="cardoc.E001",
            )
        )
    if timeout and timeout >= stuck_after:
        errors.append(
            checks.Error(
                f"Q_TIMEOUT ({timeout} s) must be shorter than DIAGNOSTIC_STUCK_AFTER ({int(stuck_after)} s).",
                hint="The sweep would re-queue analyses that are still running.",
                id="cardoc.E002",
            )
        )
    return errors
