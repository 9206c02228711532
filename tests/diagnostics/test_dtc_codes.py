"""A diagnostic carrying the codes a driver's OBD-II scanner read: they join the findings and the urgency."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from catalog.models import WarningLight
from catalog.services import trouble_codes_french_upsert, trouble_codes_upsert
from catalog.trouble_codes import trouble_code_rows
from diagnostics.models import Detection, DiagnosticRecord, FindingFeedback
from directory.models import Mechanic, MechanicService, Service, ServiceForLight

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
YAOUNDE = (3.8667, 11.5167)


@pytest.fixture
def trouble_codes(catalog: None) -> None:
    """The seeded codes, linked to the few lights and sounds the ``catalog`` fixture holds."""
    rows = trouble_code_rows()
    trouble_codes_upsert(rows=rows)
    trouble_codes_french_upsert(rows=rows)


def test_a_misfire_code_returns_a_misfire_finding_with_its_urgency(
    driver: User,
    trouble_codes: None,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    vehicle = baker.make(Vehicle, user=driver, make="Toyota", model="Yaris", year=2015, odometer_km=80_000)
    client = client_for(driver)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL,
            {
                "diagnostic_type": "trouble_codes",
                "dtc_codes": ["p0301"],
                "vehicle": str(vehicle.pk),
                "odometer_km": 80_500,
            },
            format="json",
        )

    assert response.status_code == HTTPStatus.ACCEPTED, response.json()
    body = client.get(f"{URL}/{response.json()['id']}").json()
    assert body["status"] == "completed"
    assert (body["dtc_codes"], body["odometer_km"]) == (["P0301"], 80_500)
    assert body["result"]["urgency"] == "immediate"
    (finding,) = body["result"]["detections"]
    assert finding["confidence"] == 1.0
    entry = finding["entry"]
    assert (entry["kind"], entry["code"], entry["severity"]) == ("trouble_code", "P0301", "critical")
    assert "misfire" in entry["name"].lower()
    # The links through which the garages that fix a check-engine light or a misfire apply to this code.
    assert entry["warning_lights"] == ["check_engine"]
    record = DiagnosticRecord.objects.get(pk=body["id"])
    assert (record.dtc_codes, record.odometer_km) == (["P0301"], 80_500)
    assert Detection.objects.get(result__record=record).trouble_code.code == "P0301"


def test_a_french_driver_reads_the_codes_findings_in_french_and_an_english_one_in_english(
    driver: User,
    trouble_codes: None,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(URL, {"diagnostic_type": "trouble_codes", "dtc_codes": ["P0301", "P0524"]}, format="json")
    url = f"{URL}/{created.json()['id']}/results"

    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr-CM,fr;q=0.9").json()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()

    entries = {d["entry"]["code"]: d["entry"] for d in french["detections"]}
    assert entries["P0301"]["name"] == "P0301 Raté d'allumage détecté sur le cylindre 1"
    assert entries["P0301"]["description"].startswith("Le cylindre 1 n'allume pas correctement")
    assert entries["P0301"]["common_causes"][0] == "Bougie usée sur le cylindre 1"
    assert entries["P0524"]["name"] == "P0524 Pression d'huile moteur trop basse"
    assert entries["P0524"]["repair_suggestions"][0] == "Vérifiez le niveau d'huile et faites l'appoint"
    names = {d["entry"]["code"]: d["entry"]["name"] for d in english["detections"]}
    assert names == {"P0301": "P0301 Cylinder 1 misfire detected", "P0524": "P0524 Engine oil pressure too low"}


def test_codes_the_catalog_lacks_are_kept_in_the_analysis_and_the_worst_code_decides(
    driver: User,
    trouble_codes: None,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"diagnostic_type": "trouble_codes", "dtc_codes": ["P0442", "P1ABC"]}, format="json"
        )

    body = client.get(f"{URL}/{response.json()['id']}").json()
    assert body["result"]["urgency"] == "monitoring"  # a small evaporative leak
    assert [d["entry"]["code"] for d in body["result"]["detections"]] == ["P0442"]
    record = DiagnosticRecord.objects.get(pk=body["id"])
    assert record.result.analysis["not_in_catalog"] == ["P1ABC"]


@pytest.mark.parametrize("code", ["P301", "X0301", "P04201", "P0G00"])
def test_a_malformed_code_gets_a_400_that_says_the_expected_shape(
    driver: User, client_for: Callable[[User], APIClient], code: str
) -> None:
    response = client_for(driver).post(URL, {"diagnostic_type": "trouble_codes", "dtc_codes": [code]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = str(response.json()["error"]["fields"]["dtc_codes"])
    assert "a letter P, B, C or U, then a digit 0 to 3" in message
    assert not DiagnosticRecord.objects.exists()


def test_a_trouble_codes_diagnostic_needs_codes(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(URL, {"diagnostic_type": "trouble_codes"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "dtc_codes" in response.json()["error"]["fields"]
    assert not DiagnosticRecord.objects.exists()


def test_a_misfire_code_names_the_garages_near_yaounde_that_fix_its_light(
    driver: User,
    trouble_codes: None,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    service = baker.make(Service, name="Engine diagnostics", cost_min=5000, cost_max=15000, category="diagnostics")
    ServiceForLight.objects.create(service=service, warning_light=WarningLight.objects.get(code="check_engine"))
    hours = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    near, far = (
        baker.make(
            Mechanic,
            business_name=name,
            latitude=YAOUNDE[0] + offset,
            longitude=YAOUNDE[1],
            working_hours=hours,
            time_zone="Africa/Douala",
        )
        for name, offset in (("Garage du Centre", 0.01), ("Garage de Mvan", 0.05))
    )
    for garage in (far, near):
        baker.make(MechanicService, mechanic=garage, service=service, price=Decimal(8000))
    client = client_for(driver)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(URL, {"diagnostic_type": "trouble_codes", "dtc_codes": ["P0301"]}, format="json")
    assert created.status_code == HTTPStatus.ACCEPTED, created.json()

    response = client.get(f"{URL}/{created.json()['id']}/results", {"near": f"{YAOUNDE[0]},{YAOUNDE[1]}"})

    assert response.status_code == HTTPStatus.OK, response.json()
    (finding,) = response.json()["detections"]
    (repair,) = finding["repairs"]
    assert repair["service"]["name"] == "Engine diagnostics"
    assert [garage["business_name"] for garage in repair["garages"]] == ["Garage du Centre", "Garage de Mvan"]


def test_a_driver_confirms_a_trouble_code_finding(
    driver: User,
    trouble_codes: None,
    tasks_sync: None,
    client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(driver)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(URL, {"diagnostic_type": "trouble_codes", "dtc_codes": ["P0301"]}, format="json")
    record_id = created.json()["id"]
    (finding,) = client.get(f"{URL}/{record_id}/results").json()["detections"]

    response = client.post(
        f"{URL}/{record_id}/feedback", {"findings": [{"finding": finding["id"], "verdict": "confirmed"}]}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert FindingFeedback.objects.get().predicted_code == "P0301"
