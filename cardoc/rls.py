"""Row-level security on PostgreSQL: the second defence behind every ``visible_to`` queryset.

Each driver-owned table has a policy: a row is visible and writable only when its owner is the
connection's ``app.user_id``, or when ``app.rls_bypass`` is ``on``. The tables also FORCE row-level
security, so even the owner role (migrations, tests) is held to the policies.

Who sets what:
- ``RowLevelSecurityMiddleware`` starts every request scoped to nobody (server pages: to the session's
  user) and puts the previous values back when it ends; DRF authentication then names the API caller.
  Staff requests set the bypass, since staff views are deliberately unscoped.
- Workers and management commands that touch drivers' rows enter ``bypass(reason=...)``, which is audited.
- Nothing is bypassed by default: an unauthenticated request, or code that forgot, sees no driver's row.

The settings are per connection (``set_config(..., false)``) for the length of the request, not local to
one transaction: a request commits more than once (a diagnostic is committed before ``?wait`` polls for
the worker's result; a reminder's claim commits before its email), and a transaction-local setting would
vanish at the first commit. The middleware resets them at the start and the end of every request, so a
persistent connection never carries one request's user into the next.

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
    """Put back what ``current()`` read before the request."""
    if enabled() and saved:
        _set(saved, local=False)


def begin_request(user: Any) -> dict[str, str]:
    """Scope the connection to ``user`` for a new request (None or anonymous: to nobody).

    Returns the settings as they were, read in the same statement (one round trip), for ``restore``.
    """
    if not enabled():
        return {}
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    values = {
        USER_SETTING: str(user.pk) if authenticated else "",
        BYPASS_SETTING: "on" if authenticated and user.is_staff else "off",
        CALENDAR_SETTING: "",
    }
    reads = ", ".join("coalesce(current_setting(%s, true), '')" for _ in values)
    writes = ", ".join("set_config(%s, %s, false)" for _ in values)
    params: list[Any] = [*values]
    for name, value in values.items():
        params += [name, value]
    with connection.cursor() as cursor:
        # PostgreSQL evaluates the select list left to right: the reads see the values before the writes.
        cursor.execute(f"SELECT {reads}, {writes}", params)
        row = cursor.fetchone()
    return dict(zip(values, row[: len(values)], strict=True))


# What the second defence costs a request on PostgreSQL, at most, in queries: scoping it (reading the previous
# values in the same statement), naming the caller (the calendar feed: its token, then its owner; an API
# caller: then their profile's language, which the authentication's join could not see), and restoring.
# Constant, whatever the response holds.
QUERIES_PER_REQUEST = 4


def set_request_user(user: Any) -> None:
    """Name the caller once authentication has found them; staff see every row."""
    if not enabled() or user is None or not getattr(user, "is_authenticated", False):
        return
    values = {USER_SETTING: str(user.pk)}
    if user.is_staff:
        values[BYPASS_SETTING] = "on"
    _set(values, local=False)


def allow_calendar_token(token_hash: str) -> None:
    """Let this request find the one calendar feed whose token the (anonymous) caller presented."""
    if enabled():
        _set({CALENDAR_SETTING: token_hash}, local=False)


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


@contextmanager
def bypass_for_counts() -> Iterator[None]:
    """See every row for reads that return only counts and figures across all drivers (``/metrics``).

    Unaudited, unlike ``bypass()``: a scraper comes every few seconds and learns nothing about anyone.
    Never use it for reads that return rows, or for writes.
    """
    if not enabled():
        yield
        return
    saved = current()
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

# PL/pgSQL on purpose, so the planner cannot inline it. Inlined, the policy is an OR that it estimates to keep
# 1% of the rows, on top of the query's own ``user_id = X``: it multiplies the two, expects a driver to own a
# handful of rows, and sorts all of them (10,000 for a fleet, 100+ ms) rather than walk the (user, date)
# index for one page. A function call it does not see into is estimated to keep a third of the rows, and the
# page is then read straight from the index (under 1 ms). The call costs about a microsecond a row.
ALLOWS_FUNCTION = """
CREATE OR REPLACE FUNCTION cardoc_rls_allows(owner uuid) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(current_setting('app.rls_bypass', true), '') = 'on'
        OR owner::text = nullif(current_setting('app.user_id', true), '');
END
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
