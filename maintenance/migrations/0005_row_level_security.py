"""Row-level security on PostgreSQL for maintenance records, notifications and the calendar feed (see cardoc.rls); nothing happens on SQLite."""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import ALLOWS_FUNCTION, disable_sql, owner_policy_sql, run_on_postgresql

# The calendar feed is fetched anonymously by its token: the view sets app.calendar_token to its hash first.
FORWARD = [
    *owner_policy_sql("maintenance_maintenancerecord"),
    *owner_policy_sql("maintenance_notification"),
    *owner_policy_sql(
        "maintenance_calendarfeed",
        read="cardoc_rls_allows(user_id) OR token_hash = nullif(current_setting('app.calendar_token', true), '')",
    ),
]
BACKWARD = [
    sql
    for table in ("maintenance_calendarfeed", "maintenance_notification", "maintenance_maintenancerecord")
    for sql in disable_sql(table)
]


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0004_garage_and_quote_requests"), ("accounts", "0004_row_level_security")]

    operations = [migrations.RunPython(run_on_postgresql(FORWARD), run_on_postgresql(BACKWARD))]
