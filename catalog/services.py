"""Writes for the catalog: the seed loader behind ``manage.py load_catalog`` and the light icons."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from catalog.models import EngineSound, WarningLight
from catalog.seeding import UpsertCounts, upsert_by_key
from catalog.symbols import render_icon_png
from directory.services import demo_mechanics_upsert, services_upsert
from tutorials.services import tutorials_upsert

CATALOG_FILE = Path(__file__).resolve().parent / "seed" / "catalog.json"
DEMO_DIRECTORY_FILE = Path(__file__).resolve().parent.parent / "directory" / "seed" / "demo_mechanics.json"

LIGHT_FIELDS = ("name", "manufacturer", "description", "severity", "colour", "common_causes", "repair_suggestions")
SOUND_FIELDS = (
    "name",
    "sound_type",
    "description",
    "frequency_low_hz",
    "frequency_high_hz",
    "severity",
    "common_causes",
    "repair_suggestions",
)
ICON_DIR = "catalog/icons"


@dataclass
class CatalogLoadReport:
    """What one run of the loader did, kind by kind."""

    counts: dict[str, UpsertCounts] = field(default_factory=dict)
    icons_written: int = 0

    @property
    def changed(self) -> bool:
        return self.icons_written > 0 or any(counts.changed for counts in self.counts.values())


def read_seed(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def catalog_load(*, catalog: Mapping[str, Any], demo_directory: Mapping[str, Any] | None = None) -> CatalogLoadReport:
    """Upsert the curated catalog (lights, sounds, services, tutorials) and, when given, the demo directory.

    Rows are matched on their stable key (code, name, slug, demo business name) and only what differs is
    written, so a second run with the same files changes nothing. Rows that are not in the files (added
    by staff) are left alone. All of it happens in one transaction: a bad file loads nothing.
    """
    report = CatalogLoadReport()
    report.counts["warning lights"] = warning_lights_upsert(rows=catalog["warning_lights"])
    report.counts["engine sounds"] = engine_sounds_upsert(rows=catalog["engine_sounds"])
    report.counts["services"] = services_upsert(rows=catalog["services"])
    report.counts["tutorials"] = tutorials_upsert(rows=catalog["tutorials"])
    report.icons_written = warning_light_icons_sync(codes=[row["code"] for row in catalog["warning_lights"]])
    if demo_directory is not None:
        report.counts["demo mechanics"] = demo_mechanics_upsert(rows=demo_directory["mechanics"])
    return report


@transaction.atomic
def warning_lights_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update warning lights by code."""
    _, counts = upsert_by_key(WarningLight, key="code", rows=rows, fields=LIGHT_FIELDS)
    return counts


@transaction.atomic
def engine_sounds_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update engine sounds by code."""
    _, counts = upsert_by_key(EngineSound, key="code", rows=rows, fields=SOUND_FIELDS)
    return counts


@transaction.atomic
def warning_light_icons_sync(*, codes: Iterable[str]) -> int:
    """Draw each light's icon and store it as ``catalog/icons/<code>.png`` when it is missing or differs.

    Returns how many icons were written. The drawing is deterministic, so an unchanged drawing is a no-op.
    """
    written = 0
    for light in WarningLight.objects.filter(code__in=list(codes)):
        png = render_icon_png(light.code)
        name = f"{ICON_DIR}/{light.code}.png"
        storage = light.icon.storage
        if light.icon.name == name and storage.exists(name):
            with storage.open(name, "rb") as stored:
                if stored.read() == png:
                    continue
        # Remove the old drawing first, or the storage would save the new one under a suffixed name.
        if storage.exists(name):
            storage.delete(name)
        light.icon.save(f"{light.code}.png", ContentFile(png), save=False)
        light.save(update_fields=["icon", "updated_at"])
        written += 1
    return written
