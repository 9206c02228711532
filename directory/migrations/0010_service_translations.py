"""The directory services' name and description per language (django-modeltranslation, directory/translation.py).

Adds English and French columns and copies each service's text into the English ones; the French comes
from ``manage.py seed`` (directory/seed/services.fr.json).
"""

from django.db import migrations, models
from django.db.models import F


def copy_to_english(apps, schema_editor):
    apps.get_model("directory", "Service").objects.update(name_en=F("name"), description_en=F("description"))


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0009_votes_reports_claims_row_level_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='service',
            name='description_en',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='service',
            name='description_fr',
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='service',
            name='name_en',
            field=models.CharField(max_length=120, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='service',
            name='name_fr',
            field=models.CharField(max_length=120, null=True, unique=True),
        ),
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
    ]
