"""Irreversible account changes ask for the password: a stolen access token is not enough (defect 17)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.models import AccountStatus, User, Vehicle
from cardoc.models import AuditEvent, AuditStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
EMAIL = "/api/v1/me/email"


@pytest.mark.parametrize("body", [{}, {"password": "not-the-password"}])
def test_closing_the_account_without_the_password_is_refused_and_changes_nothing(
    body: dict[str, str], driver: User, client_for: Callable[[User], APIClient]
) -> None:
    Vehicle.objects.create(user=driver, make="Toyota", model="Corolla", year=2015)

    response = client_for(driver).delete(ME, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["password"]
    driver.refresh_from_db()
    assert driver.status == AccountStatus.ACTIVE
    assert driver.email == "driver@example.com"
    assert Vehicle.objects.filter(user=driver).exists()


def test_a_wrong_password_on_closing_is_audited(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client_for(driver).delete(ME, {"password": "not-the-password"})

    event = AuditEvent.objects.get(action="account_deletion")
    assert (event.user, event.status) == (driver, AuditStatus.FAILURE)


def test_closing_with_the_password_works(driver: User, client_for: Callable[[User], APIClient]) -> None:
    assert client_for(driver).delete(ME, {"password": PASSWORD}).status_code == HTTPStatus.NO_CONTENT

    driver.refresh_from_db()
    assert driver.status == AccountStatus.INACTIVE


def test_changing_the_email_needs_the_password(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).post(EMAIL, {"password": "nope-nope-nope", "new_email": "new@example.com"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["password"]
    driver.refresh_from_db()
    assert driver.email == "driver@example.com"


def test_changing_the_email_stores_it_lower_case_and_ends_sessions(driver: User) -> None:
    session = APIClient().post("/api/v1/auth/login", {"email": driver.email, "password": PASSWORD}).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")

    response = client.post(EMAIL, {"password": PASSWORD, "new_email": " New.Address@Example.com "})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["email"] == "new.address@example.com"
    driver.refresh_from_db()
    assert driver.email == "new.address@example.com"
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": session["refresh"]}).status_code == 401
    event = AuditEvent.objects.get(action="profile_update")
    assert event.details == {"changed": ["email"], "old_email": "driver@example.com"}


def test_an_email_taken_in_any_case_is_refused(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    response = client_for(driver).post(EMAIL, {"password": PASSWORD, "new_email": "OTHER.driver@example.com"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["new_email"]


def test_a_profile_update_is_audited_with_the_fields_changed_and_the_ip(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)

    response = client.patch(ME, {"full_name": "Ada L.", "units": "imperial"}, REMOTE_ADDR="198.51.100.4")

    assert response.status_code == HTTPStatus.OK
    event = AuditEvent.objects.get(action="profile_update")
    assert (event.user, event.ip_address) == (driver, "198.51.100.4")
    assert sorted(event.details["changed"]) == ["full_name", "units"]
