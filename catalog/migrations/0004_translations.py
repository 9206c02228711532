"""The catalog's texts per language (django-modeltranslation, catalog/translation.py).

Adds name/description/causes/suggestions columns for English and French and copies each row's text into the
English ones. Adding a JSON column with a default makes Django rebuild the SQLite tables, which drops the
full-text triggers of 0002 and may renumber rowids: they are made again and the index rebuilt here.
"""

from django.db import migrations, models
from django.db.models import F

TABLES = ("catalog_warninglight", "catalog_enginesound")
COLUMNS = ("name", "description", "common_causes", "repair_suggestions")


def copy_to_english(apps, schema_editor):
    for name in ("WarningLight", "EngineSound"):
        model = apps.get_model("catalog", name)
        model.objects.update(**{f"{column}_en": F(column) for column in COLUMNS})


def restore_sqlite_search(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    for table in TABLES:
        fts = f"{table}_fts"
        for statement in (
            f"DROP TRIGGER IF EXISTS {fts}_ai",
            f"DROP TRIGGER IF EXISTS {fts}_ad",
            f"DROP TRIGGER IF EXISTS {fts}_au",
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
            f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.rowid, {new}); END",
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ):
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0003_trouble_codes'),
    ]

    operations = [
        migrations.AddField(
            model_name='enginesound',
            name='common_causes_en',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='common_causes_fr',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='description_en',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='description_fr',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='name_en',
            field=models.CharField(max_length=120, null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='name_fr',
            field=models.CharField(max_length=120, null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='repair_suggestions_en',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='enginesound',
            name='repair_suggestions_fr',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='common_causes_en',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='common_causes_fr',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='description_en',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='description_fr',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='name_en',
            field=models.CharField(max_length=120, null=True, verbose_name='symbol name'),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='name_fr',
            field=models.CharField(max_length=120, null=True, verbose_name='symbol name'),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='repair_suggestions_en',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.AddField(
            model_name='warninglight',
            name='repair_suggestions_fr',
            field=models.JSONField(blank=True, default=list, null=True),
        ),
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
        migrations.RunPython(restore_sqlite_search, migrations.RunPython.noop),
    ]
