"""Store every existing email the way sign-up does (trimmed, lower-case), so the API can find it."""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models.functions import Lower, Trim


def lowercase_emails(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    User = apps.get_model("accounts", "User")
    # The user_email_ci_unique constraint already guarantees no two rows differ only in case.
    User.objects.using(schema_editor.connection.alias).update(email=Lower(Trim("email")))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(lowercase_emails, migrations.RunPython.noop, elidable=True)]
