"""Row-level security on PostgreSQL for diagnostics, their results and detections (see cardoc.rls); nothing happens on SQLite."""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import ALLOWS_FUNCTION, disable_sql, owner_policy_sql, run_on_postgresql

# A result and its detections belong to whoever owns the record; the subqueries are themselves filtered.
FORWARD = [
    *owner_policy_sql("diagnostics_diagnosticrecord"),
    *owner_policy_sql(
        "diagnostics_diagnosticresult",
        check="EXISTS (SELECT 1 FROM diagnostics_diagnosticrecord r WHERE r.id = record_id)",
    ),
    *owner_policy_sql(
        "diagnostics_detection",
        check="EXISTS (SELECT 1 FROM diagnostics_diagnosticresult x WHERE x.id = result_id)",
    ),
]
BACKWARD = [
    sql
    for table in ("diagnostics_detection", "diagnostics_diagnosticresult", "diagnostics_diagnosticrecord")
    for sql in disable_sql(table)
]


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0003_runs_started"), ("accounts", "0004_row_level_security")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
