"""Which directory services fix which catalog entries: seeded for every light and sound, edited in the admin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from catalog.models import EngineSound, WarningLight
from directory.models import Service, ServiceForLight, ServiceForSound
from directory.services import SERVICE_FIXES_FILE

pytestmark = pytest.mark.django_db

CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "seed" / "catalog.json"


def test_the_seed_file_names_real_services_for_every_light_and_sound_of_the_catalog() -> None:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    fixes = json.loads(SERVICE_FIXES_FILE.read_text(encoding="utf-8"))
    services = {row["name"] for row in catalog["services"]}

    assert set(fixes["warning_lights"]) == {row["code"] for row in catalog["warning_lights"]}
    assert set(fixes["engine_sounds"]) == {row["code"] for row in catalog["engine_sounds"]}
    for names in [*fixes["warning_lights"].values(), *fixes["engine_sounds"].values()]:
        assert names and set(names) <= services


def test_seeding_links_every_light_and_sound_and_a_second_run_changes_nothing(seeded: None) -> None:
    assert not WarningLight.objects.filter(repair_services__isnull=True).exists()
    assert not EngineSound.objects.filter(repair_services__isnull=True).exists()
    pump = EngineSound.objects.get(code="water_pump")
    assert set(pump.repair_services.values_list("name", flat=True)) == {
        "Water pump replacement",
        "Coolant flush and refill",
    }
    links = (
        sorted(ServiceForLight.objects.values_list("pk", flat=True)),
        sorted(ServiceForSound.objects.values_list("pk", flat=True)),
    )

    out = io.StringIO()
    call_command("seed", stdout=out)

    assert (
        sorted(ServiceForLight.objects.values_list("pk", flat=True)),
        sorted(ServiceForSound.objects.values_list("pk", flat=True)),
    ) == links
    assert "repairs per service" in out.getvalue()


def test_a_service_whose_repairs_staff_changed_keeps_them_when_seeded_again(seeded: None) -> None:
    service = Service.objects.get(name="Water pump replacement")
    ServiceForSound.objects.filter(service=service).delete()
    ServiceForSound.objects.create(service=service, engine_sound=EngineSound.objects.get(code="belt_squeal"))

    call_command("seed", stdout=io.StringIO())

    assert list(service.engine_sounds.values_list("code", flat=True)) == ["belt_squeal"]
    assert list(service.warning_lights.values_list("code", flat=True)) == ["coolant_temp"]  # untouched


def test_staff_edit_the_repairs_from_the_service_page(seeded: None, staff: User, client: Client) -> None:
    client.force_login(staff)
    service = Service.objects.get(name="Thermostat replacement")
    page = client.get(f"/admin/directory/service/{service.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "warning lights it fixes" in html.lower() and "engine sounds it fixes" in html.lower()

    lights = list(ServiceForLight.objects.filter(service=service))
    battery = WarningLight.objects.get(code="battery")
    form = {
        "name_en": service.name_en,
        "name_fr": "Changement du thermostat",
        "category": service.category,
        "description_en": service.description_en,
        "description_fr": service.description_fr,
        "cost_min": str(service.cost_min),
        "cost_max": str(service.cost_max),
        "currency": service.currency,
        "light_links-TOTAL_FORMS": str(len(lights) + 1),
        "light_links-INITIAL_FORMS": str(len(lights)),
        "light_links-MIN_NUM_FORMS": "0",
        "light_links-MAX_NUM_FORMS": "1000",
        "sound_links-TOTAL_FORMS": "0",
        "sound_links-INITIAL_FORMS": "0",
        "sound_links-MIN_NUM_FORMS": "0",
        "sound_links-MAX_NUM_FORMS": "1000",
    }
    for index, link in enumerate(lights):
        form |= {
            f"light_links-{index}-id": str(link.pk),
            f"light_links-{index}-service": str(service.pk),
            f"light_links-{index}-warning_light": str(link.warning_light_id),
        }
    form |= {f"light_links-{len(lights)}-warning_light": str(battery.pk)}

    response = client.post(f"/admin/directory/service/{service.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert battery in service.warning_lights.all()
    # Both languages are edited on the one page; the original column keeps the English name.
    stored = Service.objects.rewrite(False).values("name", "name_en", "name_fr").get(pk=service.pk)  # type: ignore[attr-defined]
    assert stored == {
        "name": "Thermostat replacement",
        "name_en": "Thermostat replacement",
        "name_fr": "Changement du thermostat",
    }


def test_the_light_and_the_sound_pages_list_the_services_that_fix_them(
    seeded: None, staff: User, client: Client
) -> None:
    client.force_login(staff)
    light = WarningLight.objects.get(code="coolant_temp")
    sound = EngineSound.objects.get(code="water_pump")

    light_page = client.get(f"/admin/catalog/warninglight/{light.pk}/change/").content.decode()
    sound_page = client.get(f"/admin/catalog/enginesound/{sound.pk}/change/").content.decode()

    assert "services that fix it" in light_page.lower()
    assert "services that fix it" in sound_page.lower()
    for link in ServiceForSound.objects.filter(engine_sound=sound):
        assert f'value="{link.service_id}"' in sound_page
