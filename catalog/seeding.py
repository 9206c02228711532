"""Plumbing for the seed loader (``manage.py load_catalog``): compare-then-write upserts.

The loader runs on every ``make run``, so an unchanged file must leave every row untouched: no UPDATE,
no new ``updated_at``. Each row of the file is compared with the stored one after the model field's own
conversion (``"15000"`` and ``Decimal("15000.00")`` are the same price), and only differing fields are saved.
The field lists are fixed per model by the callers, so the file can only ever set the fields named there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass
class UpsertCounts:
    """How many rows of one kind the loader created, changed and left alone."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows whose links (tutorial to light, garage to service) were changed, whether or not the row itself was.
    relinked: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text}, {self.relinked} relinked" if self.relinked else text

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.relinked)


def upsert_by_key(
    model: type[ModelT],
    *,
    key: str,
    rows: Iterable[Mapping[str, Any]],
    fields: tuple[str, ...],
    scope: Mapping[str, Any] | None = None,
) -> tuple[dict[Any, ModelT], UpsertCounts]:
    """Create or update one ``model`` row per entry of ``rows``, matched on ``key``, within ``scope``.

    ``scope`` both narrows which stored rows may be matched and is written onto new rows (the demo
    directory only ever matches and creates rows with ``is_demo=True``). Returns the rows by key.
    """
    rows = list(rows)
    scope = dict(scope or {})
    stored = {getattr(obj, key): obj for obj in model.objects.filter(**scope, **{f"{key}__in": [r[key] for r in rows]})}
    counts = UpsertCounts()
    result: dict[Any, ModelT] = {}
    for row in rows:
        wanted = {name: model._meta.get_field(name).to_python(row[name]) for name in fields}
        obj = stored.get(row[key])
        if obj is None:
            obj = model(**{key: row[key]}, **scope, **wanted)
            obj.full_clean(validate_unique=False, validate_constraints=False)
            obj.save(force_insert=True)
            counts.created += 1
        else:
            changed = [name for name, value in wanted.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, wanted[name])
                obj.full_clean(validate_unique=False, validate_constraints=False)
                obj.save(update_fields=[*changed, "updated_at"])
                counts.updated += 1
            else:
                counts.unchanged += 1
        result[row[key]] = obj
    return result, counts
