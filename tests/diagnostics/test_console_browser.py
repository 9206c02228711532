"""The staff console in a real headless Chromium at 1280×900: every page opens, without a server error, a
failed request or a script error, and shows what it is for. Screenshots go to ``CONSOLE_SCREENSHOTS`` (or a
temporary folder) so that a person can look at them.

The data is real: the curated catalog and demo garages as ``load_catalog --demo`` loads them, the bundled
models as ``load_models`` deploys them, and diagnostics analysed by those models through the API.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.urls import reverse
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from cardoc.models import AppSetting
from diagnostics.models import DiagnosticRecord, DiagnosticStatus
from directory.models import Mechanic, Review
from maintenance.models import CalendarFeed, MaintenanceRecord, Notification
from mlops.models import MLModel, ModelStatus, ModelType
from tests.conftest import PASSWORD
from tests.diagnostics.media_factory import RECORDINGS, dashboard_photo, real_recording, upload, wav_bytes
from tests.directory.test_browser import CHROMIUM, CHROMIUM_ARGS, allow_sync_orm_in_playwright

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

__all__ = ["allow_sync_orm_in_playwright"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

VIEWPORT = {"width": 1280, "height": 900}
PROJECT_APPS = {"cardoc", "accounts", "catalog", "tutorials", "directory", "mlops", "diagnostics", "maintenance"}


@dataclass
class Visit:
    """What went wrong while a page loaded: answers of 400 and over (the page's or its resources') and
    uncaught script errors."""

    failures: list[str] = field(default_factory=list)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def desktop(allow_sync_orm_in_playwright: None) -> Iterator[tuple[Any, Visit]]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        visit = Visit()
        # The browser asks for /favicon.ico on its own; the site declares none, so that one miss is not a page's.
        page.on(
            "response",
            lambda r: (
                visit.failures.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on("pageerror", lambda error: visit.failures.append(f"script error: {error}"))
        try:
            yield page, visit
        finally:
            context.close()
            browser.close()


@pytest.fixture
def catalog_icons_served(settings: Any, tmp_path: Path) -> None:
    """The catalog's icons go into this test's media folder, which /media/ serves (MEDIA_ROOT is read per request)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _diagnose(client: APIClient, **files: Any) -> DiagnosticRecord:
    kind = "combined" if len(files) == 2 else "dashboard_scan" if "image" in files else "engine_sound"
    response = client.post("/api/v1/diagnostics?wait=30", {"diagnostic_type": kind, **files}, format="multipart")
    record = DiagnosticRecord.objects.get(pk=response.json()["id"])
    assert record.status == DiagnosticStatus.COMPLETED, record.error_message
    return record


def _recording() -> bytes:
    # A real fault after a second of silence gives the timeline two lanes; a tone where the data is absent.
    if (RECORDINGS / "water_pump").is_dir():
        return real_recording("water_pump", after_silence_s=1.0)
    return wav_bytes(3.0)


@pytest.fixture
def console_data(
    catalog_icons_served: None, tasks_sync: None, client_for: Callable[[User], APIClient]
) -> dict[str, Any]:
    """A row of every model the console shows, made the way the product makes them."""
    call_command("load_catalog", "--demo", verbosity=0)
    call_command("load_models", verbosity=0)
    driver = User.objects.create_user(email="driver@example.com", password=PASSWORD)
    staff = User.objects.create_user(
        email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True, role="administrator"
    )
    vehicle = baker.make(Vehicle, user=driver, make="Toyota", model="Corolla", year=2015, nickname="Daily")
    api = client_for(driver)
    combined = _diagnose(
        api,
        image=upload("dashboard.jpg", dashboard_photo("oil_pressure", "battery", "seatbelt"), "image/jpeg"),
        audio=upload("engine.wav", _recording(), "audio/wav"),
    )
    _diagnose(api, image=upload("dashboard.jpg", dashboard_photo("check_engine"), "image/jpeg"))
    record = baker.make(
        MaintenanceRecord,
        user=driver,
        vehicle=vehicle,
        diagnostic=combined,
        title="Replace the oil pressure switch",
        maintenance_type="corrective",
        reminder_status="pending",
        completed_date=None,
        cost=None,
    )
    baker.make(Notification, user=driver, kind="maintenance_due", title="Repair due", maintenance_record=record)
    baker.make(CalendarFeed, user=driver)
    baker.make(Review, user=driver, mechanic=Mechanic.objects.first(), rating=4, comment="Quick and fair.")
    AppSetting.objects.get_or_create(
        key="reminder-days-ahead", defaults={"value": 7, "data_type": "integer", "category": "notifications"}
    )
    return {"staff": staff, "combined": combined, "maintenance": record}


def _open(page: Any, visit: Visit, url: str, screenshots: Path, name: str) -> None:
    before = len(visit.failures)
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    assert visit.failures[before:] == [], f"{url}: {visit.failures[before:]}"
    assert page.locator("#content").count() == 1, f"{url}: no #content"


def _login(page: Any, base: str, staff: User) -> None:
    page.goto(f"{base}{reverse('admin:login')}")
    page.fill("#id_username", staff.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}{reverse('admin:index')}")


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False, SECURE_SSL_REDIRECT=False)
def test_every_console_page_opens_and_shows_its_parts(
    live_server: Any, desktop: tuple[Any, Visit], console_data: dict[str, Any], screenshots: Path
) -> None:
    page, visit = desktop
    base = live_server.url
    _login(page, base, console_data["staff"])

    # The overview: figures and server-drawn charts, no script needed.
    _open(page, visit, f"{base}{reverse('admin:index')}", screenshots, "00-index")
    assert page.locator("#console-overview svg.console-chart").count() == 3
    assert page.locator("#console-today-total").inner_text().startswith("2")
    assert page.locator("#console-models tbody tr").count() == 2
    assert "no feedback yet" in page.locator("#console-models").inner_text()

    # A diagnostic: the photo with its boxes, the player over its timeline, findings linked to the catalog.
    combined = console_data["combined"]
    detections = combined.result.detections.count()
    lights = combined.result.detections.filter(warning_light__isnull=False).count()
    _open(
        page,
        visit,
        f"{base}{reverse('admin:diagnostics_diagnosticrecord_change', args=[combined.pk])}",
        screenshots,
        "01-diagnostic",
    )
    photo = page.locator(".console-photo svg")
    assert photo.locator("image").count() == 1
    assert photo.locator("g rect").count() == 2 * lights
    assert photo.bounding_box()["width"] <= 722
    assert page.locator("audio[controls]").count() == 1
    assert page.locator(".console-timeline svg rect").count() >= 1
    assert page.locator(".field-findings a[href*='/admin/catalog/']").count() == detections
    assert page.locator(".field-findings a[href*='/admin/catalog/warninglight/']").count() == lights == 3
    # The photo the overlay shows really loads, from the staff-only view.
    assert (
        page.evaluate("fetch(document.querySelector('.console-photo image').getAttribute('href')).then(r => r.status)")
        == 200
    )

    # A model: the labelled heatmap and the worst confusions.
    dashboard = MLModel.objects.get(model_type=ModelType.IMAGE_CLASSIFICATION, status=ModelStatus.ACTIVE)
    _open(page, visit, f"{base}{reverse('admin:mlops_mlmodel_change', args=[dashboard.pk])}", screenshots, "02-model")
    assert page.locator(".console-heatmap svg rect.cell").count() == 40 * 40
    assert page.locator("#worst-confusions tbody tr").count() == 10
    assert "All traffic not routed to a testing model" in page.locator(".field-traffic").inner_text()

    # The editors: lines for the English causes, a week of times for hours; a change goes through the browser.
    light = apps.get_model("catalog", "WarningLight").objects.get(code="oil_pressure")
    _open(
        page,
        visit,
        f"{base}{reverse('admin:catalog_warninglight_change', args=[light.pk])}",
        screenshots,
        "03-warning-light",
    )
    causes = page.locator("#id_common_causes_en input[type=text]")
    assert causes.count() == len(light.common_causes) + 2
    causes.nth(len(light.common_causes)).fill("A loose sensor connector")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    light.refresh_from_db()
    assert light.common_causes[-1] == "A loose sensor connector"

    garage = Mechanic.objects.order_by("business_name").first()
    _open(
        page, visit, f"{base}{reverse('admin:directory_mechanic_change', args=[garage.pk])}", screenshots, "04-mechanic"
    )
    assert page.locator(".console-hours-widget input").count() == 7 * 2 * 2
    page.fill("#id_working_hours_sun_0_opens", "09:00")
    page.fill("#id_working_hours_sun_0_closes", "12:00")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    garage.refresh_from_db()
    assert garage.working_hours["sun"] == [["09:00", "12:00"]]

    # Every model's list and one of its forms (or its add page when it has no row).
    staff_request = RequestFactory().get("/admin/")
    staff_request.user = console_data["staff"]
    for number, (model, model_admin) in enumerate(
        sorted(
            ((m, a) for m, a in admin.site._registry.items() if m._meta.app_label in PROJECT_APPS),
            key=lambda item: item[0]._meta.label,
        ),
        start=10,
    ):
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        _open(page, visit, f"{base}{reverse(f'admin:{label}_changelist')}", screenshots, f"{number}-{label}-list")
        assert page.locator("#changelist").count() == 1, label
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            url = reverse(f"admin:{label}_change", args=[row.pk])
        elif model_admin.has_add_permission(staff_request):
            url = reverse(f"admin:{label}_add")
        else:
            continue
        _open(page, visit, f"{base}{url}", screenshots, f"{number}-{label}-form")
        assert page.locator(f"#{model._meta.model_name}_form").count() == 1, label
