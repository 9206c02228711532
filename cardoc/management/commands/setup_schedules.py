"""Create or update the django-q2 schedules the project relies on; safe to run on every start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django_q.models import Schedule


@dataclass(frozen=True)
class ScheduleSpec:
    """One recurring task, known by its name."""

    name: str
    func: str
    schedule_type: str
    minutes: int | None = None


# Add a row to schedule another task; the command keeps the database in step with this table.
SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        name="maintenance-reminders",
        func="maintenance.tasks.send_reminders",
        schedule_type=Schedule.MINUTES,
        minutes=15,
    ),
    ScheduleSpec(
        name="diagnostics-stuck-sweep",
        func="diagnostics.tasks.sweep_stuck_diagnostics",
        schedule_type=Schedule.MINUTES,
        minutes=5,
    ),
    # Retention: each prunes by its own setting (AUDIT_RETENTION_DAYS, PREDICTION_RETENTION_DAYS, ...).
    ScheduleSpec(name="retention-audit-events", func="cardoc.tasks.prune_audit_events", schedule_type=Schedule.DAILY),
    ScheduleSpec(
        name="retention-sync-tombstones", func="cardoc.tasks.prune_sync_tombstones", schedule_type=Schedule.DAILY
    ),
    ScheduleSpec(name="retention-predictions", func="mlops.tasks.prune_predictions", schedule_type=Schedule.DAILY),
    ScheduleSpec(name="retention-tokens", func="accounts.tasks.prune_tokens", schedule_type=Schedule.DAILY),
    ScheduleSpec(
        name="retention-orphan-media", func="diagnostics.tasks.prune_orphan_media", schedule_type=Schedule.DAILY
    ),
)


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules (maintenance reminders, ...). Idempotent."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for spec in SCHEDULES:
            settings = {"func": spec.func, "schedule_type": spec.schedule_type, "minutes": spec.minutes, "repeats": -1}
            rows = list(Schedule.objects.filter(name=spec.name).order_by("id"))
            if not rows:
                Schedule.objects.create(name=spec.name, **settings)
                self.stdout.write(f"Created schedule {spec.name}")
                continue
            schedule, duplicates = rows[0], rows[1:]
            # The name is not unique in django-q2's table; a copy made by hand in the admin would run twice.
            for duplicate in duplicates:
                duplicate.delete()
            changed = [field for field, value in settings.items() if getattr(schedule, field) != value]
            if changed:
                Schedule.objects.filter(pk=schedule.pk).update(**settings)
            # next_run is left alone, so a restart does not postpone (or rush) the next run.
            state = f"updated ({', '.join(changed)})" if changed else "unchanged"
            self.stdout.write(f"Schedule {spec.name} {state}")
