"""Plumbing for the seed loader (``manage.py seed``): compare-then-write upserts that respect people's edits.

The loader runs on every ``make run``, so an unchanged file must leave every row untouched: no UPDATE,
no new ``updated_at``. Each row of the file is compared with the stored one after the model field's own
conversion (``"15000"`` and ``Decimal("15000.00")`` are the same price), and only differing fields are saved.

It must also never undo a person's work: staff fix a description, a mechanic changes the phone, hours
and prices of a demo listing. A ``SeededRow`` keeps a digest of what the loader last wrote into each row
(and into each row's links). A row that no longer matches its digest was edited since it was seeded, and
stays as it is; a row with no digest yet (seeded before digests existed) is only adopted when it already
matches the file, since nobody can tell whether it was edited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, cast

from django.db import models
from django.utils import timezone

from cardoc.models import SeededRow

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass
class UpsertCounts:
    """How many rows of one kind the loader created, changed and left alone."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows whose links (tutorial to light, garage to service) were changed, whether or not the row itself was.
    relinked: int = 0
    # Rows, or rows' links, that differ from the file because someone edited them since they were seeded.
    kept: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.relinked:
            text += f", {self.relinked} relinked"
        if self.kept:
            text += f", {self.kept} kept as edited"
        return text

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.relinked)


class Decision(Enum):
    """What the loader does with one stored row (or set of links) that the file also describes."""

    SAME = "same"  # already as the file says
    WRITE = "write"  # as last seeded, and the file changed since: take the file's values
    KEEP = "keep"  # edited by someone since it was seeded: leave it


def seed_digest(values: Any) -> str:
    """A stable fingerprint of JSON-able ``values`` (dict keys sorted, everything else as text)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def canonical(field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` of ``field`` in one spelling, whether it came from the file or from the database."""
    if value is None:
        return None
    if isinstance(field, models.DecimalField) and field.decimal_places is not None:
        return str(Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)))
    if isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


class SeedLedger:
    """The digests of one kind of seeded row, read once and written back in one statement."""

    def __init__(self, kind: str, *, keys: Iterable[Any]) -> None:
        self.kind = kind
        wanted_keys = [str(key) for key in keys]
        self._digests = dict(SeededRow.objects.filter(kind=kind, key__in=wanted_keys).values_list("key", "digest"))
        self._marks: dict[str, str] = {}

    def decide(self, key: Any, *, current: Any, wanted: Any, missing: bool = False) -> Decision:
        """Compare a stored row's ``current`` values with the file's ``wanted`` ones and its seeded digest.

        ``missing`` says there is nothing yet to protect (links of a row never seeded before): write them.
        """
        have, want = seed_digest(current), seed_digest(wanted)
        stored = self._digests.get(str(key))
        if missing and stored is None and have != want:
            self._marks[str(key)] = want
            return Decision.WRITE
        if have == want:
            if stored != want:
                self._marks[str(key)] = want
            return Decision.SAME
        if stored == have:
            self._marks[str(key)] = want
            return Decision.WRITE
        return Decision.KEEP

    def created(self, key: Any, *, wanted: Any) -> None:
        """Record that the loader has just created the row ``key`` with ``wanted``."""
        self._marks[str(key)] = seed_digest(wanted)

    def save(self) -> None:
        """Write the digests recorded since the ledger was read (nothing at all when there are none)."""
        if not self._marks:
            return
        now = timezone.now()
        SeededRow.objects.bulk_create(
            [SeededRow(kind=self.kind, key=key, digest=digest, seeded_at=now) for key, digest in self._marks.items()],
            update_conflicts=True,
            unique_fields=["kind", "key"],
            update_fields=["digest", "seeded_at"],
        )
        self._digests.update(self._marks)
        self._marks = {}


def upsert_by_key(
    model: type[ModelT],
    *,
    key: str,
    rows: Iterable[Mapping[str, Any]],
    fields: tuple[str, ...],
    scope: Mapping[str, Any] | None = None,
    kind: str | None = None,
) -> tuple[dict[Any, ModelT], UpsertCounts]:
    """Create or update one ``model`` row per entry of ``rows``, matched on ``key``, within ``scope``.

    A row edited since it was seeded keeps its values (counted as kept). ``scope`` both narrows which
    stored rows may be matched and is written onto new rows (the demo directory only ever matches and
    creates rows with ``is_demo=True``). ``kind`` names the ledger (default: the model's label), so that a
    second set of fields of the same rows (their French texts) keeps digests of its own. Stored fields that
    are all empty have nothing to protect and take the file's values. Returns the rows by key, kept ones
    included.
    """
    rows = list(rows)
    scope = dict(scope or {})
    keys = [row[key] for row in rows]
    stored = {getattr(obj, key): obj for obj in model._default_manager.filter(**scope, **{f"{key}__in": keys})}
    ledger = SeedLedger(kind or model._meta.label_lower, keys=keys)
    meta_fields = {name: cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in fields}
    counts = UpsertCounts()
    result: dict[Any, ModelT] = {}
    for row in rows:
        wanted = {name: field.to_python(row[name]) for name, field in meta_fields.items()}
        wanted_text = {name: canonical(field, wanted[name]) for name, field in meta_fields.items()}
        obj = stored.get(row[key])
        if obj is None:
            obj = model(**{key: row[key]}, **scope, **wanted)
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save(force_insert=True)
            ledger.created(row[key], wanted=wanted_text)
            counts.created += 1
        else:
            current = {name: canonical(field, getattr(obj, name)) for name, field in meta_fields.items()}
            empty = all(value in (None, "", [], {}) for value in current.values())
            decision = ledger.decide(row[key], current=current, wanted=wanted_text, missing=empty)
            if decision is Decision.WRITE:
                changed = [name for name in fields if current[name] != wanted_text[name]]
                for name in changed:
                    setattr(obj, name, wanted[name])
                obj.full_clean(validate_unique=False, validate_constraints=False)
                obj.save(update_fields=[*changed, "updated_at"])
                counts.updated += 1
            elif decision is Decision.KEEP:
                counts.kept += 1
            else:
                counts.unchanged += 1
        result[row[key]] = obj
    ledger.save()
    return result, counts
