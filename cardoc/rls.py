"""Row-level security on PostgreSQL: the second defence behind every ``visible_to`` queryset.

Each driver-owned table has a policy: a row is visible and writable only when its owner is the
``app.user_id`` of the current transaction, or when ``app.rls_bypass`` is ``on``. The tables also FORCE
row-level security, so even the owner role (migrations, tests) is held to the policies.

Who sets what:
- A request runs in one transaction (``RowLevelSecurityMiddleware``); DRF authentication, or the session
  for server pages, sets ``app.user_id`` with ``set_config(..., true)``, which ends with the transaction.
  Staff requests set the bypass, since staff views are deliberately unscoped.
- Workers and management commands that touch drivers' rows enter ``bypass(reason=...)``, which is audited.
- Nothing is bypassed by default: an unauthenticated request, or code that forgot, sees no driver's row.

On SQLite every function here does nothing; the querysets remain the (only) defence there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from cardoc.models import AuditAction
from cardoc.services import audit_record

logger = logging.getLogger(__name__)

USER_SETTING = "app.user_id"
BYPASS_SETTING = "app.rls_bypass"
CALENDAR_SETTING = "app.calendar_token"


def enabled() -> bool:
    return connection.vendor == "postgresql"


def _set(values: dict[str, str], *, local: bool) -> None:
    sql = ", ".join("set_config(%s, %s, %s)" for _ in values)
    params: list[Any] = []
    for name, value in values.items():
        params += [name, value, local]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)


def current() -> dict[str, str]:
    """The three settings as this connection sees them now ('' when unset)."""
    if not enabled():
        return {}
    names = (USER_SETTING, BYPASS_SETTING, CALENDAR_SETTING)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("coalesce(current_setting(%s, true), '')" for _ in names), names)
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


def restore(saved: dict[str, str]) -> None:
    """Put back what ``current()`` read (for the end of a request inside a test's transaction)."""
    if enabled() and saved:
        _set(saved, local=True)


def set_request_user(user: Any) -> None:
    """Scope the rest of this transaction to ``user`` (anonymous: to nobody); staff see every row."""
    if not enabled():
        return
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    _set(
        {
            USER_SETTING: str(user.pk) if authenticated else "",
            BYPASS_SETTING: "on" if authenticated and user.is_staff else "off",
        },
        local=True,
    )


def allow_calendar_token(token_hash: str) -> None:
    """Let this transaction find the one calendar feed whose token the (anonymous) caller presented."""
    if enabled():
        _set({CALENDAR_SETTING: token_hash}, local=True)


@contextmanager
def bypass(*, reason: str) -> Iterator[None]:
    """See every driver's rows for the duration of the block: workers, commands, staff jobs.

    Session-wide rather than transaction-local, because the work inside commits in several transactions
    of its own (a claim, then a result); the previous value comes back afterwards, even on error.
    Every entry is written to the audit trail, so a bypass is never silent.
    """
    if not enabled():
        yield
        return
    saved = current()
    audit_record(action=AuditAction.ADMIN_ACTION, details={"event": "rls_bypass", "reason": reason})
    set_session_bypass(on=True)
    try:
        yield
    finally:
        set_session_bypass(on=saved.get(BYPASS_SETTING) == "on")


def set_session_bypass(*, on: bool, using: Any = None) -> None:
    """The bare switch under ``bypass()``, unaudited: for the test suite's own connections only."""
    target = using or connection
    if target.vendor != "postgresql":
        return
    with target.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [BYPASS_SETTING, "on" if on else "off"])


# --- Migrations ----------------------------------------------------------------------------------------

ALLOWS_FUNCTION = """
CREATE OR REPLACE FUNCTION cardoc_rls_allows(owner uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR owner::text = nullif(current_setting('app.user_id', true), '')
$$;
"""


def owner_policy_sql(table: str, *, check: str | None = None, read: str | None = None) -> list[str]:
    """Enable and FORCE row-level security on ``table`` with one policy per command.

    ``check`` decides writes (default: the row's user_id is the caller's); ``read`` decides reads
    (default: the same as ``check``).
    """
    check = check or "cardoc_rls_allows(user_id)"
    read = read or check
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {table}_read ON {table}",
        f"DROP POLICY IF EXISTS {table}_insert ON {table}",
        f"DROP POLICY IF EXISTS {table}_update ON {table}",
        f"DROP POLICY IF EXISTS {table}_delete ON {table}",
        f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({check})",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING ({check}) WITH CHECK ({check})",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({check})",
    ]


def disable_sql(table: str) -> list[str]:
    return [f"DROP POLICY IF EXISTS {table}_{name} ON {table}" for name in ("read", "insert", "update", "delete")] + [
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def run_on_postgresql(statements: list[str]) -> Any:
    """A RunPython body that executes ``statements`` on PostgreSQL and does nothing elsewhere."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run
