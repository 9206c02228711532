"""Full-text search structures for the catalog, per database (see catalog/search.py).

PostgreSQL: an expression GIN index over the weighted tsvector that catalog/search.py queries.
SQLite: an external-content FTS5 table per catalog table, kept in step by triggers, filled once here.

If a later migration makes Django rebuild one of these SQLite tables (it drops and re-creates the table
for many ALTERs), the triggers go with it and rowids may change: re-create them there and run 'rebuild'.
tests/catalog/test_search.py checks that the triggers exist and that the index matches the content.
"""

from __future__ import annotations

from django.db import migrations

TABLES = ("catalog_warninglight", "catalog_enginesound")
COLUMNS = ("name", "description", "common_causes", "repair_suggestions")

PG_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, \"name\"), 'A') || "
    "setweight(to_tsvector('english'::regconfig, \"description\"), 'B') || "
    "setweight(to_tsvector('english'::regconfig, \"common_causes\"), 'C') || "
    "setweight(to_tsvector('english'::regconfig, \"repair_suggestions\"), 'D')"
)
PG_INDEX_NAMES = {"catalog_warninglight": "warninglight_search_idx", "catalog_enginesound": "enginesound_search_idx"}


def _sqlite_statements(table: str) -> list[str]:
    fts = f"{table}_fts"
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='rowid', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def create(apps: object, schema_editor: object) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX {PG_INDEX_NAMES[table]} ON {table} USING gin (({PG_DOCUMENT}))")
        elif vendor == "sqlite":
            for statement in _sqlite_statements(table):
                schema_editor.execute(statement)


def drop(apps: object, schema_editor: object) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX_NAMES[table]}")
        elif vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_fts")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
