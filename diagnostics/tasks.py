"""django-q2 entry points for diagnostics: each takes ids and calls one service."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django_q.conf import Conf
from django_q.models import OrmQ

from cardoc import rls
from diagnostics.services import ANALYZE_TASK, diagnostic_analyze, diagnostic_sweep_stuck, orphan_media_prune


def analyze_diagnostic(record_id: str) -> str:
    """Analyse one diagnostic; returns the status it was left in, or "skipped" when another run owns it."""
    with rls.bypass(reason="analyze_diagnostic"):
        record = diagnostic_analyze(record_id=record_id)
    return record.status if record is not None else "skipped"


def sweep_stuck_diagnostics() -> dict[str, int]:
    """The periodic sweep (see diagnostics.schedules): re-queue or fail what a dead worker left behind."""
    with rls.bypass(reason="sweep_stuck_diagnostics"):
        return asdict(diagnostic_sweep_stuck(queued_ids=queued_analysis_ids()))


def queued_analysis_ids() -> set[str] | None:
    """Ids of the diagnostics whose analysis task still waits in (or is being run from) the queue.

    Only the database broker can be read back; for any other broker this returns None ("unknown").
    """
    if not Conf.ORM:
        return None
    ids: set[str] = set()
    for queued in OrmQ.objects.using(Conf.ORM).filter(key=Conf.CLUSTER_NAME).only("payload"):
        task = queued.task
        if task.get("func") == ANALYZE_TASK and task.get("args"):
            ids.add(str(task["args"][0]))
    return ids


def prune_orphan_media() -> int:
    """Scheduled daily (setup_schedules): remove stored photos and recordings no diagnostic points to."""
    # Every driver's rows: under row-level security an unscoped worker would see none and call all orphans.
    with rls.bypass(reason="prune_orphan_media"):
        return orphan_media_prune(grace=timedelta(hours=settings.ORPHAN_MEDIA_GRACE_HOURS))
