"""Claiming a listing: a mechanic asks on their pages, staff approve in the admin, the garage manages it."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.test import Client
from guardian.shortcuts import get_perms
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from directory.models import ListingClaim, Mechanic
from tests.directory.factories import make_listing

pytestmark = pytest.mark.django_db

CLAIM = "/mechanics/claim/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def unclaimed(db: None) -> Mechanic:
    return make_listing("Garage Sans Maître", address="Carrefour Nlongkak, Yaoundé")


def test_a_mechanic_finds_their_garage_and_claims_it(other_mechanic: User, unclaimed: Mechanic) -> None:
    client = signed_in(other_mechanic)
    found = client.get(CLAIM, {"q": "nlongkak"}).content.decode()
    assert "Garage Sans Maître" in found

    response = client.post(CLAIM, {"listing": str(unclaimed.pk), "message": "Call me on +237 677 12 34 56"})

    assert response.status_code == HTTPStatus.FOUND
    claim = ListingClaim.objects.get()
    assert (claim.user, claim.mechanic, claim.status) == (other_mechanic, unclaimed, "pending")
    assert "Pending" in client.get(CLAIM).content.decode()
    # Claiming again while one waits is refused, and nothing new is stored.
    client.post(CLAIM, {"listing": str(unclaimed.pk), "message": "Again"})
    assert ListingClaim.objects.count() == 1
    assert not unclaimed.is_editable_by(other_mechanic)


def test_a_claim_needs_a_message(other_mechanic: User, unclaimed: Mechanic) -> None:
    response = signed_in(other_mechanic).post(CLAIM, {"listing": str(unclaimed.pk), "message": ""})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This field is required" in response.content.decode()
    assert not ListingClaim.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 302), ("driver", 403), ("staff", 403)])
def test_only_mechanic_accounts_claim(
    request: pytest.FixtureRequest, unclaimed: Mechanic, who: str, expected: int
) -> None:
    client = Client() if who == "anonymous" else signed_in(request.getfixturevalue(who))
    assert client.get(CLAIM).status_code == expected
    assert client.post(CLAIM, {"listing": str(unclaimed.pk), "message": "mine"}).status_code == expected
    assert not ListingClaim.objects.exists()


def test_staff_approve_a_claim_in_the_admin_which_grants_the_listing_and_audits(
    other_mechanic: User,
    unclaimed: Mechanic,
    staff: User,
    client_for: Callable[[User], APIClient],
    driver: User,
) -> None:
    signed_in(other_mechanic).post(CLAIM, {"listing": str(unclaimed.pk), "message": "It is mine"})
    claim = ListingClaim.objects.get()
    api = client_for(driver)
    assert api.get(f"/api/v1/mechanics/{unclaimed.pk}").json()["managed_by_garage"] is False

    response = signed_in(staff).post(
        "/admin/directory/listingclaim/", {"action": "approve_claims", "_selected_action": [str(claim.pk)]}
    )

    assert response.status_code == HTTPStatus.FOUND
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by) == ("approved", staff)
    assert "change_mechanic" in get_perms(other_mechanic, unclaimed)
    assert list(unclaimed.owners.all()) == [other_mechanic]
    audit = AuditEvent.objects.filter(action="mechanic_listing", user=staff)
    assert audit.filter(details__claim="approved", details__claimant=other_mechanic.email).exists()
    assert audit.filter(details__owners_added=[other_mechanic.email]).exists()
    assert api.get(f"/api/v1/mechanics/{unclaimed.pk}").json()["managed_by_garage"] is True
    assert api.get("/api/v1/mechanics", {"managed_by_garage": "true"}).json()["count"] == 1
    assert signed_in(other_mechanic).get(f"/mechanics/listings/{unclaimed.pk}/edit/").status_code == HTTPStatus.OK
    # Deciding twice is refused with a message, and changes nothing.
    signed_in(staff).post(
        "/admin/directory/listingclaim/", {"action": "reject_claims", "_selected_action": [str(claim.pk)]}
    )
    assert ListingClaim.objects.get().status == "approved"


def test_a_rejected_claim_grants_nothing(other_mechanic: User, unclaimed: Mechanic, staff: User) -> None:
    signed_in(other_mechanic).post(CLAIM, {"listing": str(unclaimed.pk), "message": "It is mine"})
    claim = ListingClaim.objects.get()
    signed_in(staff).post(
        "/admin/directory/listingclaim/", {"action": "reject_claims", "_selected_action": [str(claim.pk)]}
    )
    assert ListingClaim.objects.get().status == "rejected"
    assert not unclaimed.is_editable_by(other_mechanic)
    assert "Rejected" in signed_in(other_mechanic).get(CLAIM).content.decode()


def test_an_owner_cannot_claim_their_own_listing_again(mechanic: User, listing: Mechanic) -> None:
    signed_in(mechanic).post(CLAIM, {"listing": str(listing.pk), "message": "mine"})
    assert not ListingClaim.objects.exists()
