"""Row-level security on PostgreSQL for quote requests (see cardoc.rls); nothing happens on SQLite.

A request has two parties: the driver who sent it, and the garage it was sent to. The garage's accounts
(the listing's owners, kept in step with their object permission by directory.services.mechanic_set_owners)
read their inbox and write their answer; nobody else sees the request.
"""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import disable_sql, owner_policy_sql, run_on_postgresql

PARTIES = (
    "cardoc_rls_allows(user_id) OR EXISTS ("
    "SELECT 1 FROM directory_mechanic_owners o WHERE o.mechanic_id = maintenance_quoterequest.mechanic_id "
    "AND o.user_id::text = nullif(current_setting('app.user_id', true), ''))"
)
FORWARD = owner_policy_sql("maintenance_quoterequest", check=PARTIES)
BACKWARD = disable_sql("maintenance_quoterequest")


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0007_history_indexes"), ("directory", "0009_votes_reports_claims_row_level_security")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
