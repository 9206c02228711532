"""``manage.py export_feedback --out DIR``: drivers' confirmed and corrected media, as a labelled data set."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cardoc import rls
from diagnostics.export import LABELS_FILE, feedback_export


class Command(BaseCommand):
    help = (
        "Export the photos and recordings whose findings drivers confirmed or corrected (or whose mechanic named "
        f"the fault) as DIR/dashboard/<code>/ and DIR/engine/<code>/, with DIR/{LABELS_FILE}, for training."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="Folder to write into (created if missing).")
        parser.add_argument("--json", action="store_true", help="Print the counts as one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists() and not out.is_dir():
            raise CommandError(f"{out} exists and is not a folder.")
        # Every driver's feedback: the export is a staff job, and it is audited as one.
        with rls.bypass(reason="export_feedback"):
            report = feedback_export(out=out)
        if options["json"]:
            self.stdout.write(json.dumps(asdict(report), sort_keys=True))
            return
        self.stdout.write(
            f"Exported {report.labels} labels ({report.files} new files) to {out}; "
            f"{report.missing_media} skipped for missing media."
        )
        for code, count in sorted(report.by_code.items()):
            self.stdout.write(f"  {code}: {count}")
