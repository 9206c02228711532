"""Writes for the catalog: its part of ``manage.py seed`` (lights, sounds and their icons)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation

from cardoc.seeding import UpsertCounts, upsert_by_key
from catalog.models import EngineSound, WarningLight
from catalog.symbols import render_icon_png

CATALOG_FILE = Path(__file__).resolve().parent / "seed" / "catalog.json"
# The French texts, by code (and tutorials by slug), apart from the English file: translators edit one file.
FRENCH_FILE = Path(__file__).resolve().parent / "seed" / "catalog.fr.json"
FRENCH_FIELDS = ("name_fr", "description_fr", "common_causes_fr", "repair_suggestions_fr")

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
TRANSLATED = ("name", "description", "common_causes", "repair_suggestions")


def read_seed(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        content: dict[str, Any] = json.load(handle)
    return content


def read_catalog_file() -> dict[str, Any]:
    """The curated ``catalog/seed/catalog.json``; tutorials and directory seed their sections of it."""
    return read_seed(CATALOG_FILE)


@transaction.atomic
def catalog_seed(*, demo: bool = False) -> dict[str, UpsertCounts]:
    """Seed the curated warning lights and engine sounds (registered on ``cardoc.hooks.content_seeders``).

    Rows are matched on their code and only what differs is written, so a second run changes nothing;
    rows staff added or edited since they were seeded are left alone. ``demo`` adds nothing here.
    """
    catalog = read_catalog_file()
    french = read_french_file()
    # English active, so ``name`` and the rest write the English columns and the original ones that search
    # indexes (catalog.translation), whatever language the caller runs in.
    with translation.override("en"):
        return {
            "warning lights": warning_lights_upsert(rows=catalog["warning_lights"]),
            "engine sounds": engine_sounds_upsert(rows=catalog["engine_sounds"]),
            "warning lights (French)": _french_upsert(WarningLight, french["warning_lights"]),
            "engine sounds (French)": _french_upsert(EngineSound, french["engine_sounds"]),
            "light icons": warning_light_icons_sync(codes=[row["code"] for row in catalog["warning_lights"]]),
        }


def read_french_file() -> dict[str, Any]:
    """``catalog/seed/catalog.fr.json``: the French of every light, sound and tutorial, keyed by code or slug."""
    return read_seed(FRENCH_FILE)


def _french_upsert(model: type[WarningLight] | type[EngineSound], texts: Mapping[str, Any]) -> UpsertCounts:
    # Their own ledger: a translator's edit in the admin is kept, and the English digests stay as they were.
    rows = [{"code": code, **{f"{name}_fr": text[name] for name in TRANSLATED}} for code, text in texts.items()]
    _, counts = upsert_by_key(model, key="code", rows=rows, fields=FRENCH_FIELDS, kind=f"{model._meta.label_lower}:fr")
    return counts


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
def warning_light_icons_sync(*, codes: Iterable[str]) -> UpsertCounts:
    """Draw each light's icon and store it as ``catalog/icons/<code>.png`` when it is missing or differs.

    The drawing is deterministic, so an unchanged drawing is a no-op. A missing file counts as created,
    a differing one as updated, and a picture staff uploaded instead is kept.
    """
    counts = UpsertCounts()
    for light in WarningLight.objects.filter(code__in=list(codes)):
        png = render_icon_png(light.code)
        name = f"{ICON_DIR}/{light.code}.png"
        storage = light.icon.storage
        if light.icon and light.icon.name != name:
            # Staff uploaded a picture of their own in the admin: theirs wins over the drawing.
            counts.kept += 1
            continue
        if light.icon.name == name and storage.exists(name):
            with storage.open(name, "rb") as stored:
                if stored.read() == png:
                    counts.unchanged += 1
                    continue
        # Remove the old drawing first, or the storage would save the new one under a suffixed name.
        if storage.exists(name):
            storage.delete(name)
            counts.updated += 1
        else:
            counts.created += 1
        light.icon.save(f"{light.code}.png", ContentFile(png), save=False)
        light.save(update_fields=["icon", "updated_at"])
    return counts
