"""Writes for the catalog: its part of ``manage.py seed`` (lights, sounds and their icons)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation

from cardoc.seeding import Decision, SeedLedger, UpsertCounts, upsert_by_key
from catalog.models import EngineSound, TroubleCode, WarningLight
from catalog.symbols import render_icon_png
from catalog.trouble_codes import trouble_code_rows

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
TROUBLE_CODE_FIELDS = ("system", "meaning", "description", "severity", "common_causes", "repair_suggestions")
TROUBLE_CODE_FRENCH_FIELDS = ("meaning_fr", "description_fr", "common_causes_fr", "repair_suggestions_fr")
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
    codes = trouble_code_rows()
    # English active, so ``name`` and the rest write the English columns and the original ones that search
    # indexes (catalog.translation), whatever language the caller runs in.
    with translation.override("en"):
        return {
            "warning lights": warning_lights_upsert(rows=catalog["warning_lights"]),
            "engine sounds": engine_sounds_upsert(rows=catalog["engine_sounds"]),
            "warning lights (French)": _french_upsert(WarningLight, french["warning_lights"]),
            "engine sounds (French)": _french_upsert(EngineSound, french["engine_sounds"]),
            "light icons": warning_light_icons_sync(codes=[row["code"] for row in catalog["warning_lights"]]),
            "trouble codes": trouble_codes_upsert(rows=codes),
            "trouble codes (French)": trouble_codes_french_upsert(rows=codes),
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
def trouble_codes_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update trouble codes by code, and link each to the lights and sounds ``rows`` name.

    Links staff changed since they were seeded are kept, like the rows themselves.
    """
    rows = list(rows)
    codes, counts = upsert_by_key(TroubleCode, key="code", rows=rows, fields=TROUBLE_CODE_FIELDS)
    lights = WarningLight.objects.in_bulk(field_name="code")
    sounds = EngineSound.objects.in_bulk(field_name="code")
    current: dict[str, tuple[set[str], set[str]]] = {code: (set(), set()) for code in codes}
    by_id = {entry.pk: code for code, entry in codes.items()}
    for code_id, light in TroubleCode.warning_lights.through.objects.filter(troublecode__in=by_id).values_list(
        "troublecode_id", "warninglight__code"
    ):
        current[by_id[code_id]][0].add(light)
    for code_id, sound in TroubleCode.engine_sounds.through.objects.filter(troublecode__in=by_id).values_list(
        "troublecode_id", "enginesound__code"
    ):
        current[by_id[code_id]][1].add(sound)
    ledger = SeedLedger("catalog.troublecode_links", keys=codes)
    light_links, sound_links = TroubleCode.warning_lights.through, TroubleCode.engine_sounds.through
    stale: list[UUID] = []
    new_lights: list[Any] = []
    new_sounds: list[Any] = []
    relinked = 0
    for row in rows:
        entry = codes[row["code"]]
        # A link to a light or sound that is not in the catalog (a trimmed catalog in tests) is skipped.
        want = ({c for c in row["warning_lights"] if c in lights}, {c for c in row["engine_sounds"] if c in sounds})
        have = current[row["code"]]
        decision = ledger.decide(
            row["code"],
            current=[sorted(have[0]), sorted(have[1])],
            wanted=[sorted(want[0]), sorted(want[1])],
            missing=not (have[0] or have[1]),
        )
        if decision is Decision.KEEP:
            counts.kept += 1
        if decision is not Decision.WRITE:
            continue
        # Written in bulk below: one statement per table, not two per code (the seed runs on every start).
        stale.append(entry.pk)
        new_lights += [light_links(troublecode=entry, warninglight=lights[c]) for c in want[0]]
        new_sounds += [sound_links(troublecode=entry, enginesound=sounds[c]) for c in want[1]]
        relinked += 1
    if stale:
        light_links.objects.filter(troublecode__in=stale).delete()
        sound_links.objects.filter(troublecode__in=stale).delete()
        light_links.objects.bulk_create(new_lights)
        sound_links.objects.bulk_create(new_sounds)
    ledger.save()
    counts.relinked = relinked
    return counts


@transaction.atomic
def trouble_codes_french_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Write the French texts of ``rows`` (``meaning_fr`` and the rest) onto the codes already stored.

    A ledger of their own, as for the lights: a translator's edit in the admin survives the next seed, and
    a code with no French yet takes the seed's. Codes not stored yet are skipped (the English seed runs first).
    """
    rows = [row for row in rows if "meaning_fr" in row]
    stored = set(TroubleCode.objects.filter(code__in=[row["code"] for row in rows]).values_list("code", flat=True))
    french = [{"code": row["code"], **{field: row[field] for field in TROUBLE_CODE_FRENCH_FIELDS}} for row in rows]
    _, counts = upsert_by_key(
        TroubleCode,
        key="code",
        rows=[row for row in french if row["code"] in stored],
        fields=TROUBLE_CODE_FRENCH_FIELDS,
        kind="catalog.troublecode:fr",
    )
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
