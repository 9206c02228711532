"""Row-level security: with the queryset filter gone, PostgreSQL still hides other drivers' rows (issue 14).

These run on PostgreSQL only (SQLite has no row-level security; the last test checks that path still works).
The runtime role is the one the app connects as in production: it owns nothing and holds only grants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle, VehicleQuerySet
from cardoc import rls
from cardoc.models import SyncChange
from catalog.models import WarningLight
from diagnostics.models import Detection, DiagnosticFeedback, DiagnosticRecord, DiagnosticResult, FindingFeedback
from directory.models import Mechanic, Review
from maintenance.models import Attachment, CalendarFeed, FuelEntry, MaintenanceRecord, Notification
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db

RUNTIME_ROLE = "cardoc_app"
DRIVER_TABLES = [
    "accounts_userprofile",
    "accounts_vehicle",
    "diagnostics_diagnosticrecord",
    "diagnostics_diagnosticresult",
    "diagnostics_detection",
    "diagnostics_diagnosticfeedback",
    "diagnostics_findingfeedback",
    "maintenance_maintenancerecord",
    "maintenance_notification",
    "maintenance_calendarfeed",
    "maintenance_fuelentry",
    "maintenance_attachment",
    "directory_review",
]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is a PostgreSQL feature"
)


def rows_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id::text FROM {table}")  # noqa: S608 - a constant of this module
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def owned_rows(driver: User, other_driver: User) -> dict[str, dict[str, Any]]:
    """One row of every driver-owned table for each of two drivers, created as a worker would."""
    made: dict[str, dict[str, Any]] = {}
    for user in (driver, other_driver):
        vehicle = baker.make(Vehicle, user=user, year=2015)
        record = baker.make(DiagnosticRecord, user=user, vehicle=vehicle, diagnostic_type="dashboard_scan")
        result = baker.make(DiagnosticResult, record=record, overall_confidence=0.5, urgency="soon")
        detection = baker.make(Detection, result=result, confidence=0.5, warning_light=baker.make(WarningLight))
        feedback = baker.make(DiagnosticFeedback, record=record, user=user)
        verdict = baker.make(
            FindingFeedback, feedback=feedback, detection=detection, predicted_code="x", verdict="confirmed"
        )
        job = make_record(user, vehicle=vehicle)
        note = baker.make(Notification, user=user, maintenance_record=job, kind="maintenance_due")
        feed = baker.make(CalendarFeed, user=user, token_hash=f"{user.pk.hex}{'0' * 32}")
        review = baker.make(Review, user=user, mechanic=baker.make(Mechanic, latitude=3.8, longitude=11.5), rating=4)
        fill_up = baker.make(FuelEntry, user=user, vehicle=vehicle, odometer_km=1, litres=Decimal(1), total_cost=1)
        receipt = baker.make(
            Attachment,
            user=user,
            fuel_entry=fill_up,
            file="garage/attachments/r.pdf",
            content_type="application/pdf",
            size_bytes=1,
        )
        made[user.email] = {
            "accounts_userprofile": UserProfile.objects.get(user=user),
            "accounts_vehicle": vehicle,
            "diagnostics_diagnosticrecord": record,
            "diagnostics_diagnosticresult": result,
            "diagnostics_detection": detection,
            "diagnostics_diagnosticfeedback": feedback,
            "diagnostics_findingfeedback": verdict,
            "maintenance_maintenancerecord": job,
            "maintenance_notification": note,
            "maintenance_calendarfeed": feed,
            "maintenance_fuelentry": fill_up,
            "maintenance_attachment": receipt,
            "directory_review": review,
        }
    return made


@pytest.fixture
def as_runtime_role() -> Iterator[Callable[[User | None], None]]:
    """Switch this transaction to the runtime role, scoped to one user (None: to nobody)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [RUNTIME_ROLE])
        if cursor.fetchone() is None:
            pytest.skip(f"the {RUNTIME_ROLE} role does not exist (.ci/run creates it)")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {RUNTIME_ROLE}")
        cursor.execute(f"SET LOCAL ROLE {RUNTIME_ROLE}")

    def scope(user: User | None) -> None:
        rls.begin_request(user)

    yield scope
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    rls.begin_request(None)
    rls.set_session_bypass(on=True)


@postgresql_only
def test_every_driver_table_has_forced_row_level_security() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)",
            [DRIVER_TABLES],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
    assert flags == dict.fromkeys(DRIVER_TABLES, (True, True))


@postgresql_only
def test_a_raw_select_under_the_runtime_role_sees_only_the_callers_rows(
    owned_rows: dict[str, dict[str, Any]], driver: User, as_runtime_role: Callable[[User | None], None]
) -> None:
    as_runtime_role(driver)

    for table in DRIVER_TABLES:
        mine = str(owned_rows[driver.email][table].pk)
        theirs = str(owned_rows["other.driver@example.com"][table].pk)
        visible = rows_of(table)
        if table == "directory_review":  # public to read, like a garage's page
            assert {mine, theirs} <= visible
        else:
            assert mine in visible, table
            assert theirs not in visible, table


@postgresql_only
def test_the_orm_without_a_filter_sees_only_the_callers_rows(
    owned_rows: dict[str, dict[str, Any]], driver: User, as_runtime_role: Callable[[User | None], None]
) -> None:
    as_runtime_role(driver)

    assert set(Vehicle.objects.all()) == {owned_rows[driver.email]["accounts_vehicle"]}
    assert set(DiagnosticRecord.objects.values_list("user", flat=True)) == {driver.pk}
    assert set(MaintenanceRecord.objects.values_list("user", flat=True)) == {driver.pk}


@postgresql_only
def test_writes_to_another_drivers_rows_touch_nothing_and_inserts_for_them_fail(
    owned_rows: dict[str, dict[str, Any]],
    driver: User,
    other_driver: User,
    as_runtime_role: Callable[[User | None], None],
) -> None:
    theirs = owned_rows[other_driver.email]
    as_runtime_role(driver)

    assert Vehicle.objects.filter(pk=theirs["accounts_vehicle"].pk).update(nickname="mine now") == 0
    assert MaintenanceRecord.objects.filter(user=other_driver).delete()[0] == 0
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Vehicle.objects.create(user=other_driver, make="Kia", model="Rio", year=2019)
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Review.objects.filter(pk=owned_rows[driver.email]["directory_review"].pk).update(user=other_driver)


@postgresql_only
def test_nobody_sees_any_driver_row_when_no_user_is_set(
    owned_rows: dict[str, dict[str, Any]], as_runtime_role: Callable[[User | None], None]
) -> None:
    as_runtime_role(None)

    for table in DRIVER_TABLES:
        if table != "directory_review":
            assert rows_of(table) == set(), table


@postgresql_only
def test_force_holds_the_owner_role_to_the_policies_too(owned_rows: dict[str, dict[str, Any]], driver: User) -> None:
    # The tests connect as the owner (migration) role; FORCE makes the policies bind it as well.
    rls.begin_request(driver)
    try:
        assert set(Vehicle.objects.values_list("user", flat=True)) == {driver.pk}
    finally:
        rls.begin_request(None)
        rls.set_session_bypass(on=True)


@postgresql_only
def test_an_api_whose_queryset_filter_was_removed_still_leaks_nothing(
    owned_rows: dict[str, dict[str, Any]],
    driver: User,
    client_for: Callable[[User], APIClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bug the second defence is for: a view that forgot to scope its queryset.
    monkeypatch.setattr(VehicleQuerySet, "visible_to", lambda self, user: self.all())
    theirs = owned_rows["other.driver@example.com"]["accounts_vehicle"]

    listing = client_for(driver).get("/api/v1/vehicles")
    detail = client_for(driver).get(f"/api/v1/vehicles/{theirs.pk}")

    assert listing.status_code == HTTPStatus.OK
    assert [item["id"] for item in listing.json()["results"]] == [str(owned_rows[driver.email]["accounts_vehicle"].pk)]
    assert detail.status_code == HTTPStatus.NOT_FOUND


@postgresql_only
def test_a_worker_task_still_completes_under_its_audited_bypass(driver: User) -> None:
    from cardoc.models import AuditEvent
    from maintenance.tasks import send_reminders

    make_record(driver, days_from_today=-3)
    rls.set_session_bypass(on=False)  # as a fresh worker process: nothing visible until it bypasses
    try:
        assert MaintenanceRecord.objects.count() == 0
        result = send_reminders()
    finally:
        rls.set_session_bypass(on=True)

    assert result == {"due": 0, "overdue": 1}
    assert AuditEvent.objects.filter(details__event="rls_bypass", details__reason="send_reminders").exists()


@postgresql_only
def test_the_calendar_feed_still_works_anonymously(driver: User, client_for: Callable[[User], APIClient]) -> None:
    make_record(driver, days_from_today=5, title="Brake check")
    feed_url = client_for(driver).post("/api/v1/maintenance/calendar-token").json()["feed_url"]
    path, _, query = feed_url.replace("http://testserver", "").partition("?")
    rls.set_session_bypass(on=False)
    try:
        response = APIClient().get(path, {"token": query.split("=", 1)[1]})
    finally:
        rls.set_session_bypass(on=True)

    assert response.status_code == HTTPStatus.OK
    assert "Brake check" in response.content.decode()


def test_on_sqlite_the_rls_helpers_do_nothing_and_requests_work(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    baker.make(Vehicle, user=driver, year=2015)

    assert rls.current() == {}
    with rls.bypass(reason="test"):
        assert Vehicle.objects.count() == 1
    assert client_for(driver).get("/api/v1/vehicles").json()["count"] == 1


@postgresql_only
def test_the_sync_change_log_shows_a_driver_only_their_own_and_the_public_changes(
    owned_rows: dict[str, dict[str, Any]],
    driver: User,
    other_driver: User,
    as_runtime_role: Callable[[User | None], None],
) -> None:
    mine, theirs = (str(owned_rows[user.email]["accounts_vehicle"].pk) for user in (driver, other_driver))
    light = str(WarningLight.objects.values_list("pk", flat=True).first())
    as_runtime_role(driver)

    with connection.cursor() as cursor:
        cursor.execute("SELECT object_id::text FROM cardoc_syncchange")
        visible = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'cardoc_syncchange'")
        flags = cursor.fetchone()

    assert {mine, light} <= visible
    assert theirs not in visible
    assert flags == (True, True)
    assert SyncChange.objects.filter(owner=other_driver).update(deleted=True) == 0


@postgresql_only
def test_a_history_page_is_read_from_its_index_under_row_level_security(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    """The policy must not hide the (user, date) index from the planner: inlined, its OR multiplied with the
    query's own ``user_id = X`` made a driver's rows look like a handful, and every history page sorted all of
    them (10,000 for a fleet account: 100+ ms) instead of reading one page off the index."""
    with rls.bypass(reason="seeding a long history"):
        DiagnosticRecord.objects.bulk_create(
            DiagnosticRecord(user=owner, diagnostic_type="dashboard_scan", status="completed")
            for owner in [driver] * 800 + [other_driver] * 4000
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE diagnostics_diagnosticrecord")
    api = client_for(driver)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/diagnostics")
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) == 20
    (page_sql,) = [q["sql"] for q in queries.captured_queries if 'FROM "diagnostics_diagnosticrecord"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.user_id', %s, false)", [str(driver.pk)])
        cursor.execute(f"EXPLAIN {page_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT set_config('app.user_id', '', false)")
    assert "diagnostic_user_captured_idx" in plan, plan
    assert "Sort" not in plan, plan
