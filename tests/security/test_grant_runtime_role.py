"""manage.py grant_runtime_role: run it, --help included."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

pytestmark = pytest.mark.django_db


def test_help_runs() -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command("grant_runtime_role", "--help", stdout=StringIO())
    assert exit_info.value.code == 0


def test_it_refuses_on_sqlite_and_bad_names() -> None:
    with pytest.raises(CommandError):
        call_command("grant_runtime_role", "x; DROP TABLE accounts_user")
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("grant_runtime_role", "cardoc_app")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")
def test_it_grants_the_runtime_role_every_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'cardoc_app'")
        if cursor.fetchone() is None:
            pytest.skip("the cardoc_app role does not exist (.ci/run creates it)")
    out = StringIO()

    call_command("grant_runtime_role", "cardoc_app", stdout=out)

    assert "cardoc_app may now read and write" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege('cardoc_app', 'diagnostics_diagnosticrecord', 'SELECT, UPDATE')")
        assert cursor.fetchone()[0] is True
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_runtime_role", "postgres")
