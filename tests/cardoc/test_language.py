"""The driver's language: the profile's locale, else Accept-Language, else English; catalog content included."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle
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


def test_account_errors_come_in_french(api_client: APIClient, driver: User) -> None:
    taken = api_client.post(
        "/api/v1/auth/register",
        {"email": driver.email, "password": "a-long-and-unusual-passphrase"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    wrong = api_client.post(
        "/api/v1/auth/login",
        {"email": driver.email, "password": "not-the-password"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    unknown = api_client.post(
        "/api/v1/auth/register",
        {"email": "new@example.com", "password": "a-long-and-unusual-passphrase", "colour": "red"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    nowhere = api_client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE="fr")

    assert taken.status_code == HTTPStatus.BAD_REQUEST
    assert taken.json()["error"]["fields"]["email"] == ["Un compte existe déjà avec cette adresse e-mail."]
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    assert wrong.json()["error"]["message"] == (
        "Aucun compte actif ne correspond à cette adresse e-mail et à ce mot de passe."
    )
    assert unknown.json()["error"]["fields"]["colour"] == ["Champ inconnu."]
    assert nowhere.status_code == HTTPStatus.NOT_FOUND
    assert nowhere.json()["error"]["message"].startswith("Aucun point d'accès de l'API à cette adresse.")
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_french_profile_gets_french_validation_with_its_own_figures(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    UserProfile.objects.update_or_create(user=driver, defaults={"locale": "fr-CM"})
    car = baker.make(Vehicle, user=driver, make="Toyota", model="Yaris", year=2011, odometer_km=182000)
    client = client_for(driver)

    backwards = client.patch(f"/api/v1/vehicles/{car.pk}", {"odometer_km": 1500}, format="json")
    staff_only = client.get("/api/v1/models")

    assert backwards.status_code == HTTPStatus.BAD_REQUEST
    message = backwards.json()["error"]["fields"]["odometer_km"][0]
    assert message.startswith("Le relevé du compteur, 1\xa0500 km, est inférieur")
    assert "182\xa0000 km" in message
    car.refresh_from_db()
    assert car.odometer_km == 182000
    assert staff_only.status_code == HTTPStatus.FORBIDDEN
    assert staff_only.json()["error"]["message"] == "Seul le personnel peut faire cela."


def test_the_reset_email_is_in_the_accounts_language_not_the_askers(
    api_client: APIClient,
    driver: User,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    UserProfile.objects.update_or_create(user=driver, defaults={"locale": "fr-CM"})

    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client.post(
            "/api/v1/auth/password-reset", {"email": driver.email}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )

    assert answer.status_code == HTTPStatus.ACCEPTED
    assert answer.json()["detail"].startswith("If an account has this address")
    [message] = mailoutbox
    assert message.subject == "Réinitialisez votre mot de passe CarDoc AI"
    assert message.body.startswith("Bonjour,\n\nQuelqu'un a demandé à réinitialiser le mot de passe")
    assert message.body.endswith("L'équipe CarDoc AI\n")
