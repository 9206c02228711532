"""The mechanics' web pages: who may see and edit which listing, and what an edit stores."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import get_perms

from accounts.models import User
from cardoc.models import AuditEvent
from directory.models import Mechanic, MechanicService, Service
from tests.conftest import PASSWORD
from tests.directory.factories import form_data

pytestmark = pytest.mark.django_db

LIST_URL = "/mechanics/listings/"


def edit_url(mechanic: Mechanic) -> str:
    return f"/mechanics/listings/{mechanic.pk}/edit/"


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def current_form(client: Client, mechanic: Mechanic) -> dict[str, str]:
    response = client.get(edit_url(mechanic))
    assert response.status_code == HTTPStatus.OK
    return form_data(response.content.decode())


def day_index(day: str) -> int:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(day)


# --------------------------------------------------------------------------- who may see what


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", HTTPStatus.FOUND),
        ("driver", HTTPStatus.FORBIDDEN),
        ("other_mechanic", HTTPStatus.NOT_FOUND),
        ("mechanic", HTTPStatus.OK),
        ("staff", HTTPStatus.OK),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_edit_page_permission_matrix(
    request: pytest.FixtureRequest, listing: Mechanic, who: str, expected: HTTPStatus, method: str
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = signed_in(user)
    before = Mechanic.objects.get(pk=listing.pk).updated_at
    # An empty POST from someone allowed in is re-shown with its errors (200); nothing is saved either way.
    response = getattr(client, method)(edit_url(listing), {})
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={edit_url(listing)}"
    assert Mechanic.objects.get(pk=listing.pk).updated_at == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", HTTPStatus.FOUND),
        ("driver", HTTPStatus.FORBIDDEN),
        ("mechanic", HTTPStatus.OK),
        ("staff", HTTPStatus.OK),
    ],
)
def test_the_listings_page_permission_matrix(request: pytest.FixtureRequest, who: str, expected: HTTPStatus) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    response = signed_in(user).get(LIST_URL)
    assert response.status_code == expected
    if who == "anonymous":
        assert response["Location"] == f"/accounts/login/?next={LIST_URL}"


def test_a_mechanic_sees_only_their_own_listings(mechanic: User, listing: Mechanic, other_listing: Mechanic) -> None:
    page = signed_in(mechanic).get(LIST_URL).content.decode()
    assert "Garage Owned" in page
    assert edit_url(listing) in page
    assert "Garage Elsewhere" not in page


def test_staff_see_every_listing(staff: User, listing: Mechanic, other_listing: Mechanic) -> None:
    page = signed_in(staff).get(LIST_URL).content.decode()
    assert "Garage Owned" in page
    assert "Garage Elsewhere" in page


def test_a_mechanic_with_no_listing_is_told_how_to_get_one(other_mechanic: User) -> None:
    page = signed_in(other_mechanic).get(LIST_URL).content.decode()
    assert "ask CarDoc AI staff" in page
    assert 'href="/mechanics/claim/"' in page


def test_a_mechanic_logs_in_with_email_and_lands_on_their_listings(mechanic: User, listing: Mechanic) -> None:
    client = Client()
    assert client.get("/accounts/login/").status_code == HTTPStatus.OK
    response = client.post("/accounts/login/", {"username": mechanic.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "Garage Owned" in response.content.decode()


def test_a_wrong_password_shows_an_error_on_the_login_page(mechanic: User) -> None:
    response = Client().post("/accounts/login/", {"username": mechanic.email, "password": "wrong"})
    assert response.status_code == HTTPStatus.OK
    assert "enter a correct email and password" in response.content.decode().lower()


# --------------------------------------------------------------------------- editing


def test_the_edit_form_shows_the_listing_as_stored(mechanic: User, listing: Mechanic, oil_change: Service) -> None:
    data = current_form(signed_in(mechanic), listing)
    assert data["business_name"] == "Garage Owned"
    assert data["phone"] == "+237 677 00 00 01"
    assert data["hours-0-opens"] == "08:00"
    assert data["hours-0-closes"] == "18:00"
    assert data["hours-5-closed"] == "on"  # Saturday
    assert data["services-0-service"] == str(oil_change.pk)
    assert data["services-0-price"] == "25000.00"


def test_an_owner_edits_details_hours_and_services_in_one_save(
    mechanic: User, listing: Mechanic, oil_change: Service, brake_pads: Service
) -> None:
    client = signed_in(mechanic)
    data = current_form(client, listing)
    fri, sat, mon = day_index("fri"), day_index("sat"), day_index("mon")
    data.update(
        {
            "phone": "+237 699 11 22 33",
            "address": "Rue 2, Mvog-Mbi, Yaoundé",
            "latitude": "3.8600",
            "longitude": "11.5200",
            "certification": "Brand approved",
            # Monday becomes a split day, Friday closes, Saturday opens in the morning.
            f"hours-{mon}-closes": "12:00",
            f"hours-{mon}-opens_again": "14:00",
            f"hours-{mon}-closes_again": "19:30",
            f"hours-{fri}-closed": "on",
            f"hours-{sat}-opens": "09:00",
            f"hours-{sat}-closes": "13:00",
            "services-0-price": "27500",
            "services-1-service": str(brake_pads.pk),
            "services-1-price": "60000",
        }
    )
    data.pop(f"hours-{sat}-closed")

    response = client.post(edit_url(listing), data, REMOTE_ADDR="198.51.100.7", follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain == [(edit_url(listing), HTTPStatus.FOUND)]
    assert "Your listing has been saved." in response.content.decode()
    stored = Mechanic.objects.get(pk=listing.pk)
    assert stored.phone == "+237 699 11 22 33"
    assert (stored.latitude, stored.longitude) == (3.86, 11.52)
    assert stored.certification == "Brand approved"
    assert stored.working_hours["mon"] == [["08:00", "12:00"], ["14:00", "19:30"]]
    assert stored.working_hours["fri"] == []
    assert stored.working_hours["sat"] == [["09:00", "13:00"]]
    assert stored.working_hours["sun"] == []
    prices = dict(MechanicService.objects.filter(mechanic=listing).values_list("service__name", "price"))
    assert prices == {"Oil change": Decimal("27500.00"), "Brake pads": Decimal("60000.00")}

    event = AuditEvent.objects.get(action="mechanic_listing", user=mechanic)
    assert event.ip_address == "198.51.100.7"
    assert event.details["mechanic_id"] == str(listing.pk)
    assert set(event.details["fields"]) == {
        "phone",
        "address",
        "latitude",
        "longitude",
        "certification",
        "working_hours",
    }
    assert event.details["services_added"] == ["Brake pads"]
    assert event.details["services_repriced"] == ["Oil change"]


def test_an_owner_removes_a_service(mechanic: User, listing: Mechanic) -> None:
    client = signed_in(mechanic)
    data = current_form(client, listing)
    data["services-0-DELETE"] = "on"
    assert client.post(edit_url(listing), data).status_code == HTTPStatus.FOUND
    assert not MechanicService.objects.filter(mechanic=listing).exists()
    assert AuditEvent.objects.get(action="mechanic_listing", user=mechanic).details["services_removed"] == [
        "Oil change"
    ]


def test_saving_an_unchanged_form_writes_nothing(mechanic: User, listing: Mechanic) -> None:
    client = signed_in(mechanic)
    before = Mechanic.objects.get(pk=listing.pk).updated_at
    assert client.post(edit_url(listing), current_form(client, listing)).status_code == HTTPStatus.FOUND
    assert Mechanic.objects.get(pk=listing.pk).updated_at == before
    assert not AuditEvent.objects.filter(action="mechanic_listing", user=mechanic).exists()


def test_staff_may_edit_any_listing(staff: User, listing: Mechanic) -> None:
    client = signed_in(staff)
    data = current_form(client, listing)
    data["phone"] = "+237 600 00 00 00"
    assert client.post(edit_url(listing), data).status_code == HTTPStatus.FOUND
    assert Mechanic.objects.get(pk=listing.pk).phone == "+237 600 00 00 00"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "123"}, "latitude", "less than or equal to 90"),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"business_name": ""}, "business_name", "This field is required"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"hours-0-opens": "08:00", "hours-0-closes": "08:00"}, "hours-0-closes", "must differ from opening"),
        (
            {
                "hours-0-opens": "20:00",
                "hours-0-closes": "02:00",
                "hours-0-opens_again": "03:00",
                "hours-0-closes_again": "05:00",
            },
            "hours-0-closes",
            "Only the second span may run past midnight",
        ),
        ({"hours-0-opens": ""}, "hours-0-opens", "or tick Closed"),
        ({"hours-0-opens_again": "13:00"}, "hours-0-closes_again", "both times of the second span"),
        (
            {"hours-0-closes": "12:00", "hours-0-opens_again": "11:00", "hours-0-closes_again": "15:00"},
            "hours-0-opens_again",
            "start after the first one closes",
        ),
        ({"hours-0-opens": "25:00"}, "hours-0-opens", "Use the 24-hour clock"),
        ({"hours-0-opens": "8:00 PM"}, "hours-0-opens", "Use the 24-hour clock"),
        ({"services-0-price": "-5"}, "services-0-price", "greater than or equal to 0"),
    ],
)
def test_invalid_input_is_shown_next_to_its_field_and_nothing_is_saved(
    mechanic: User, listing: Mechanic, changes: dict[str, str], field: str, message: str
) -> None:
    client = signed_in(mechanic)
    data = {**current_form(client, listing), **changes}
    before = Mechanic.objects.get(pk=listing.pk)

    response = client.post(edit_url(listing), data)

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    # The error list sits right after the field's own input, inside the same field block.
    errors_at = page.index(f'id="id_{field}_errors"')
    assert page.rindex(f'id="id_{field}"', 0, errors_at) > page.rindex('class="field', 0, errors_at)
    assert message in page[errors_at : page.index("</ul>", errors_at)]
    assert "Nothing was saved" in page
    after = Mechanic.objects.get(pk=listing.pk)
    assert (after.updated_at, after.phone, after.working_hours) == (
        before.updated_at,
        before.phone,
        before.working_hours,
    )
    assert MechanicService.objects.get(mechanic=listing).price == Decimal("25000")
    assert not AuditEvent.objects.filter(action="mechanic_listing", user=mechanic).exists()


def test_the_same_service_twice_is_refused(mechanic: User, listing: Mechanic, oil_change: Service) -> None:
    client = signed_in(mechanic)
    data = current_form(client, listing)
    data.update({"services-1-service": str(oil_change.pk), "services-1-price": "1000"})
    response = client.post(edit_url(listing), data)
    assert response.status_code == HTTPStatus.OK
    assert "duplicate" in response.content.decode().lower()
    assert MechanicService.objects.filter(mechanic=listing).count() == 1


def test_a_listing_page_needs_no_scripts_or_outside_resources(mechanic: User, listing: Mechanic) -> None:
    page = signed_in(mechanic).get(edit_url(listing)).content.decode()
    assert "<script" not in page
    assert "http://" not in page.replace("http://testserver", "")
    assert "https://" not in page
    assert '<meta name="viewport"' in page
    assert "/static/directory/site.css" in page


# --------------------------------------------------------------------------- owners, from the admin


def admin_form(client: Client, mechanic: Mechanic) -> dict[str, Any]:
    url = reverse("admin:directory_mechanic_change", args=[mechanic.pk])
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return form_data(response.content.decode())


def test_staff_assigning_an_owner_in_the_admin_grants_the_edit_permission(
    staff: User, mechanic: User, other_mechanic: User, listing: Mechanic
) -> None:
    client = signed_in(staff)
    url = reverse("admin:directory_mechanic_change", args=[listing.pk])
    data = admin_form(client, listing)
    data["owners"] = [str(other_mechanic.pk)]

    response = client.post(url, data, REMOTE_ADDR="192.0.2.1")

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    listing.refresh_from_db()
    assert list(listing.owners.all()) == [other_mechanic]
    assert get_perms(other_mechanic, listing) == ["change_mechanic"]
    assert get_perms(mechanic, listing) == []
    assert signed_in(other_mechanic).get(edit_url(listing)).status_code == HTTPStatus.OK
    assert signed_in(mechanic).get(edit_url(listing)).status_code == HTTPStatus.NOT_FOUND
    event = AuditEvent.objects.get(action="mechanic_listing", user=staff)
    assert event.details["owners_added"] == [other_mechanic.email]
    assert event.details["owners_removed"] == [mechanic.email]


def test_a_driver_cannot_be_made_an_owner(staff: User, driver: User, listing: Mechanic) -> None:
    client = signed_in(staff)
    data = admin_form(client, listing)
    data["owners"] = [str(driver.pk)]
    response = client.post(reverse("admin:directory_mechanic_change", args=[listing.pk]), data)
    assert response.status_code == HTTPStatus.OK
    assert "Only mechanic accounts can own a listing" in response.content.decode()
    assert get_perms(driver, listing) == []


def test_a_listing_created_in_the_admin_gets_its_owners(staff: User, mechanic: User) -> None:
    client = signed_in(staff)
    data = form_data(client.get(reverse("admin:directory_mechanic_add")).content.decode())
    data.update(
        {
            "business_name": "New Garage",
            "address": "Rue 9, Yaoundé",
            "latitude": "3.85",
            "longitude": "11.50",
            "working_hours": "{}",
            "owners": [str(mechanic.pk)],
        }
    )
    response = client.post(reverse("admin:directory_mechanic_add"), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    garage = Mechanic.objects.get(business_name="New Garage")
    assert get_perms(mechanic, garage) == ["change_mechanic"]


# --------------------------------------------------------------------------- the sectioned page


def test_the_edit_page_is_folded_into_sections_on_the_24_hour_clock(mechanic: User, listing: Mechanic) -> None:
    Mechanic.objects.filter(pk=listing.pk).update(currency="NGN")
    page = signed_in(mechanic).get(edit_url(listing)).content.decode()
    for section in ("business", "contact", "location", "hours", "services"):
        assert f'id="section-{section}"' in page
    assert '<details class="card section" id="section-business" open>' in page
    assert '<details class="card section" id="section-hours">' in page  # folded until needed
    assert 'type="time"' not in page  # the browser's locale would show AM/PM
    assert 'placeholder="HH:MM"' in page
    assert "Price (NGN)" in page
    assert "Services and prices (NGN)" in page


def test_a_section_with_a_mistake_opens_by_itself(mechanic: User, listing: Mechanic) -> None:
    client = signed_in(mechanic)
    data = current_form(client, listing) | {"hours-2-opens": "7pm"}
    page = client.post(edit_url(listing), data).content.decode()
    assert '<details class="card section" id="section-hours" open>' in page
    assert '<details class="card section" id="section-contact">' in page


def test_an_owner_sets_description_languages_payments_time_zone_and_currency(mechanic: User, listing: Mechanic) -> None:
    client = signed_in(mechanic)
    data = current_form(client, listing) | {
        "description": "Toyota specialists since 1998.",
        "languages": "fr, EN",
        "payment_methods": ["cash", "mobile_money"],
        "time_zone": "Africa/Lagos",
        "currency": "NGN",
        f"hours-{day_index('fri')}-closes": "02:00",  # open late: past midnight
    }
    assert client.post(edit_url(listing), data).status_code == HTTPStatus.FOUND
    stored = Mechanic.objects.get(pk=listing.pk)
    assert stored.description == "Toyota specialists since 1998."
    assert stored.languages == ["fr", "en"]
    assert stored.payment_methods == ["cash", "mobile_money"]
    assert (stored.time_zone, stored.currency) == ("Africa/Lagos", "NGN")
    assert stored.working_hours["fri"] == [["08:00", "02:00"]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"languages": "french"}, "languages"),
        ({"payment_methods": ["cheque"]}, "payment_methods"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"currency": "francs"}, "currency"),
    ],
)
def test_bad_listing_details_are_refused(mechanic: User, listing: Mechanic, changes: dict, field: str) -> None:
    client = signed_in(mechanic)
    response = client.post(edit_url(listing), current_form(client, listing) | changes)
    assert response.status_code == HTTPStatus.OK
    assert f'id="id_{field}_errors"' in response.content.decode()
    stored = Mechanic.objects.get(pk=listing.pk)
    assert (stored.languages, stored.payment_methods, stored.currency) == ([], [], "XAF")
