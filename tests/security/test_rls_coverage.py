"""Every driver-owned table has row-level security, including the ones added after this test (issue 14).

A table is driver-owned when deleting a user deletes its rows: it has a CASCADE foreign key to the user, or
to another driver-owned table (a diagnostic's result, a review's votes). Each one must FORCE row-level
security with a policy for every command, or be named in EXEMPT with the reason it cannot have one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc import rls
from diagnostics.models import DiagnosticRecord, DiagnosticStatus
from directory.models import ListingClaim, Mechanic, Review, ReviewReport, ReviewVote
from directory.services import mechanic_set_owners
from maintenance.models import QuoteRequest
from mlops.models import MLModel

pytestmark = pytest.mark.django_db

# Driver-owned by the rule above, yet without a policy, each for a reason that a policy would break.
EXEMPT = {
    "accounts_revokedaccesstoken": "the access-token denylist is read while authenticating, before the caller is "
    "known; a policy would hide the denial and let a logged-out token in. It holds a jti, nothing personal.",
    "accounts_user_groups": "Django's permission tables, read by every permission check and edited by staff only.",
    "accounts_user_user_permissions": "Django's permission tables, read by every permission check.",
    "guardian_userobjectpermission": "who may edit which listing: read by every ownership check, for anyone's "
    "listing; written by staff and by directory.services only.",
    "directory_mechanic_owners": "a public listing's owners: the quote-request policy itself reads it.",
    "django_admin_log": "the staff console's own log; only staff (who bypass) ever read it.",
}

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is a PostgreSQL feature"
)


def _cascades_to(model: type[models.Model], owned: set[type[models.Model]]) -> bool:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for field in model._meta.get_fields():
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            continue
        target = field.related_model
        if field.remote_field.on_delete is models.CASCADE and (target is user_model or target in owned):
            return True
    return False


def driver_owned_tables() -> set[str]:
    """Every table whose rows a user's deletion takes with it, found from the models (M2M tables included)."""
    every = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    owned: set[type[models.Model]] = set()
    grew = True
    while grew:  # follow chains: user <- record <- result <- detection
        grew = False
        for model in every:
            if model not in owned and _cascades_to(model, owned):
                owned.add(model)
                grew = True
    return {model._meta.db_table for model in owned}


def test_the_rule_finds_the_tables_we_know_to_be_driver_owned() -> None:
    found = driver_owned_tables()

    assert {
        "accounts_userprofile",
        "accounts_vehicle",
        "diagnostics_diagnosticrecord",
        "diagnostics_detection",
        "diagnostics_diagnosticrecord_ml_models",
        "maintenance_quoterequest",
        "directory_reviewvote",
        "directory_reviewreport",
    } <= found
    # Public or owner-less tables are not: the catalog, the listings, the models' predictions.
    assert not {"catalog_warninglight", "directory_mechanic", "mlops_prediction", "mlops_mlmodel"} & found


def test_every_exemption_names_a_driver_owned_table_that_still_exists() -> None:
    assert set(EXEMPT) <= driver_owned_tables()


@postgresql_only
def test_every_driver_owned_table_forces_row_level_security_with_a_policy_per_command() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "coalesce(array_agg(DISTINCT p.cmd) FILTER (WHERE p.cmd IS NOT NULL), '{}') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() "
            "LEFT JOIN pg_policies p ON p.tablename = c.relname AND p.schemaname = n.nspname "
            "WHERE c.relkind = 'r' GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"
        )
        tables = {name: (enabled, forced, set(commands)) for name, enabled, forced, commands in cursor.fetchall()}

    missing = {
        table: tables.get(table)
        for table in sorted(driver_owned_tables() - set(EXEMPT))
        if tables.get(table) != (True, True, {"SELECT", "INSERT", "UPDATE", "DELETE"})
    }
    assert missing == {}, "driver-owned tables without forced row-level security (see cardoc.rls)"


# --- The new policies, proved under the runtime role -------------------------------------------------


@pytest.fixture
def as_user() -> Iterator[Callable[[User | None], None]]:
    """Scope this connection to one user, as a request is, with the tests' bypass off (FORCE binds the owner)."""

    def scope(user: User | None) -> None:
        rls.begin_request(user)

    yield scope
    rls.begin_request(None)
    rls.set_session_bypass(on=True)


@pytest.fixture
def listing(mechanic: User) -> Mechanic:
    garage = baker.make(Mechanic, latitude=3.8, longitude=11.5, business_name="Garage Nord")
    mechanic_set_owners(mechanic=garage, owners=[mechanic])
    return garage


def quote_for(user: User, garage: Mechanic) -> QuoteRequest:
    record = baker.make(
        DiagnosticRecord, user=user, diagnostic_type="dashboard_scan", status=DiagnosticStatus.COMPLETED
    )
    return baker.make(QuoteRequest, user=user, diagnostic=record, mechanic=garage, repair="Brakes", finding="Worn")


@postgresql_only
def test_a_quote_request_is_seen_by_its_driver_and_its_garage_only(
    driver: User,
    other_driver: User,
    mechanic: User,
    other_mechanic: User,
    listing: Mechanic,
    as_user: Callable[[User | None], None],
) -> None:
    mine = quote_for(driver, listing)
    theirs = quote_for(other_driver, listing)

    as_user(driver)
    assert set(QuoteRequest.objects.all()) == {mine}
    assert QuoteRequest.objects.filter(pk=theirs.pk).update(message="hijacked") == 0
    as_user(mechanic)
    assert set(QuoteRequest.objects.all()) == {mine, theirs}
    assert QuoteRequest.objects.filter(pk=mine.pk).update(garage_message="Tomorrow") == 1
    as_user(other_mechanic)
    assert QuoteRequest.objects.count() == 0
    as_user(None)
    assert QuoteRequest.objects.count() == 0


@postgresql_only
def test_votes_reports_and_claims_are_their_authors_alone(
    driver: User, other_driver: User, mechanic: User, listing: Mechanic, as_user: Callable[[User | None], None]
) -> None:
    review = baker.make(Review, user=other_driver, mechanic=listing, rating=2)
    my_vote = baker.make(ReviewVote, review=review, user=driver)
    baker.make(ReviewVote, review=review, user=mechanic)
    my_report = baker.make(ReviewReport, review=review, user=driver, reason="spam")
    baker.make(ReviewReport, review=review, user=mechanic, reason="fake")
    claim = baker.make(ListingClaim, mechanic=listing, user=mechanic, message="Call me")

    as_user(driver)
    assert (set(ReviewVote.objects.all()), set(ReviewReport.objects.all())) == ({my_vote}, {my_report})
    assert ListingClaim.objects.count() == 0
    as_user(mechanic)
    assert set(ListingClaim.objects.all()) == {claim}


@postgresql_only
def test_the_models_used_by_a_diagnostic_are_its_drivers_alone(
    driver: User, other_driver: User, as_user: Callable[[User | None], None]
) -> None:
    model = baker.make(MLModel, name="dash", version="1")
    for user in (driver, other_driver):
        baker.make(DiagnosticRecord, user=user, diagnostic_type="dashboard_scan").ml_models.add(model)

    as_user(driver)
    with connection.cursor() as cursor:
        cursor.execute("SELECT diagnosticrecord_id FROM diagnostics_diagnosticrecord_ml_models")
        rows = [row[0] for row in cursor.fetchall()]
    assert rows == [DiagnosticRecord.objects.get(user=driver).pk]


def test_an_author_deletes_a_review_that_others_voted_for_and_reported(
    driver: User,
    other_driver: User,
    mechanic: User,
    listing: Mechanic,
    client_for: Callable[[User], APIClient],
) -> None:
    # Under row-level security the author cannot see those votes and reports; the delete must still take them.
    review = baker.make(Review, user=driver, mechanic=listing, rating=1)
    baker.make(ReviewVote, review=review, user=other_driver)
    baker.make(ReviewReport, review=review, user=mechanic, reason="fake")

    response = client_for(driver).delete(f"/api/v1/reviews/{review.pk}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Review.objects.filter(pk=review.pk).exists()
    assert (ReviewVote.objects.count(), ReviewReport.objects.count()) == (0, 0)
