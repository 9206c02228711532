"""Quote requests: a driver asks up to 3 garages from a diagnosis; a garage answers on its pages; the driver
is notified. Each request is visible to its two parties only, tested both ways."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from diagnostics.models import DiagnosticRecord
from directory.models import Mechanic
from maintenance.models import Notification, QuoteRequest
from tests.diagnostics.media_factory import image_bytes
from tests.directory.factories import make_listing
from tests.maintenance.conftest import make_diagnostic, make_light

pytestmark = pytest.mark.django_db


def quotes_url(diagnostic: DiagnosticRecord) -> str:
    return f"/api/v1/diagnostics/{diagnostic.pk}/quote-requests"


def page_url(quote: QuoteRequest) -> str:
    return f"/mechanics/quotes/{quote.pk}/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def garage(mechanic: User) -> Mechanic:
    return make_listing("Garage Owned", owners=[mechanic], currency="XAF")


@pytest.fixture
def other_garage(other_mechanic: User) -> Mechanic:
    return make_listing("Garage Elsewhere", owners=[other_mechanic])


@pytest.fixture
def diagnostic(driver: User, vehicle: Vehicle, settings: Any, tmp_path: Any) -> DiagnosticRecord:
    settings.STORAGES = {**settings.STORAGES, "private": {**settings.STORAGES["private"]}}
    settings.STORAGES["private"]["OPTIONS"] = {"location": tmp_path / "private", "base_url": None}
    light = make_light("coolant_temp", "Coolant temperature warning", causes=["Failing water pump"])
    record = make_diagnostic(driver, urgency="soon", vehicle=vehicle, lights=[(light, 0.88)])
    record.image.save("panel.png", ContentFile(image_bytes((64, 48))), save=True)
    return record


@pytest.fixture
def api(client_for: Callable[[User], APIClient], driver: User) -> APIClient:
    return client_for(driver)


def ask(api: APIClient, diagnostic: DiagnosticRecord, *garages: Mechanic, **extra: Any) -> Any:
    return api.post(quotes_url(diagnostic), {"mechanics": [str(g.pk) for g in garages], **extra}, format="json")


def test_a_driver_asks_garages_for_a_quote_from_a_diagnosis(
    api: APIClient, diagnostic: DiagnosticRecord, garage: Mechanic, other_garage: Mechanic, driver: User
) -> None:
    response = ask(api, diagnostic, garage, other_garage, message="Before Friday please")

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert {item["mechanic_name"] for item in response.json()} == {"Garage Owned", "Garage Elsewhere"}
    quote = QuoteRequest.objects.get(mechanic=garage)
    assert (quote.user, quote.diagnostic, quote.status, quote.share_photo) == (driver, diagnostic, "pending", False)
    assert quote.repair == "Repair: Coolant temperature warning"
    assert "Failing water pump" in quote.finding
    assert quote.vehicle == "Toyota Corolla (2018)"
    assert [item["id"] for item in api.get(quotes_url(diagnostic)).json()] != []


def test_at_most_three_garages_per_diagnosis_in_all(api: APIClient, diagnostic: DiagnosticRecord) -> None:
    garages = [make_listing(f"G{index}") for index in range(4)]
    assert ask(api, diagnostic, *garages).status_code == HTTPStatus.BAD_REQUEST
    assert ask(api, diagnostic, *garages[:2]).status_code == HTTPStatus.CREATED
    too_many = ask(api, diagnostic, *garages[2:])
    assert too_many.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 3" in too_many.json()["error"]["fields"]["mechanics"][0]
    again = ask(api, diagnostic, garages[0])
    assert "Already asked" in again.json()["error"]["fields"]["mechanics"][0]
    assert ask(api, diagnostic, garages[2]).status_code == HTTPStatus.CREATED
    assert QuoteRequest.objects.count() == 3


def test_only_a_completed_diagnosis_can_be_sent(api: APIClient, driver: User, garage: Mechanic) -> None:
    pending = make_diagnostic(driver, status="pending", with_result=False)
    response = ask(api, pending, garage)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"]["code"] == "diagnostic_not_completed"
    assert not QuoteRequest.objects.exists()


def test_another_drivers_diagnosis_is_not_found(
    client_for: Callable[[User], APIClient], other_driver: User, diagnostic: DiagnosticRecord, garage: Mechanic
) -> None:
    other = client_for(other_driver)
    assert ask(other, diagnostic, garage).status_code == HTTPStatus.NOT_FOUND
    assert other.get(quotes_url(diagnostic)).status_code == HTTPStatus.NOT_FOUND
    assert not QuoteRequest.objects.exists()


def test_the_quote_endpoints_need_a_signed_in_caller(api_client: APIClient, diagnostic: DiagnosticRecord) -> None:
    for path in (quotes_url(diagnostic), "/api/v1/quote-requests", f"/api/v1/quote-requests/{diagnostic.pk}"):
        assert api_client.get(path).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(quotes_url(diagnostic), {}).status_code == HTTPStatus.UNAUTHORIZED
    assert not QuoteRequest.objects.exists()


def test_the_garage_answers_on_its_page_and_the_driver_is_notified(
    api: APIClient,
    diagnostic: DiagnosticRecord,
    garage: Mechanic,
    mechanic: User,
    driver: User,
    mailoutbox: list,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ask(api, diagnostic, garage)
    quote = QuoteRequest.objects.get()
    page = signed_in(mechanic)
    listed = page.get("/mechanics/quotes/").content.decode()
    assert "Repair: Coolant temperature warning" in listed
    detail = page.get(page_url(quote)).content.decode()
    assert "Toyota Corolla (2018)" in detail
    assert "Price (XAF)" in detail
    assert "did not share the photo" in detail

    day = timezone.localdate() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            page_url(quote), {"price": "85000", "available_on": day.isoformat(), "message": "Bring it"}
        )

    assert response.status_code == HTTPStatus.FOUND
    quote.refresh_from_db()
    assert (quote.status, quote.price, quote.available_on, quote.answered_by) == (
        "answered",
        Decimal("85000"),
        day,
        mechanic,
    )
    body = api.get(f"/api/v1/quote-requests/{quote.pk}").json()
    assert (body["status"], body["price"], body["currency"], body["garage_message"]) == (
        "answered",
        "85000.00",
        "XAF",
        "Bring it",
    )
    notification = Notification.objects.get(user=driver, kind="quote_answered")
    assert notification.quote_request == quote
    assert "85,000 XAF" in notification.title
    assert [mail.to for mail in mailoutbox] == [[driver.email]]
    assert "85,000 XAF" in mailoutbox[0].subject
    notes = api.get("/api/v1/notifications").json()["results"]
    assert notes[0]["quote_request"] == str(quote.pk)
    # Answered once: the form is gone and a second answer is refused.
    page.post(page_url(quote), {"price": "1", "available_on": day.isoformat()})
    assert QuoteRequest.objects.get().price == Decimal("85000")


def test_a_garage_may_decline(
    api: APIClient, diagnostic: DiagnosticRecord, garage: Mechanic, mechanic: User, driver: User
) -> None:
    ask(api, diagnostic, garage)
    quote = QuoteRequest.objects.get()
    signed_in(mechanic).post(page_url(quote), {"decline": "", "message": "No parts for this model"})
    assert QuoteRequest.objects.get().status == "declined"
    assert Notification.objects.get(user=driver).body == "No parts for this model"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"available_on": "2099-01-01"}, "price"),
        ({"price": "100"}, "available_on"),
        ({"price": "-5", "available_on": "2099-01-01"}, "price"),
        ({"price": "100", "available_on": "2000-01-01"}, "available_on"),
    ],
)
def test_a_bad_answer_is_shown_next_to_its_field_and_nothing_is_sent(
    api: APIClient, diagnostic: DiagnosticRecord, garage: Mechanic, mechanic: User, data: dict, field: str
) -> None:
    ask(api, diagnostic, garage)
    quote = QuoteRequest.objects.get()
    response = signed_in(mechanic).post(page_url(quote), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert QuoteRequest.objects.get().status == "pending"
    assert not Notification.objects.exists()


def test_the_photo_is_shown_only_when_the_driver_agrees(
    api: APIClient,
    diagnostic: DiagnosticRecord,
    garage: Mechanic,
    other_garage: Mechanic,
    mechanic: User,
    other_mechanic: User,
) -> None:
    ask(api, diagnostic, garage, share_photo=True)
    ask(api, diagnostic, other_garage, share_photo=False)
    shared = QuoteRequest.objects.get(mechanic=garage)
    private = QuoteRequest.objects.get(mechanic=other_garage)

    photo = signed_in(mechanic).get(f"{page_url(shared)}photo/")
    assert photo.status_code == HTTPStatus.OK
    assert b"".join(photo.streaming_content)[:4] == b"\x89PNG"
    assert signed_in(other_mechanic).get(f"{page_url(private)}photo/").status_code == HTTPStatus.NOT_FOUND


def test_a_request_is_visible_to_its_two_parties_only(
    api: APIClient,
    client_for: Callable[[User], APIClient],
    diagnostic: DiagnosticRecord,
    garage: Mechanic,
    mechanic: User,
    other_mechanic: User,
    other_driver: User,
    driver: User,
) -> None:
    ask(api, diagnostic, garage, share_photo=True)
    quote = QuoteRequest.objects.get()

    # The driver's side: theirs in the API; another driver sees nothing.
    assert api.get(f"/api/v1/quote-requests/{quote.pk}").status_code == HTTPStatus.OK
    assert [item["id"] for item in api.get("/api/v1/quote-requests").json()["results"]] == [str(quote.pk)]
    other = client_for(other_driver)
    assert other.get(f"/api/v1/quote-requests/{quote.pk}").status_code == HTTPStatus.NOT_FOUND
    assert other.get("/api/v1/quote-requests").json()["results"] == []
    # The garage reads it on its pages, not through the driver API.
    assert client_for(mechanic).get(f"/api/v1/quote-requests/{quote.pk}").status_code == HTTPStatus.NOT_FOUND
    assert signed_in(mechanic).get(page_url(quote)).status_code == HTTPStatus.OK
    # Another garage finds nothing, cannot answer and cannot see the photo.
    stranger = signed_in(other_mechanic)
    assert quote.repair not in stranger.get("/mechanics/quotes/").content.decode()
    assert stranger.get(page_url(quote)).status_code == HTTPStatus.NOT_FOUND
    assert stranger.get(f"{page_url(quote)}photo/").status_code == HTTPStatus.NOT_FOUND
    day = (date.today() + timedelta(days=2)).isoformat()
    assert stranger.post(page_url(quote), {"price": "1", "available_on": day}).status_code == HTTPStatus.NOT_FOUND
    # Drivers are not let into the garages' pages at all.
    assert signed_in(driver).get(page_url(quote)).status_code == HTTPStatus.FORBIDDEN
    assert QuoteRequest.objects.get().status == "pending"
