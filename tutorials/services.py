"""Writes for tutorials: their part of ``manage.py seed`` and the view counter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import translation

from cardoc.seeding import Decision, SeedLedger, UpsertCounts, upsert_by_key
from catalog.models import EngineSound, WarningLight
from catalog.services import read_catalog_file, read_french_file
from tutorials.models import Tutorial, TutorialEngineSound, TutorialWarningLight

TUTORIAL_FIELDS = ("title", "description", "youtube_url", "duration_seconds", "difficulty")
# Seeded tutorials point at a YouTube search; once staff pick a real video in the admin, the loader keeps it.
YOUTUBE_SEARCH_PREFIX = "https://www.youtube.com/results?"


@transaction.atomic
def tutorial_record_view(*, tutorial: Tutorial) -> Tutorial:
    """Count one view of ``tutorial`` and return it with the new count.

    The increment happens in the database (``view_count = view_count + 1``), so concurrent views are never
    lost to a read-modify-write race; ``updated_at`` is left alone, since the content did not change.
    """
    Tutorial.objects.filter(pk=tutorial.pk).update(view_count=F("view_count") + 1)
    tutorial.refresh_from_db(fields=["view_count"])
    return tutorial


@transaction.atomic
def tutorials_seed(*, demo: bool = False) -> dict[str, UpsertCounts]:
    """Seed the curated tutorials of ``catalog/seed/catalog.json`` (a ``cardoc.hooks.content_seeders`` receiver)."""
    # English active, so ``title`` and ``description`` write the English columns (tutorials.translation).
    with translation.override("en"):
        counts = tutorials_upsert(rows=read_catalog_file()["tutorials"])
        french = [
            {"slug": slug, "title_fr": text["title"], "description_fr": text["description"]}
            for slug, text in read_french_file()["tutorials"].items()
        ]
        _, french_counts = upsert_by_key(
            Tutorial, key="slug", rows=french, fields=("title_fr", "description_fr"), kind="tutorials.tutorial:fr"
        )
    return {"tutorials": counts, "tutorials (French)": french_counts}


@transaction.atomic
def tutorials_upsert(*, rows: Iterable[Mapping[str, Any]]) -> UpsertCounts:
    """Create or update tutorials by slug, and make their light and sound links match ``rows`` exactly.

    A tutorial, or its set of links, that staff edited since it was seeded is left as they made it.
    """
    seeded = [dict(row) for row in rows]
    chosen_videos = dict(
        Tutorial.objects.filter(slug__in=[row["slug"] for row in seeded])
        .exclude(youtube_url__startswith=YOUTUBE_SEARCH_PREFIX)
        .values_list("slug", "youtube_url")
    )
    for row in seeded:
        row["youtube_url"] = chosen_videos.get(row["slug"], row["youtube_url"])
    tutorials, counts = upsert_by_key(Tutorial, key="slug", rows=seeded, fields=TUTORIAL_FIELDS)

    lights = _ids_by_code(WarningLight, {code for row in seeded for code in row["warning_lights"]})
    sounds = _ids_by_code(EngineSound, {code for row in seeded for code in row["engine_sounds"]})
    wanted_lights = {row["slug"]: {lights[code] for code in row["warning_lights"]} for row in seeded}
    wanted_sounds = {row["slug"]: {sounds[code] for code in row["engine_sounds"]} for row in seeded}
    relinked, kept = _sync_links(
        TutorialWarningLight, target="warning_light", tutorials=tutorials, wanted=wanted_lights
    )
    more_relinked, more_kept = _sync_links(
        TutorialEngineSound, target="engine_sound", tutorials=tutorials, wanted=wanted_sounds
    )
    counts.relinked = len(relinked | more_relinked)
    counts.kept += len(kept | more_kept)
    return counts


def _ids_by_code(model: type[WarningLight] | type[EngineSound], codes: set[str]) -> dict[str, UUID]:
    found = dict(model.objects.filter(code__in=codes).values_list("code", "id"))
    missing = codes - set(found)
    if missing:
        label = model._meta.verbose_name_plural
        raise ValidationError(f"Tutorials link to unknown {label}: {', '.join(sorted(missing))}.")
    return found


def _sync_links(
    through: type[models.Model], *, target: str, tutorials: Mapping[str, Tutorial], wanted: Mapping[str, set[UUID]]
) -> tuple[set[str], set[str]]:
    """Add and remove link rows so each tutorial links to exactly ``wanted[slug]``, unless staff changed them.

    Returns the slugs relinked and the slugs whose links were kept as staff left them.
    """
    current: dict[UUID, set[UUID]] = {tutorial.pk: set() for tutorial in tutorials.values()}
    for tutorial_id, target_id in through._default_manager.filter(tutorial__in=current).values_list(
        "tutorial_id", f"{target}_id"
    ):
        current[tutorial_id].add(target_id)
    ledger = SeedLedger(through._meta.label_lower, keys=tutorials)
    to_add: list[models.Model] = []
    changed: set[str] = set()
    kept: set[str] = set()
    for slug, tutorial in tutorials.items():
        have, want = current[tutorial.pk], wanted[slug]
        decision = ledger.decide(slug, current=sorted(map(str, have)), wanted=sorted(map(str, want)), missing=not have)
        if decision is Decision.KEEP:
            kept.add(slug)
        if decision is not Decision.WRITE:
            continue
        changed.add(slug)
        if have - want:
            through._default_manager.filter(tutorial=tutorial, **{f"{target}_id__in": have - want}).delete()
        to_add.extend(through(tutorial=tutorial, **{f"{target}_id": target_id}) for target_id in want - have)
    through._default_manager.bulk_create(to_add)
    ledger.save()
    return changed, kept
