"""Rows written before maintenance_completed_consistent existed must satisfy it before 0003 adds it.

A separate migration, so the data fix commits before PostgreSQL alters the table.
"""

from django.db import migrations


def align_completion_with_reminder_status(apps, schema_editor):
    MaintenanceRecord = apps.get_model("maintenance", "MaintenanceRecord")
    MaintenanceRecord.objects.filter(completed_date__isnull=False).exclude(reminder_status="completed").update(
        reminder_status="completed"
    )
    MaintenanceRecord.objects.filter(completed_date__isnull=True, reminder_status="completed").update(
        reminder_status="pending"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(align_completion_with_reminder_status, migrations.RunPython.noop),
    ]
