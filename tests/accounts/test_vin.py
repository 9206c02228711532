"""Offline VIN checks on vehicle create and update: the check digit, the maker, the country and the year."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import User, UserProfile, Vehicle

pytestmark = pytest.mark.django_db

URL = "/api/v1/vehicles"
CAR = {"make": "Honda", "model": "Accord", "year": 2003}


def test_a_north_american_vin_is_checked_and_decoded(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(URL, {**CAR, "vin": " 1hgcm82633a004352 "}, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.json()
    assert response.json()["vin_info"] == {
        "manufacturer": "Honda",
        "country": "United States",
        "model_year": 2003,
        "check_digit_verified": True,
        "notes": [],
    }
    assert Vehicle.objects.get(user=driver).vin == "1HGCM82633A004352"


def test_a_wrong_check_digit_is_a_400_naming_character_9(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(URL, {**CAR, "vin": "1HGCM82643A004352"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = response.json()["error"]["fields"]["vin"][0]
    assert message.startswith("Character 9 (the check digit) is “4”, but the other characters give “3”")
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        ("1HGCM8263OA004352", "Character 10 is “O”: VINs never use I, O or Q"),
        ("1HGCM82633A00435", "A VIN has 17 characters; this one has 16."),
        ("WVWZZZ1JZXW00000-", "Character 17 is “-”: a VIN has only letters and digits."),
    ],
)
def test_a_bad_character_is_named(
    driver: User, client_for: Callable[[User], APIClient], vin: str, message: str
) -> None:
    response = client_for(driver).post(URL, {**CAR, "vin": vin}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"]["vin"][0].startswith(message)


def test_a_european_vin_has_no_check_digit_and_its_year_is_not_guessed(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    created = client.post(URL, {**CAR, "make": "Volkswagen", "year": 2012, "vin": "WVWZZZ1JZXW000001"}, format="json")

    info = created.json()["vin_info"]
    assert (info["manufacturer"], info["country"], info["check_digit_verified"]) == ("Volkswagen", "Germany", False)
    # "X" reads as 1999 (or 2029): neither is the 2012 the driver gave, so the year stays undecoded.
    assert info["model_year"] is None
    assert "does not settle the model year" in info["notes"][0]

    updated = client.patch(f"{URL}/{created.json()['id']}", {"year": 1999}, format="json")
    assert updated.json()["vin_info"]["model_year"] == 1999


def test_an_unknown_maker_is_reported_not_guessed(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(URL, {**CAR, "vin": "ZAZZZZZZZZZZZZZZZ"}, format="json")

    info = response.json()["vin_info"]
    assert (info["manufacturer"], info["country"]) == (None, "Italy")
    assert "The maker code “ZAZ” is not in our table." in info["notes"]


def test_an_update_checks_the_vin_too(driver: User, client_for: Callable[[User], APIClient]) -> None:
    vehicle = baker.make(Vehicle, user=driver, make="Honda", model="Accord", year=2003)

    response = client_for(driver).patch(f"{URL}/{vehicle.pk}", {"vin": "1HGCM82643A004352"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "check digit" in response.json()["error"]["fields"]["vin"][0]
    vehicle.refresh_from_db()
    assert vehicle.vin == ""


def test_the_currency_is_a_profile_setting(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    assert client.get("/api/v1/me").json()["currency"] == "XAF"

    assert client.patch("/api/v1/me", {"currency": "EUR"}, format="json").status_code == HTTPStatus.OK
    refused = client.patch("/api/v1/me", {"currency": "euro"}, format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "ISO 4217" in refused.json()["error"]["fields"]["currency"][0]
    assert UserProfile.objects.get(user=driver).currency == "EUR"
