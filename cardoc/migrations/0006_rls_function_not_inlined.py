"""The row-level-security check becomes a PL/pgSQL function, so history pages walk their index (see
cardoc.rls.ALLOWS_FUNCTION for why); nothing happens on SQLite."""

from __future__ import annotations

from django.db import migrations

from cardoc.rls import ALLOWS_FUNCTION, run_on_postgresql

# The body every earlier migration created, for going back.
INLINED = """
CREATE OR REPLACE FUNCTION cardoc_rls_allows(owner uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR owner::text = nullif(current_setting('app.user_id', true), '')
$$;
"""


class Migration(migrations.Migration):
    # After every migration that creates the function, so that this body is the one left in place.
    dependencies = [
        ("cardoc", "0005_sync_change_log"),
        ("accounts", "0004_row_level_security"),
        ("diagnostics", "0004_row_level_security"),
        ("directory", "0005_row_level_security"),
        ("maintenance", "0005_row_level_security"),
    ]

    operations = [migrations.RunPython(run_on_postgresql([ALLOWS_FUNCTION]), run_on_postgresql([INLINED]))]
