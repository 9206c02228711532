"""End to end in a real headless Chromium (Debian's, driven by Playwright): the garage's side of the directory."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from model_bakery import baker

from accounts.models import Role, Vehicle
from catalog.models import WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from directory.models import ListingClaim, Mechanic, MechanicService, Review, Service
from directory.services import review_submit
from maintenance.models import Notification, QuoteRequest
from maintenance.services import quote_requests_send
from tests.conftest import PASSWORD, make_user
from tests.diagnostics.media_factory import image_bytes
from tests.directory.factories import make_listing

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def allow_sync_orm_in_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API runs an event loop in this thread, and Django then refuses ORM calls here; the
    # test reads the database only between browser steps, never from inside the loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(allow_sync_orm_in_playwright: None) -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


# The live server speaks plain HTTP, so cookies must not be HTTPS-only whatever DEBUG says.
@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_SSL_REDIRECT=False)
def _wait_until_loaded(page: Any, selector: str, timeout_s: float = 5.0) -> None:
    """Wait for an image to finish loading, polled from here: the pages' CSP forbids the string evaluation
    that Playwright's wait_for_function runs inside the page."""
    image = page.locator(selector)
    deadline = time.monotonic() + timeout_s
    while not image.evaluate("img => img.complete"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} did not load within {timeout_s} s")
        page.wait_for_timeout(100)


def test_a_mechanic_logs_in_and_edits_phone_and_price(live_server: Any, page: Any) -> None:
    owner = make_user("garage.owner@example.com", role=Role.MECHANIC)
    oil = Service.objects.create(name="Oil change", category="maintenance", cost_min=10000, cost_max=40000)
    listing = make_listing("Garage du Test", owners=[owner])
    MechanicService.objects.create(mechanic=listing, service=oil, price=Decimal("25000"))

    page.goto(f"{live_server.url}/mechanics/listings/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mechanics/listings/")

    page.click("text=Garage du Test")
    page.wait_for_url(f"{live_server.url}/mechanics/listings/{listing.pk}/edit/")
    assert page.input_value("#id_phone") == "+237 677 00 00 01"
    assert page.input_value("#id_services-0-price") == "25000.00"

    # The page is folded into sections; the one a field is in opens with a click on its title.
    assert not page.is_visible("#id_phone")
    page.click("summary:has-text('Contact')")
    page.fill("#id_phone", "+237 699 88 77 66")
    page.click("summary:has-text('Services and prices')")
    page.fill("#id_services-0-price", "31500")
    page.click("button:has-text('Save')")

    page.wait_for_selector("text=Your listing has been saved.")
    page.click("summary:has-text('Contact')")
    page.click("summary:has-text('Services and prices')")
    assert page.input_value("#id_phone") == "+237 699 88 77 66"
    assert page.input_value("#id_services-0-price") == "31500.00"
    stylesheet_applied = page.evaluate("getComputedStyle(document.querySelector('.button')).borderRadius")
    assert stylesheet_applied != "0px"

    listing.refresh_from_db()
    assert listing.phone == "+237 699 88 77 66"
    assert MechanicService.objects.get(mechanic=listing, service=oil).price == Decimal("31500")
    assert Mechanic.objects.get(pk=listing.pk).working_hours["mon"] == [["08:00", "18:00"]]


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_SSL_REDIRECT=False)
def test_a_mistake_is_shown_next_to_its_field(live_server: Any, page: Any) -> None:
    owner = make_user("garage.owner@example.com", role=Role.MECHANIC)
    listing = make_listing("Garage du Test", owners=[owner])

    page.goto(f"{live_server.url}/accounts/login/?next=/mechanics/listings/{listing.pk}/edit/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mechanics/listings/{listing.pk}/edit/")

    page.click("summary:has-text('Address and location')")
    page.fill("#id_latitude", "123")
    page.click("button:has-text('Save')")

    # The section holding the mistake opens by itself.
    error = page.locator("#id_latitude_errors")
    error.wait_for()
    assert page.is_visible("#id_latitude_errors")
    assert "less than or equal to 90" in error.inner_text()
    listing.refresh_from_db()
    assert listing.latitude == pytest.approx(3.8895)


# --------------------------------------------------------------------------- the garage's side, at 1280×900


@pytest.fixture
def desktop(allow_sync_orm_in_playwright: None, tmp_path: Any) -> Iterator[Any]:
    """A 1280×900 page that records every server error; screenshots go to $CARDOC_SCREENSHOTS if set."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        page.server_errors = []
        page.on("response", lambda response: response.status >= 500 and page.server_errors.append(response.url))
        page.shots = Path(os.environ.get("CARDOC_SCREENSHOTS") or tmp_path)
        page.shots.mkdir(parents=True, exist_ok=True)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(page.shots / f"{name}.png"), full_page=True)
    assert page.server_errors == [], page.server_errors


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_SSL_REDIRECT=False, TASKS_SYNC=True)
def test_a_garage_replies_adds_a_photo_answers_a_quote_and_claims_a_listing(
    live_server: Any, desktop: Any, media_root: Path, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": tmp_path / "private", "base_url": None}},
    }
    page = desktop
    owner = make_user("garage.owner@example.com", role=Role.MECHANIC)
    driver = make_user("ada.driver@example.com")
    pump = Service.objects.create(name="Water pump replacement", category="cooling", cost_min=1, cost_max=9)
    listing = make_listing("Garage du Test", owners=[owner])
    MechanicService.objects.create(mechanic=listing, service=pump, price=Decimal("80000"))
    make_listing("Garage Orphelin", address="Carrefour Nlongkak, Yaoundé")
    review, _ = review_submit(user=driver, mechanic=listing, rating=3, comment="Good work but slow.")
    vehicle = baker.make(Vehicle, user=driver, make="Toyota", model="Corolla", year=2018)
    light = baker.make(WarningLight, code="coolant", name="Coolant temperature", severity="critical", colour="red")
    diagnosis = baker.make(DiagnosticRecord, user=driver, vehicle=vehicle, diagnostic_type="dashboard_scan")
    diagnosis.status = "completed"
    diagnosis.image.save("panel.png", ContentFile(image_bytes((96, 64))), save=True)
    result = baker.make(DiagnosticResult, record=diagnosis, overall_confidence=0.9, urgency="soon")
    baker.make(Detection, result=result, warning_light=light, engine_sound=None, confidence=0.9)
    (quote,) = quote_requests_send(user=driver, diagnostic=diagnosis, mechanics=[listing], share_photo=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mechanics/listings/")
    assert page.is_visible("text=Managed by the garage")
    shoot(page, "01-listings")

    page.click("a:has-text('Edit')")
    page.wait_for_selector("summary:has-text('Working hours')")
    shoot(page, "02-edit-folded")
    page.click("summary:has-text('Working hours')")
    page.fill("#id_hours-4-closes", "02:00")  # Friday: open late, past midnight
    page.click("summary:has-text('Services and prices')")
    assert page.is_visible("text=Price (XAF)")
    shoot(page, "03-edit-open")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Your listing has been saved.")
    assert Mechanic.objects.get(pk=listing.pk).working_hours["fri"] == [["08:00", "02:00"]]

    page.click("nav.tabs >> text=Reviews")
    page.fill(f"#id_reply_{review.pk}_reply", "Thank you! The part came late; we have changed supplier.")
    page.click("button:has-text('Publish reply')")
    page.wait_for_selector("text=Your reply is published.")
    shoot(page, "04-reviews")
    assert Review.objects.get(pk=review.pk).reply.startswith("Thank you!")

    page.click("nav.tabs >> text=Photos")
    photo_file = tmp_path / "front.jpg"
    photo_file.write_bytes(image_bytes((1200, 800), fmt="JPEG"))
    page.set_input_files("#id_image", str(photo_file))
    page.fill("#id_caption", "The front of the garage")
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=Your photo has been added.")
    # The thumbnail was made by the task once the upload committed; the browser fetched it publicly.
    page.locator(".photo img").wait_for()
    _wait_until_loaded(page, ".photo img")
    assert page.evaluate("document.querySelector('.photo img').naturalWidth") == 480
    shoot(page, "05-photos")

    page.click("nav.site-nav >> text=Quote requests")
    page.click(f"#quote-{quote.pk} a")
    page.wait_for_selector("text=What the diagnosis found")
    _wait_until_loaded(page, ".quote-photo")
    assert page.evaluate("document.querySelector('.quote-photo').naturalWidth") == 96
    assert page.is_visible("text=Toyota Corolla (2018)")
    page.fill("#id_price", "85000")
    page.fill("#id_available_on", (date.today() + timedelta(days=3)).isoformat())
    page.fill("#id_message", "Bring the car at 8.")
    shoot(page, "06-quote")
    page.click("button:has-text('Send the quote')")
    page.wait_for_selector("text=Your answer has been sent to the driver.")
    shoot(page, "07-quote-answered")
    assert QuoteRequest.objects.get(pk=quote.pk).price == Decimal("85000")
    assert Notification.objects.filter(user=driver, kind="quote_answered").exists()

    page.click("nav.site-nav >> text=Claim a listing")
    page.fill("#id_q", "nlongkak")
    page.click("button:has-text('Search')")
    page.fill("textarea[name=message]", "Call the garage on +237 677 12 34 56.")
    page.click("button:has-text('Claim this listing')")
    page.wait_for_selector("text=our staff will check your claim")
    shoot(page, "08-claim")
    assert ListingClaim.objects.get().user == owner
