"""The size of each diagnostic's stored media, for the per-user storage quota, filled in for existing rows; and
row-level security on the list of models that analysed each diagnostic (see cardoc.rls), which belongs to
whoever owns the diagnostic (nothing happens on SQLite)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from cardoc.rls import disable_sql, owner_policy_sql, run_on_postgresql

MODELS_USED = "diagnostics_diagnosticrecord_ml_models"
FORWARD = owner_policy_sql(
    MODELS_USED, check="EXISTS (SELECT 1 FROM diagnostics_diagnosticrecord r WHERE r.id = diagnosticrecord_id)"
)
BACKWARD = disable_sql(MODELS_USED)


def fill_media_bytes(apps: Any, schema_editor: Any) -> None:
    """Measure the files the diagnostics stored so far (a missing file counts as nothing)."""
    if schema_editor.connection.vendor == "postgresql":
        # FORCE ROW LEVEL SECURITY binds the owner role too; this transaction must see every driver's rows.
        schema_editor.execute("SELECT set_config('app.rls_bypass', 'on', true)")
    DiagnosticRecord = apps.get_model("diagnostics", "DiagnosticRecord")
    for record in DiagnosticRecord.objects.exclude(image="", audio="").only("pk", "image", "audio").iterator():
        size = 0
        for file in (record.image, record.audio):
            if file:
                try:
                    size += file.storage.size(file.name)
                except OSError:
                    pass
        if size:
            DiagnosticRecord.objects.filter(pk=record.pk).update(media_bytes=size)


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0006_history_indexes")]

    operations = [
        migrations.AddField(
            model_name="diagnosticrecord",
            name="media_bytes",
            field=models.PositiveBigIntegerField(
                default=0,
                editable=False,
                help_text="Size of the stored photo and recording; counts toward the storage quota.",
            ),
        ),
        migrations.RunPython(fill_media_bytes, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD)),
    ]
