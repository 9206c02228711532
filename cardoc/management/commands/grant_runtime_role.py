"""Give the runtime database role what the app needs, and nothing it could use to bypass row-level security."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = (
        "Run as the owner (migration) role after `migrate`: grant the runtime role read and write on every "
        "table and sequence, now and for tables later migrations create. PostgreSQL only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("role", help="The role the app connects as, e.g. cardoc_app.")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Roles and grants are a PostgreSQL matter; SQLite has neither.")
        if not ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a plain role name.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"The role {role} does not exist; create it first (see README).")
            if any(row):
                raise CommandError(f"{role} is a superuser or may bypass row-level security: refusing.")
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [role])
            if cursor.fetchone()[0]:
                raise CommandError(f"{role} owns tables; the runtime role must own nothing.")
            # The name is checked above and cannot be a placeholder in GRANT.
            statements = [
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
            ]
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"{role} may now read and write every table, under row-level security."))
