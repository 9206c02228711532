"""OBD-II trouble codes: the seeded set, GET /trouble-codes/{code}, search, and the 400 for a malformed code."""

from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import TroubleCode
from catalog.services import trouble_codes_french_upsert, trouble_codes_upsert
from catalog.trouble_codes import trouble_code_rows
from tests.admin_form import form_data
from tests.diagnostics.conftest import seed_catalog

pytestmark = pytest.mark.django_db

URL = "/api/v1/trouble-codes"


@pytest.fixture
def codes(db: None) -> None:
    """The seeded codes over a few lights and sounds: quicker than the whole catalog with its icons."""
    seed_catalog("check_engine", "oil_pressure", "misfire")
    rows = trouble_code_rows()
    trouble_codes_upsert(rows=rows)
    trouble_codes_french_upsert(rows=rows)


def test_the_seed_holds_the_generic_powertrain_set_and_common_body_chassis_network_codes(seeded: None) -> None:
    codes = set(TroubleCode.objects.values_list("code", flat=True))

    assert {f"P03{n:02d}" for n in range(13)} <= codes  # random misfire and cylinders 1-12
    assert {"P0100", "P0171", "P0420", "P0455", "P0524", "P0700"} <= codes
    assert sum(code.startswith("P0") for code in codes) >= 250
    assert {"B0001", "C0035", "U0100"} <= codes
    misfire = TroubleCode.objects.get(code="P0301")
    assert list(misfire.warning_lights.values_list("code", flat=True)) == ["check_engine"]
    assert list(misfire.engine_sounds.values_list("code", flat=True)) == ["misfire"]
    # Most P0 codes turn the check-engine light on.
    p0 = TroubleCode.objects.filter(code__startswith="P0")
    assert p0.filter(warning_lights__code="check_engine").count() == p0.count()


def test_seeding_again_changes_nothing_and_keeps_staff_edits(seeded: None) -> None:
    TroubleCode.objects.filter(code="P0420").update(meaning="Catalytic converter worn out (staff wording)")

    output = io.StringIO()
    call_command("load_catalog", stdout=output)

    assert TroubleCode.objects.get(code="P0420").meaning == "Catalytic converter worn out (staff wording)"
    assert "trouble codes: 0 created, 0 updated" in output.getvalue()


def test_a_driver_reads_one_code(codes: None, driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).get(f"{URL}/p0301")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["code"], body["system"], body["severity"], body["urgency"]) == ("P0301", "P", "critical", "immediate")
    assert body["meaning"] == "Cylinder 1 misfire detected"
    assert body["warning_lights"] == ["check_engine"]
    assert body["common_causes"]


def test_search_finds_codes_by_their_start_or_by_words(
    codes: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    by_start = client.get(URL, {"search": "P030", "page_size": 100}).json()
    by_words = client.get(URL, {"search": "misfire cylinder 12"}).json()
    by_light = client.get(URL, {"warning_light": "oil_pressure", "page_size": 100}).json()

    assert [row["code"] for row in by_start["results"]] == [f"P030{n}" for n in range(10)]
    assert "P0312" in [row["code"] for row in by_words["results"]]
    assert "P0524" in [row["code"] for row in by_light["results"]]


@pytest.mark.parametrize("code", ["P301", "X0301", "P04201", "p0g00", "P4000"])
def test_a_malformed_code_gets_a_400_that_says_the_expected_shape(
    codes: None, driver: User, client_for: Callable[[User], APIClient], code: str
) -> None:
    response = client_for(driver).get(f"{URL}/{code}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "a letter P, B, C or U, then a digit 0 to 3" in error["fields"]["code"][0]


def test_a_well_formed_code_we_do_not_hold_is_not_found(
    codes: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    assert client_for(driver).get(f"{URL}/P1234").status_code == HTTPStatus.NOT_FOUND


def test_anonymous_callers_are_refused(codes: None, api_client: APIClient) -> None:
    assert api_client.get(URL).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.get(f"{URL}/P0301").status_code == HTTPStatus.UNAUTHORIZED


def test_the_list_runs_a_constant_number_of_queries(
    codes: None,
    driver: User,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    client = client_for(driver)
    with django_assert_max_num_queries(10) as few:
        assert len(client.get(URL, {"page_size": 5}).json()["results"]) == 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(URL, {"page_size": 100}).json()["results"]) == 100


def test_a_code_reads_in_the_callers_language(
    codes: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    french = client.get(f"{URL}/P0301", HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9")
    english = client.get(f"{URL}/P0301", HTTP_ACCEPT_LANGUAGE="en")

    assert french["Content-Language"] == "fr"
    body = french.json()
    assert body["meaning"] == "Raté d'allumage détecté sur le cylindre 1"
    assert body["description"].startswith("Le cylindre 1 n'allume pas correctement")
    assert body["common_causes"][0] == "Bougie usée sur le cylindre 1"
    assert body["repair_suggestions"][0].startswith("Permutez la bobine")
    assert english.json()["meaning"] == "Cylinder 1 misfire detected"
    assert english.json()["common_causes"][0] == "A worn spark plug in cylinder 1"
    stored = TroubleCode.objects.get(code="P0301")
    assert (stored.meaning_en, stored.meaning_fr) == (english.json()["meaning"], body["meaning"])


def test_every_seeded_code_has_its_own_french_text(seeded: None) -> None:
    codes = TroubleCode.objects.all()

    assert codes.count() == len(trouble_code_rows()) == 286
    for code in codes:
        assert code.meaning_fr and code.description_fr, code.code
        assert code.meaning_fr != code.meaning_en, code.code
        assert len(code.common_causes_fr) == len(code.common_causes_en), code.code
        assert len(code.repair_suggestions_fr) == len(code.repair_suggestions_en), code.code
    # The families read as French, with the sensor's article folded in ("du capteur", never "de le capteur").
    assert TroubleCode.objects.get(code="P0335").description_fr.startswith(
        "Le calculateur moteur ne reçoit aucun signal cohérent du capteur A de position du vilebrequin."
    )
    assert (
        TroubleCode.objects.get(code="P0136").meaning_fr
        == "Sonde lambda (banc 1, sonde 2) : dysfonctionnement du circuit"
    )
    assert TroubleCode.objects.get(code="P0174").meaning_fr == "Mélange trop pauvre (banc 2)"
    assert not TroubleCode.objects.filter(description_fr__contains="de le ").exists()


def test_a_code_without_french_falls_back_to_english_never_to_empty(
    codes: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    TroubleCode.objects.filter(code="P0420").update(
        meaning_fr="", description_fr="", common_causes_fr=[], repair_suggestions_fr=[]
    )

    body = client_for(driver).get(f"{URL}/P0420", HTTP_ACCEPT_LANGUAGE="fr").json()

    stored = TroubleCode.objects.get(code="P0420")
    assert (body["meaning"], body["description"]) == (stored.meaning_en, stored.description_en)
    assert body["common_causes"] == stored.common_causes_en
    assert body["repair_suggestions"] == stored.repair_suggestions_en


def test_search_finds_codes_by_french_or_english_words_in_either_language(
    codes: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    french_words = client.get(URL, {"search": "raté cylindre 12"}, HTTP_ACCEPT_LANGUAGE="fr").json()
    english_words = client.get(URL, {"search": "misfire cylinder 12"}, HTTP_ACCEPT_LANGUAGE="fr").json()
    by_start = client.get(URL, {"search": "P030", "page_size": 100}, HTTP_ACCEPT_LANGUAGE="fr").json()

    assert "P0312" in [row["code"] for row in french_words["results"]]
    assert [row["code"] for row in english_words["results"]] == [row["code"] for row in french_words["results"]]
    assert [row["code"] for row in by_start["results"]] == [f"P030{n}" for n in range(10)]
    assert next(row for row in english_words["results"] if row["code"] == "P0312")["meaning"] == (
        "Raté d'allumage détecté sur le cylindre 12"
    )


def test_a_translators_edit_to_a_code_survives_the_next_seed(seeded: None) -> None:
    TroubleCode.objects.filter(code="P0301").update(meaning_fr="Raté d'allumage, cylindre 1 (revu)")

    output = io.StringIO()
    call_command("load_catalog", stdout=output)

    stored = TroubleCode.objects.get(code="P0301")
    assert stored.meaning_fr == "Raté d'allumage, cylindre 1 (revu)"
    assert stored.meaning_en == "Cylinder 1 misfire detected"
    assert "trouble codes (French): 0 created, 0 updated" in output.getvalue()


def test_staff_edit_a_code_in_both_languages_and_english_search_still_finds_it(
    client: Client, staff: User, codes: None
) -> None:
    client.force_login(staff)
    code = TroubleCode.objects.get(code="P0524")
    url = f"/admin/catalog/troublecode/{code.pk}/change/"
    fields = form_data(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode(), "troublecode_form")
    assert fields["meaning_en"] == "Engine oil pressure too low"
    assert fields["meaning_fr"] == "Pression d'huile moteur trop basse"
    fields["meaning_fr"] = "Pression d'huile trop faible"
    fields["common_causes_fr"] = ["Manque d'huile", "Pompe à huile usée"]

    saved = client.post(url, fields, HTTP_ACCEPT_LANGUAGE="fr")

    assert saved.status_code == HTTPStatus.FOUND, saved.content.decode()[:2000]
    code = TroubleCode.objects.get(code="P0524")
    assert (code.meaning_en, code.meaning_fr) == ("Engine oil pressure too low", "Pression d'huile trop faible")
    assert code.common_causes_fr == ["Manque d'huile", "Pompe à huile usée"]
    assert code in TroubleCode.objects.search("oil pressure too low")
    assert code in TroubleCode.objects.search("huile trop faible")
