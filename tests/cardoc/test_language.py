"""The driver's language: the profile's locale, else Accept-Language, else English; catalog content included."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile
from catalog.models import EngineSound, WarningLight
from tests.admin_form import form_data
from tutorials.models import Tutorial

pytestmark = pytest.mark.django_db

LIGHT = "/api/v1/warning-lights/oil_pressure"


@pytest.fixture
def seeded(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    call_command("seed", verbosity=0)


def test_accept_language_fr_gives_french_catalog_content(api_client: APIClient, seeded: None) -> None:
    english = api_client.get(LIGHT, HTTP_ACCEPT_LANGUAGE="en").json()
    french = api_client.get(LIGHT, HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9").json()

    assert english["name"] == "Oil pressure warning"
    assert french["name"] == "Alerte de pression d'huile"
    assert french["common_causes"][0].startswith("Niveau d'huile moteur bas")
    assert len(french["repair_suggestions"]) == len(english["repair_suggestions"])


def test_every_light_and_sound_is_seeded_in_french(seeded: None) -> None:
    for model in (WarningLight, EngineSound):
        for entry in model.objects.all():
            assert entry.name_fr and entry.description_fr and entry.common_causes_fr, entry.code
            assert entry.name_fr != entry.name_en, entry.code


def test_every_tutorial_is_seeded_in_french_and_listed_so(api_client: APIClient, seeded: None) -> None:
    for tutorial in Tutorial.objects.all():
        assert tutorial.title_fr and tutorial.description_fr, tutorial.slug
        assert tutorial.description_fr != tutorial.description_en, tutorial.slug

    page = api_client.get("/api/v1/tutorials?page_size=50", HTTP_ACCEPT_LANGUAGE="fr").json()

    pump = next(row for row in page["results"] if row["slug"] == "water-pump-failure-signs")
    assert pump["description"].startswith("Les bruits, les fuites et les variations de température")


def test_a_translators_edit_to_a_tutorial_survives_the_next_seed(seeded: None) -> None:
    Tutorial.objects.filter(slug="replace-front-brake-pads").update(description_fr="Texte revu par la traductrice.")

    call_command("seed", verbosity=0)

    tutorial = Tutorial.objects.get(slug="replace-front-brake-pads")
    assert tutorial.description_fr == "Texte revu par la traductrice."
    assert tutorial.description_en.startswith("A full walkthrough of replacing front brake pads")


def test_a_missing_translation_falls_back_to_english_never_to_empty(api_client: APIClient) -> None:
    baker.make(WarningLight, code="odd_light", name="Odd light", description="Odd.", severity="moderate", colour="red")

    french = api_client.get("/api/v1/warning-lights/odd_light", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert (french["name"], french["description"]) == ("Odd light", "Odd.")


def test_the_public_cache_keeps_one_page_per_language(api_client: APIClient, seeded: None) -> None:
    first = api_client.get("/api/v1/warning-lights?page_size=50", HTTP_ACCEPT_LANGUAGE="en")
    french = api_client.get("/api/v1/warning-lights?page_size=50", HTTP_ACCEPT_LANGUAGE="fr")
    again = api_client.get("/api/v1/warning-lights?page_size=50", HTTP_ACCEPT_LANGUAGE="en")

    assert french["Content-Language"] == "fr" and again["Content-Language"] == "en"
    assert french["ETag"] != first["ETag"] == again["ETag"]
    assert "Alerte de pression d'huile" in french.content.decode()


def test_the_profile_locale_wins_over_accept_language(
    driver: User, client_for: Callable[[User], APIClient], seeded: None
) -> None:
    UserProfile.objects.update_or_create(user=driver, defaults={"locale": "fr-CM"})
    client = client_for(driver)

    response = client.get(LIGHT, HTTP_ACCEPT_LANGUAGE="en")
    listed = client.get("/api/v1/warning-lights?page_size=50", HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["name"] == "Alerte de pression d'huile"
    assert response["Content-Language"] == "fr"
    assert "Alerte de pression d'huile" in listed.content.decode()


def test_a_blank_profile_locale_follows_the_phone(driver: User, client_for: Callable[[User], APIClient]) -> None:
    UserProfile.objects.update_or_create(user=driver, defaults={"locale": ""})

    missing = "/api/v1/diagnostics/00000000-0000-0000-0000-000000000000/results"
    response = client_for(driver).get(missing, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["message"] == "Introuvable."


def test_errors_come_in_french_in_the_one_error_shape(
    api_client: APIClient, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    anonymous = api_client.get("/api/v1/diagnostics", HTTP_ACCEPT_LANGUAGE="fr")
    invalid = client_for(driver).post(
        "/api/v1/diagnostics", {"diagnostic_type": "dashboard_scan"}, format="multipart", HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert anonymous.json()["error"]["message"] == "Informations d'authentification non fournies."
    assert invalid.status_code == HTTPStatus.BAD_REQUEST
    assert invalid.json()["error"]["fields"]["image"] == [
        "Ce type de diagnostic (scan du tableau de bord) demande une photo du tableau de bord."
    ]


def test_staff_edit_both_languages_in_the_admin_and_search_keeps_english(
    client: Client, staff: User, seeded: None
) -> None:
    client.force_login(staff)
    light = WarningLight.objects.get(code="abs")
    url = f"/admin/catalog/warninglight/{light.pk}/change/"
    fields = form_data(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode(), "warninglight_form")
    fields["name_fr"] = "Antiblocage des roues (ABS)"
    saved = client.post(url, fields, HTTP_ACCEPT_LANGUAGE="fr")

    assert saved.status_code == HTTPStatus.FOUND
    light = WarningLight.objects.get(code="abs")
    assert (light.name_en, light.name_fr) == ("ABS warning", "Antiblocage des roues (ABS)")
    assert WarningLight.objects.search("ABS warning").first() == light
