"""``manage.py load_catalog [--demo]``: load the curated catalog, and optionally the demo directory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.services import CATALOG_FILE, DEMO_DIRECTORY_FILE, catalog_load, read_seed


class Command(BaseCommand):
    help = (
        "Create or update the warning lights, engine sounds, services and tutorials from catalog/seed/catalog.json "
        "(and their icons). Idempotent: a second run changes nothing. The file wins for the fields it sets, "
        "except a tutorial video that staff have chosen in place of the seeded YouTube search."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also load the fictional demo garages from directory/seed/demo_mechanics.json (marked is_demo).",
        )

    def handle(self, *args: Any, demo: bool = False, **options: Any) -> None:
        report = catalog_load(
            catalog=read_seed(CATALOG_FILE),
            demo_directory=read_seed(DEMO_DIRECTORY_FILE) if demo else None,
        )
        for kind, counts in report.counts.items():
            self.stdout.write(f"{kind}: {counts}")
        self.stdout.write(f"icons written: {report.icons_written}")
        self.stdout.write(self.style.SUCCESS("Catalog loaded." if report.changed else "Catalog already up to date."))
