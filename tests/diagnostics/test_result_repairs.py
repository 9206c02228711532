"""The result's next step: the services that fix each finding and, near the driver, garages that offer them."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.services import content_seed
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult
from directory.models import Mechanic, MechanicService, Service, ServiceForSound
from tests.conftest import RLS_QUERIES
from tests.diagnostics.media_factory import photo

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"
# The centre of Yaoundé (Poste centrale), where the demo garages are.
YAOUNDE = (3.8667, 11.5167)
ALWAYS_OPEN = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def seeded(settings: Any, tmp_path: Path) -> None:
    """The curated catalog, its services and their repairs, and the demo garages, as `make run` seeds them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    content_seed(demo=True)


def _finding(user: User, *, sound: str | None = None, light: str | None = None, **fields: Any) -> DiagnosticRecord:
    record = baker.make(
        DiagnosticRecord,
        user=user,
        diagnostic_type="engine_sound" if sound else "dashboard_scan",
        status="completed",
        **fields,
    )
    result = baker.make(DiagnosticResult, record=record, overall_confidence=0.9, urgency="soon")
    if sound:
        baker.make(
            Detection,
            result=result,
            engine_sound=EngineSound.objects.get(code=sound),
            confidence=0.9,
            start_s=0,
            end_s=3,
        )
    if light:
        baker.make(Detection, result=result, warning_light=WarningLight.objects.get(code=light), confidence=0.8)
    return record


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = (math.radians(v) for v in (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_a_water_pump_near_yaounde_names_garages_that_replace_water_pumps_nearest_first(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(driver, sound="water_pump")

    response = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": f"{YAOUNDE[0]},{YAOUNDE[1]}"})

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["near"] == {"latitude": YAOUNDE[0], "longitude": YAOUNDE[1], "source": "near"}
    repairs = {r["service"]["name"]: r for r in body["detections"][0]["repairs"]}
    pump = repairs["Water pump replacement"]
    stored = Service.objects.get(name="Water pump replacement")
    assert (pump["service"]["cost_min"], pump["service"]["cost_max"]) == (f"{stored.cost_min}", f"{stored.cost_max}")
    # Exactly the demo garages that offer the repair, the three nearest of them, nearest first.
    offering = Mechanic.objects.filter(offerings__service=stored)
    expected = sorted(offering, key=lambda m: (_distance_km(YAOUNDE, (m.latitude, m.longitude)), m.business_name))[:3]
    assert [g["business_name"] for g in pump["garages"]] == [m.business_name for m in expected]
    distances = [g["distance_km"] for g in pump["garages"]]
    assert distances == sorted(distances)
    for garage, mechanic in zip(pump["garages"], expected, strict=True):
        assert garage["distance_km"] == pytest.approx(
            _distance_km(YAOUNDE, (mechanic.latitude, mechanic.longitude)), abs=0.01
        )
        price = MechanicService.objects.get(mechanic=mechanic, service=stored).price
        assert garage["price"] == (None if price is None else f"{price:.2f}")
        assert garage["open_now"] is mechanic.is_open_at(timezone.now())
        assert garage["rating"] == f"{mechanic.rating}"


def test_the_upload_location_finds_garages_without_near(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(driver, sound="water_pump", latitude=YAOUNDE[0], longitude=YAOUNDE[1])

    body = client_for(driver).get(f"{URL}/{record.pk}/results").json()

    assert body["near"]["source"] == "upload"
    pump = next(r for r in body["detections"][0]["repairs"] if r["service"]["name"] == "Water pump replacement")
    assert len(pump["garages"]) == 3
    # The detail carries the same repairs.
    detail = client_for(driver).get(f"{URL}/{record.pk}").json()
    assert detail["result"]["detections"][0]["repairs"] == body["detections"][0]["repairs"]


def test_without_a_location_the_repairs_come_with_costs_and_no_garages(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(driver, light="coolant_temp")

    body = client_for(driver).get(f"{URL}/{record.pk}/results").json()

    assert body["near"] is None
    names = {r["service"]["name"] for r in body["detections"][0]["repairs"]}
    assert names == set(Service.objects.filter(warning_lights__code="coolant_temp").values_list("name", flat=True))
    assert "Water pump replacement" in names
    assert all(r["garages"] == [] for r in body["detections"][0]["repairs"])


def test_garages_far_away_are_not_listed(seeded: None, driver: User, client_for: Callable[[User], APIClient]) -> None:
    record = _finding(driver, sound="water_pump")

    body = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": "4.0511,9.7679"}).json()  # Douala

    assert all(r["garages"] == [] for r in body["detections"][0]["repairs"])


def test_it_lists_at_most_three_garages_per_service_and_an_unpriced_one_has_a_null_price(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    sound = baker.make(EngineSound, code="water_pump", severity="moderate", frequency_low_hz=1, frequency_high_hz=2)
    service = baker.make(Service, name="Water pump replacement", cost_min=10, cost_max=20, category="cooling")
    ServiceForSound.objects.create(service=service, engine_sound=sound)
    for index in range(5):
        garage = baker.make(
            Mechanic,
            business_name=f"Garage {index}",
            latitude=YAOUNDE[0] + 0.01 * (5 - index),
            longitude=YAOUNDE[1],
            working_hours=ALWAYS_OPEN,
            time_zone="Africa/Douala",
        )
        baker.make(
            MechanicService, mechanic=garage, service=service, price=None if index == 4 else Decimal(1000 + index)
        )
    record = _finding(driver, sound="water_pump")

    body = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": f"{YAOUNDE[0]},{YAOUNDE[1]}"}).json()

    garages = body["detections"][0]["repairs"][0]["garages"]
    assert [g["business_name"] for g in garages] == ["Garage 4", "Garage 3", "Garage 2"]
    assert [g["price"] for g in garages] == [None, "1003.00", "1002.00"]
    assert all(g["open_now"] for g in garages)


def _hours_around_now(zone: str, *, open_now: bool) -> dict[str, list[list[str]]]:
    """Every day open for the two hours from this hour in ``zone``, or for the two hours six hours away."""
    local = timezone.localtime(timezone.now(), ZoneInfo(zone))
    start = (local.hour + (0 if open_now else 6)) % 24
    span = [f"{start:02d}:00", f"{(start + 2) % 24:02d}:00"]
    return {day: [span] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_open_now_is_read_in_each_garages_own_time_zone(driver: User, client_for: Callable[[User], APIClient]) -> None:
    sound = baker.make(EngineSound, code="water_pump", severity="moderate", frequency_low_hz=1, frequency_high_hz=2)
    service = baker.make(Service, name="Water pump replacement", cost_min=10, cost_max=20, category="cooling")
    ServiceForSound.objects.create(service=service, engine_sound=sound)
    garages = {
        "Open in Douala": ("Africa/Douala", _hours_around_now("Africa/Douala", open_now=True)),
        "Closed in Douala": ("Africa/Douala", _hours_around_now("Africa/Douala", open_now=False)),
        # Open now by Tokyo's clock, eight hours ahead of Yaoundé's: read in Douala's, it would be closed.
        "Open in Tokyo": ("Asia/Tokyo", _hours_around_now("Asia/Tokyo", open_now=True)),
    }
    for index, (name, (zone, hours)) in enumerate(garages.items()):
        garage = baker.make(
            Mechanic,
            business_name=name,
            latitude=YAOUNDE[0] + 0.01 * index,
            longitude=YAOUNDE[1],
            working_hours=hours,
            time_zone=zone,
        )
        baker.make(MechanicService, mechanic=garage, service=service, price=Decimal(1000))
    record = _finding(driver, sound="water_pump")

    body = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": f"{YAOUNDE[0]},{YAOUNDE[1]}"}).json()

    listed = {g["business_name"]: g["open_now"] for g in body["detections"][0]["repairs"][0]["garages"]}
    assert listed == {"Open in Douala": True, "Closed in Douala": False, "Open in Tokyo": True}


def test_results_with_garages_take_a_constant_number_of_queries(
    seeded: None,
    driver: User,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(driver)
    near = {"near": f"{YAOUNDE[0]},{YAOUNDE[1]}"}
    # Both with a light and a sound: a prefetch with nothing to fetch for one kind makes no query at all.
    one = _finding(driver, sound="water_pump", light="battery")
    many = _finding(driver, sound="engine_knock", light="coolant_temp")
    for code in ("battery", "brake", "check_engine", "oil_pressure"):
        baker.make(Detection, result=many.result, warning_light=WarningLight.objects.get(code=code), confidence=0.5)

    client.get(f"{URL}/{one.pk}/results", near)  # warm the token and content caches
    # The record, its result, the detections and their catalog entries, services and tutorials (prefetched),
    # the models, and one query for every garage of every repair, open-now flags included.
    budget = 9 + RLS_QUERIES
    with django_assert_max_num_queries(budget) as few:
        assert client.get(f"{URL}/{one.pk}/results", near).status_code == HTTPStatus.OK
    with django_assert_max_num_queries(budget) as lots:
        body = client.get(f"{URL}/{many.pk}/results", near).json()
    assert len(body["detections"]) == 6
    assert sum(len(r["garages"]) for d in body["detections"] for r in d["repairs"]) > 6
    assert len(lots.captured_queries) == len(few.captured_queries)
    garage_queries = [q["sql"] for q in lots.captured_queries if '"directory_mechanic"' in q["sql"]]
    assert len(garage_queries) == 1, garage_queries


@pytest.mark.parametrize(
    "near",
    ["yaounde", "3.86", "91,11.5", "3.8,181", "nan,11.5", "3.8,11.5,2"],
)
def test_a_bad_near_is_a_400_naming_it(
    near: str, seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(driver, sound="water_pump")

    response = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": near})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "near" in error["fields"]


def test_near_on_another_drivers_results_is_a_404(
    seeded: None, driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(other_driver, sound="water_pump")

    response = client_for(driver).get(f"{URL}/{record.pk}/results", {"near": "3.8,11.5"})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_an_upload_stores_its_location(tasks_sync: None, driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(
        URL,
        {"diagnostic_type": "dashboard_scan", "image": photo(), "latitude": "3.8667", "longitude": "11.5167"},
        format="multipart",
    )

    assert response.status_code in (HTTPStatus.ACCEPTED, HTTPStatus.CREATED), response.content
    stored = DiagnosticRecord.objects.get(pk=response.json()["id"])
    assert stored.location == (3.8667, 11.5167)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"latitude": "3.8667"}, "longitude"),
        ({"longitude": "11.5"}, "latitude"),
        ({"latitude": "95", "longitude": "11.5"}, "latitude"),
        ({"latitude": "3.8", "longitude": "-200"}, "longitude"),
        ({"latitude": "north", "longitude": "11.5"}, "latitude"),
    ],
)
def test_an_upload_with_a_bad_location_is_a_400_and_stores_nothing(
    fields: dict[str, str], named: str, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(
        URL, {"diagnostic_type": "dashboard_scan", "image": photo(), **fields}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert named in response.json()["error"]["fields"]
    assert not DiagnosticRecord.objects.exists()


def test_a_french_request_names_the_repair_services_in_french(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    record = _finding(driver, sound="water_pump")

    # The middleware activates French on this thread; the block puts English back for the tests after this one.
    with translation.override("en"):
        response = client_for(driver).get(f"{URL}/{record.pk}/results", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.OK, response.content
    names = {r["service"]["name"] for r in response.json()["detections"][0]["repairs"]}
    assert "Remplacement de la pompe à eau" in names
    assert "Water pump replacement" not in names
    # The English stays in the original column, which the seed matches on and listings' search text copies.
    originals = Service.objects.rewrite(False)  # type: ignore[attr-defined]  # modeltranslation's queryset
    stored = originals.filter(name_fr="Remplacement de la pompe à eau").values_list("name", flat=True).get()
    assert stored == "Water pump replacement"


def test_a_service_with_no_french_name_reads_in_english_to_a_french_driver(
    seeded: None, driver: User, client_for: Callable[[User], APIClient]
) -> None:
    Service.objects.filter(name_en="Water pump replacement").update(name_fr=None, description_fr="")
    record = _finding(driver, sound="water_pump")

    # The middleware activates French on this thread; the block puts English back for the tests after this one.
    with translation.override("en"):
        response = client_for(driver).get(f"{URL}/{record.pk}/results", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == HTTPStatus.OK, response.content
    services = {r["service"]["name"]: r["service"] for r in response.json()["detections"][0]["repairs"]}
    assert "Water pump replacement" in services
    assert services["Water pump replacement"]["description"].startswith("Replace a leaking or noisy water pump")
    assert "Vidange et remplissage du liquide de refroidissement" in services  # the others still read in French
