"""``manage.py seed [--demo]``: every app's curated content, created where missing, never over an edit."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cardoc.services import content_seed


class Command(BaseCommand):
    help = (
        "Create the curated content every app ships: warning lights, engine sounds and their icons, services "
        "and tutorials (catalog/seed/catalog.json). Creates what is missing and updates rows the file changed; "
        "a row that staff or a mechanic edited since it was seeded is kept as they left it. A second run "
        "changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also seed the fictional demo garages of directory/seed/demo_mechanics.json (marked is_demo).",
        )

    def handle(self, *args: Any, demo: bool = False, **options: Any) -> None:
        report = content_seed(demo=demo)
        for kind, counts in report.counts.items():
            self.stdout.write(f"{kind}: {counts}")
        self.stdout.write(self.style.SUCCESS("Content seeded." if report.changed else "Content already up to date."))
