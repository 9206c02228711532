"""Row-level security on PostgreSQL for reviews (see cardoc.rls); nothing happens on SQLite."""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import ALLOWS_FUNCTION, disable_sql, owner_policy_sql, run_on_postgresql

# Reviews are public (every driver reads a garage's reviews); only their author may write them.
FORWARD = owner_policy_sql("directory_review", read="true")
BACKWARD = disable_sql("directory_review")


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_mechanic_full_text_search"), ("accounts", "0004_row_level_security")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
