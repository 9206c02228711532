"""OBD-II trouble codes: the seeded set, GET /trouble-codes/{code}, search, and the 400 for a malformed code."""

from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import TroubleCode
from catalog.services import trouble_codes_upsert
from catalog.trouble_codes import trouble_code_rows
from tests.diagnostics.conftest import seed_catalog

pytestmark = pytest.mark.django_db

URL = "/api/v1/trouble-codes"


@pytest.fixture
def codes(db: None) -> None:
    """The seeded codes over a few lights and sounds: quicker than the whole catalog with its icons."""
    seed_catalog("check_engine", "oil_pressure", "misfire")
    trouble_codes_upsert(rows=trouble_code_rows())


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
