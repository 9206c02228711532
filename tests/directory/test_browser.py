"""End to end in a real headless Chromium (Debian's, driven by Playwright): a mechanic edits their listing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from accounts.models import Role
from directory.models import Mechanic, MechanicService, Service
from tests.conftest import PASSWORD, make_user
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

    page.fill("#id_phone", "+237 699 88 77 66")
    page.fill("#id_services-0-price", "31500")
    page.click("button:has-text('Save')")

    page.wait_for_selector("text=Your listing has been saved.")
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

    page.fill("#id_latitude", "123")
    page.click("button:has-text('Save')")

    error = page.locator("#id_latitude_errors")
    error.wait_for()
    assert "less than or equal to 90" in error.inner_text()
    listing.refresh_from_db()
    assert listing.latitude == pytest.approx(3.8895)
