"""CSV export of the whole garage, and LubeLogger CSV import: dry run, row-numbered errors, no duplicates."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, Vehicle
from maintenance.models import FuelEntry, MaintenanceRecord
from tests.conftest import RLS_QUERIES
from tests.maintenance.conftest import make_record

pytestmark = pytest.mark.django_db

# As LubeLogger's exporter writes them (en-US server culture).
LUBELOGGER_FUEL = (
    "Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags,extrafield_Station\n"
    '3/2/2026,50100,40,"$33,000.00",0,True,False,First fill,,Total\n'
    "3/9/2026,50400,10,$8000.00,0,False,False,,city,Tradex\n"
    "3/16/2026,50700,32,$26400.00,7,True,False,,,Total\n"
)
LUBELOGGER_SERVICE = (
    "Date,Description,Cost,Notes,Odometer,Tags\n"
    '3/10/2026,Oil change,"$25,000.00","Synthetic, 4 L",50300,oil\n'
    "13/1/2026,Bad date,$10.00,,50301,\n"
    "3/12/2026,,$10.00,,50302,\n"
)


def csv_file(text: str, name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def import_url(vehicle: Vehicle) -> str:
    return f"/api/v1/vehicles/{vehicle.pk}/import"


def post_import(client: APIClient, vehicle: Vehicle, text: str, **fields: object):
    return client.post(import_url(vehicle), {"file": csv_file(text), **fields}, format="multipart")


def test_a_dry_run_lists_what_would_be_created_and_stores_nothing(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    response = post_import(client_for(driver), vehicle, LUBELOGGER_FUEL, kind="fuel")

    assert response.status_code == HTTPStatus.OK, response.json()
    body = response.json()
    assert (body["dry_run"], body["committed"], body["errors"], body["duplicates"]) == (True, False, [], [])
    assert [(row["row"], row["odometer_km"], row["cost"]) for row in body["created"]] == [
        (2, 50_100, "33000.00"),
        (3, 50_400, "8000.00"),
        (4, 50_700, "26400.00"),
    ]
    assert not FuelEntry.objects.exists()
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_000


def test_a_committed_fuel_import_is_stored_and_a_re_import_creates_nothing(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    first = post_import(client, vehicle, LUBELOGGER_FUEL, kind="fuel", commit="true")
    again = post_import(client, vehicle, LUBELOGGER_FUEL, kind="fuel", commit="true")

    assert first.status_code == HTTPStatus.CREATED, first.json()
    assert len(first.json()["created"]) == 3
    assert again.status_code == HTTPStatus.CREATED
    assert (again.json()["created"], again.json()["duplicates"]) == ([], [2, 3, 4])
    entries = FuelEntry.objects.filter(vehicle=vehicle).order_by("odometer_km")
    assert [(e.filled_on, e.litres, e.is_full) for e in entries] == [
        (date(2026, 3, 2), Decimal("40.000"), True),
        (date(2026, 3, 9), Decimal("10.000"), False),
        (date(2026, 3, 16), Decimal("32.000"), True),
    ]
    assert entries[1].notes == "Tags: city"
    # The economy of the imported log: 42 L over 600 km.
    assert client.get(f"/api/v1/vehicles/{vehicle.pk}/fuel-economy").json()["average"]["l_per_100km"] == "7.00"


def test_row_errors_are_numbered_and_a_commit_with_errors_stores_nothing(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    dry = post_import(client, vehicle, LUBELOGGER_SERVICE, kind="service").json()
    committed = post_import(client, vehicle, LUBELOGGER_SERVICE, kind="service", commit="true")

    assert [row["row"] for row in dry["created"]] == [2]
    assert [(e["row"], e["field"]) for e in dry["errors"]] == [(3, "date"), (4, "description")]
    assert "is not a date: use YYYY-MM-DD or MM/DD/YYYY" in dry["errors"][0]["message"]
    assert committed.status_code == HTTPStatus.BAD_REQUEST
    assert committed.json()["error"]["code"] == "validation_error"
    assert committed.json()["error"]["message"].startswith("Row 3:")
    assert not MaintenanceRecord.objects.exists()


def test_service_and_repair_records_become_completed_jobs(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    good = 'Date,Description,Cost,Notes,Odometer,Tags\n10/03/2026,Oil change,"25,000.00","Synthetic, 4 L",50300,oil\n'

    service = post_import(client, vehicle, good, kind="service", commit="true", date_order="dmy")
    repair = post_import(
        client, vehicle, good.replace("Oil change", "Water pump"), kind="repair", commit="true", date_order="dmy"
    )

    assert service.status_code == repair.status_code == HTTPStatus.CREATED
    jobs = {r.title: r for r in MaintenanceRecord.objects.filter(user=driver, vehicle=vehicle)}
    assert jobs["Oil change"].maintenance_type == "scheduled"
    assert jobs["Water pump"].maintenance_type == "corrective"
    oil = jobs["Oil change"]
    assert (oil.completed_date, oil.cost, oil.odometer_km) == (date(2026, 3, 10), Decimal(25_000), 50_300)
    assert oil.notes == "Synthetic, 4 L\nTags: oil"
    vehicle.refresh_from_db()
    assert vehicle.odometer_km == 50_300


def test_a_fill_up_going_backwards_is_a_row_error(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    text = "Date,Odometer,FuelConsumed,Cost,IsFillToFull\n2026-03-01,50100,40,100,True\n2026-03-05,49000,40,100,True\n"

    body = post_import(client_for(driver), vehicle, text, kind="fuel").json()

    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "odometer_km")]
    assert "Odometers only go forward" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("Date,Description\n2026-01-01,x\n", "service", "missing: cost"),
        ("\xff\xfe not utf-8", "fuel", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_a_lubelogger_export_is_a_clear_400(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient], text: str, kind: str, message: str
) -> None:
    upload = SimpleUploadedFile("x.csv", text.encode("latin-1"), content_type="text/csv")
    response = client_for(driver).post(import_url(vehicle), {"file": upload, "kind": kind}, format="multipart")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.json()["error"]["fields"]["file"][0]


def test_import_is_refused_to_strangers(
    driver: User, other_vehicle: Vehicle, api_client: APIClient, client_for: Callable[[User], APIClient]
) -> None:
    assert post_import(api_client, other_vehicle, LUBELOGGER_FUEL, kind="fuel").status_code == HTTPStatus.UNAUTHORIZED
    assert (
        post_import(client_for(driver), other_vehicle, LUBELOGGER_FUEL, kind="fuel", commit="true").status_code
        == HTTPStatus.NOT_FOUND
    )
    assert not FuelEntry.objects.exists()


def read_csv(response: object) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(content)))


def test_the_export_holds_all_of_the_drivers_garage_and_nobody_elses(
    driver: User,
    other_driver: User,
    vehicle: Vehicle,
    other_vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
) -> None:
    baker.make(
        FuelEntry,
        user=driver,
        vehicle=vehicle,
        filled_on=date(2026, 3, 2),
        odometer_km=50_100,
        litres=Decimal(40),
        total_cost=Decimal(33_000),
        notes='=HYPERLINK("x")',
    )
    baker.make(
        FuelEntry,
        user=other_driver,
        vehicle=other_vehicle,
        odometer_km=90_100,
        litres=Decimal(1),
        total_cost=Decimal(1),
    )
    make_record(
        driver,
        vehicle=vehicle,
        completed_date=date(2026, 3, 10),
        scheduled_date=date(2026, 3, 10),
        cost=Decimal(25_000),
        title="Oil change",
    )
    client = client_for(driver)

    vehicles = client.get("/api/v1/export/vehicles.csv")
    fuel = read_csv(client.get("/api/v1/export/fuel.csv"))
    maintenance = read_csv(client.get("/api/v1/export/maintenance.csv"))
    costs = read_csv(client.get("/api/v1/export/costs.csv"))

    assert vehicles.status_code == HTTPStatus.OK
    assert vehicles["Content-Type"].startswith("text/csv")
    assert [row["Id"] for row in read_csv(vehicles)] == [str(vehicle.pk)]
    assert [(row["Odometer"], row["FuelConsumed"], row["Cost"]) for row in fuel] == [("50100", "40.000", "33000.00")]
    assert fuel[0]["Notes"].startswith("'=")  # a spreadsheet must not run the driver's text as a formula
    assert [(row["Description"], row["Cost"], row["Completed"]) for row in maintenance] == [
        ("Oil change", "25000.00", "True")
    ]
    assert [(row["Month"], row["Maintenance"], row["Fuel"], row["Total"]) for row in costs] == [
        ("2026-03", "25000.00", "33000.00", "58000.00")
    ]


def test_an_exported_fuel_log_imports_back_as_duplicates_only(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    post_import(client, vehicle, LUBELOGGER_FUEL, kind="fuel", commit="true")
    exported = b"".join(client.get("/api/v1/export/fuel.csv").streaming_content).decode()

    body = post_import(client, vehicle, exported, kind="fuel", date_order="mdy").json()

    assert (body["errors"], body["created"], body["duplicates"]) == ([], [], [2, 3, 4])


def test_a_row_matching_a_fill_up_logged_by_hand_is_a_duplicate(
    driver: User, vehicle: Vehicle, client_for: Callable[[User], APIClient]
) -> None:
    baker.make(
        FuelEntry,
        user=driver,
        vehicle=vehicle,
        filled_on=date(2026, 3, 2),
        odometer_km=50_100,
        litres=Decimal(40),
        total_cost=Decimal(33_000),
    )

    body = post_import(client_for(driver), vehicle, LUBELOGGER_FUEL, kind="fuel").json()

    assert body["duplicates"] == [2]
    assert [row["row"] for row in body["created"]] == [3, 4]


def test_exports_are_refused_to_anonymous_callers_and_unknown_kinds_are_not_found(
    driver: User, api_client: APIClient, client_for: Callable[[User], APIClient]
) -> None:
    assert api_client.get("/api/v1/export/fuel.csv").status_code == HTTPStatus.UNAUTHORIZED
    assert client_for(driver).get("/api/v1/export/passwords.csv").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("kind", ["vehicles", "maintenance", "fuel", "costs"])
def test_exports_run_a_constant_number_of_queries(
    driver: User,
    vehicle: Vehicle,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Callable[[int], object],
    kind: str,
) -> None:
    client = client_for(driver)
    url = f"/api/v1/export/{kind}.csv"
    with django_assert_max_num_queries(6 + RLS_QUERIES) as few:
        read_csv(client.get(url))
    for index in range(10):
        car = baker.make(Vehicle, user=driver, make="Kia", model="Rio", year=2019)
        baker.make(FuelEntry, user=driver, vehicle=car, odometer_km=1000 + index, litres=Decimal(1), total_cost=1)
        make_record(driver, vehicle=car, completed_date=date(2026, 1, 1), cost=Decimal(1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(read_csv(client.get(url))) >= 10
