"""Row-level security on PostgreSQL for review votes, review reports and listing claims (see cardoc.rls).

Each row is its author's alone: a driver reads and writes only their own vote or report, a mechanic only
their own claim. Staff (who moderate reports and decide claims) and the helpful-vote recount run under the
audited bypass. Nothing happens on SQLite.
"""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import disable_sql, owner_policy_sql, run_on_postgresql

TABLES = ["directory_reviewvote", "directory_reviewreport", "directory_listingclaim"]
FORWARD = [sql for table in TABLES for sql in owner_policy_sql(table)]
BACKWARD = [sql for table in TABLES for sql in disable_sql(table)]


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_mechanic_location_gist")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
