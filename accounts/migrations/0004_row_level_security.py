"""Row-level security on PostgreSQL for profiles and vehicles (see cardoc.rls); nothing happens on SQLite."""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import ALLOWS_FUNCTION, disable_sql, owner_policy_sql, run_on_postgresql

TABLES = ["accounts_userprofile", "accounts_vehicle"]
FORWARD = [ALLOWS_FUNCTION] + [sql for table in TABLES for sql in owner_policy_sql(table)]
BACKWARD = [sql for table in TABLES for sql in disable_sql(table)] + ["DROP FUNCTION IF EXISTS cardoc_rls_allows(uuid)"]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_revoked_access_token")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
