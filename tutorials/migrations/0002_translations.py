"""Tutorials' titles and descriptions per language (django-modeltranslation); the English ones are copied."""

from django.db import migrations, models
from django.db.models import F


def copy_to_english(apps, schema_editor):
    apps.get_model("tutorials", "Tutorial").objects.update(title_en=F("title"), description_en=F("description"))


class Migration(migrations.Migration):

    dependencies = [
        ('tutorials', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='tutorial',
            name='description_en',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='tutorial',
            name='description_fr',
            field=models.TextField(null=True),
        ),
        migrations.AddField(
            model_name='tutorial',
            name='title_en',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.AddField(
            model_name='tutorial',
            name='title_fr',
            field=models.CharField(max_length=200, null=True),
        ),
        migrations.RunPython(copy_to_english, migrations.RunPython.noop),
    ]
