"""Full-text search over the directory's listings (see directory/search.py), per database.

Fills ``services_text`` (the names of the services each listing offers), then:
PostgreSQL: an expression GIN index over the weighted tsvector that directory/search.py queries.
SQLite: an external-content FTS5 table kept in step by triggers, filled once here.

If a later migration makes Django rebuild directory_mechanic on SQLite (many ALTERs do), the triggers go
with it and rowids may change: re-create them there and run 'rebuild'. tests/directory/test_search.py checks
that the triggers exist and that the index matches the content.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLE = "directory_mechanic"
COLUMNS = ("business_name", "address", "services_text")
PG_DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, \"business_name\"), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, \"services_text\"), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, \"address\"), 'C')"
)
PG_INDEX = "mechanic_search_idx"


def sqlite_statements() -> list[str]:
    fts = f"{TABLE}_fts"
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{TABLE}', content_rowid='rowid', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {TABLE} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {TABLE} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {TABLE} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def fill_services_text(apps: Any, schema_editor: Any) -> None:
    Mechanic = apps.get_model("directory", "Mechanic")
    for mechanic in Mechanic.objects.all():
        names = mechanic.offerings.order_by("service__name").values_list("service__name", flat=True)
        mechanic.services_text = " · ".join(names)
        mechanic.save(update_fields=["services_text"])


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {PG_INDEX} ON {TABLE} USING gin (({PG_DOCUMENT}))")
    elif vendor == "sqlite":
        for statement in sqlite_statements():
            schema_editor.execute(statement)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    elif vendor == "sqlite":
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_fts_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}_fts")


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_reviews_photos_claims_time_zone")]

    operations = [
        migrations.RunPython(fill_services_text, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create, drop, elidable=False),
    ]
