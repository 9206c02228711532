"""``manage.py sync_backfill``: give every row older than the change feed its first change, once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cardoc import rls, sync


class Command(BaseCommand):
    help = (
        "Log a change for every row of every synced type that has none yet (rows made before the change feed "
        "existed), so that a phone's first full sync receives them. Run once after deploying the feed; a "
        "second run finds nothing to do."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with rls.bypass(reason="sync_backfill"):
            counts = sync.backfill()
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count}")
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"Logged {total} rows." if total else "Every row was already logged."))
