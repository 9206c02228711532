"""Every sign-in door (API, mechanics' web page, admin) is throttled, locks out and is audited alike."""

from __future__ import annotations

import importlib
import re
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Role, User
from cardoc.models import AuditEvent, AuditStatus
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

API_LOGIN = "/api/v1/auth/login"
WEB_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def web_login(path: str, email: str, password: str, ip: str = "203.0.113.1") -> Client:
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest-browser/1.0")
    client.post(path, {"username": email, "password": password, "next": "/admin/"})
    return client


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", [WEB_LOGIN, ADMIN_LOGIN])
def test_the_right_password_is_refused_after_the_per_account_limit(path: str, staff: User) -> None:
    for attempt in range(5):
        assert not signed_in(web_login(path, staff.email, "wrong-password", ip=f"203.0.113.{attempt + 1}"))

    client = web_login(path, staff.email, PASSWORD, ip="203.0.113.77")

    assert not signed_in(client)
    assert not AuditEvent.objects.filter(action="login", status=AuditStatus.SUCCESS).exists()


@pytest.mark.parametrize("path", [WEB_LOGIN, ADMIN_LOGIN])
def test_one_ip_is_limited_across_accounts(path: str, staff: User) -> None:
    for n in range(20):
        web_login(path, f"u{n}@example.com", "wrong-password")

    assert not signed_in(web_login(path, staff.email, PASSWORD))
    assert signed_in(web_login(path, staff.email, PASSWORD, ip="198.51.100.9"))


def test_the_api_and_the_web_share_one_budget_per_address(staff: User) -> None:
    for attempt in range(3):
        client = APIClient(REMOTE_ADDR=f"203.0.113.{attempt + 1}")
        assert client.post(API_LOGIN, {"email": staff.email, "password": "nope"}).status_code == 401
    for attempt in range(2):
        web_login(WEB_LOGIN, staff.email, "wrong-password", ip=f"203.0.113.{attempt + 10}")

    assert not signed_in(web_login(ADMIN_LOGIN, staff.email, PASSWORD, ip="203.0.113.50"))
    blocked = APIClient(REMOTE_ADDR="203.0.113.51").post(API_LOGIN, {"email": staff.email, "password": PASSWORD})
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_repeated_failures_lock_the_address_on_every_door(settings: object, staff: User) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 3  # type: ignore[attr-defined]
    for attempt in range(3):
        web_login(WEB_LOGIN, staff.email, "wrong-password", ip=f"203.0.113.{attempt + 1}")
    # The per-minute budget (5) is not spent, so only the lockout can refuse these.
    api = APIClient(REMOTE_ADDR="203.0.113.60").post(API_LOGIN, {"email": staff.email, "password": PASSWORD})

    assert api.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert api.json()["error"]["code"] == "locked_out"
    assert int(api["Retry-After"]) > 0
    assert not signed_in(web_login(ADMIN_LOGIN, staff.email, PASSWORD, ip="203.0.113.61"))
    assert AuditEvent.objects.filter(action="login", details__reason="locked_out").count() == 2
    assert AuditEvent.objects.filter(action="login", details__locked_out=True).count() == 1


def test_a_success_forgives_earlier_failures(settings: object, staff: User) -> None:
    settings.LOGIN_LOCKOUT_THRESHOLD = 3  # type: ignore[attr-defined]
    web_login(WEB_LOGIN, staff.email, "wrong-password", ip="203.0.113.1")
    web_login(WEB_LOGIN, staff.email, "wrong-password", ip="203.0.113.2")
    assert signed_in(web_login(WEB_LOGIN, staff.email, PASSWORD, ip="203.0.113.3"))

    web_login(WEB_LOGIN, staff.email, "wrong-password", ip="203.0.113.4")

    assert signed_in(web_login(WEB_LOGIN, staff.email, PASSWORD, ip="203.0.113.5"))


@pytest.mark.parametrize(("path", "channel"), [(WEB_LOGIN, "web"), (ADMIN_LOGIN, "admin")])
def test_every_web_sign_in_is_audited_with_ip_and_user_agent(path: str, channel: str, staff: User) -> None:
    web_login(path, staff.email, "wrong-password", ip="203.0.113.8")
    assert signed_in(web_login(path, staff.email.upper(), PASSWORD, ip="203.0.113.9"))

    failure, success = AuditEvent.objects.filter(action="login").order_by("timestamp")
    assert (failure.status, failure.user, failure.ip_address) == (AuditStatus.FAILURE, staff, "203.0.113.8")
    assert failure.details == {"email": staff.email, "channel": channel}
    assert failure.user_agent == "pytest-browser/1.0"
    assert (success.status, success.user, success.ip_address) == (AuditStatus.SUCCESS, staff, "203.0.113.9")
    assert success.details == {"channel": channel}


def test_a_driver_with_the_right_password_is_refused_at_the_admin_and_audited(driver: User) -> None:
    assert not signed_in(web_login(ADMIN_LOGIN, driver.email, PASSWORD))

    event = AuditEvent.objects.get(action="login")
    assert (event.status, event.user, event.details["reason"]) == (AuditStatus.FAILURE, driver, "invalid_login")


# --- Email letter case (defect 15) ------------------------------------------------------------------


def test_an_email_typed_with_capitals_in_the_admin_is_stored_lower_case_and_signs_in_everywhere(
    staff: User,
) -> None:
    admin = Client()
    admin.force_login(staff)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "Garage.Owner@Example.com",
            "role": Role.MECHANIC,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
            "vehicles-TOTAL_FORMS": "0",
            "vehicles-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]

    user = User.objects.get(email__iexact="garage.owner@example.com")
    assert user.email == "garage.owner@example.com"
    api = APIClient().post(API_LOGIN, {"email": "Garage.Owner@Example.com", "password": PASSWORD})
    assert api.status_code == HTTPStatus.OK
    assert signed_in(web_login(WEB_LOGIN, "GARAGE.OWNER@example.com", PASSWORD))


def test_an_account_stored_with_capitals_before_the_fix_still_signs_in() -> None:
    # A row written by raw SQL or an old admin form, before the data migration lowered it.
    user = make_user("placeholder@example.com")
    User.objects.filter(pk=user.pk).update(email="Old.Mixed@Example.com")

    api = APIClient().post(API_LOGIN, {"email": "old.mixed@example.com", "password": PASSWORD})

    assert api.status_code == HTTPStatus.OK
    assert signed_in(web_login(WEB_LOGIN, "old.mixed@EXAMPLE.com", PASSWORD))


def test_the_data_migration_lowers_existing_addresses() -> None:
    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("accounts.migrations.0002_lowercase_emails")
    user = make_user("placeholder@example.com")
    User.objects.filter(pk=user.pk).update(email="  Garage.Owner@Example.com ")

    # The function reads only the editor's connection; a real schema editor cannot open inside a test's
    # transaction on SQLite.
    migration.lowercase_emails(apps, SimpleNamespace(connection=connection))

    user.refresh_from_db()
    assert user.email == "garage.owner@example.com"


def _retry_seconds(client: Client, path: str, email: str, ip: str) -> int:
    """The seconds the sign-in page asks to wait, read from the page the browser shows."""
    page = client.post(path, {"username": email, "password": PASSWORD, "next": "/admin/"}).content.decode()
    found = re.search(r"Try again in (\d+) seconds", page)
    assert found, page
    return int(found.group(1))


@pytest.mark.parametrize("path", [WEB_LOGIN, ADMIN_LOGIN])
def test_the_page_asks_to_wait_out_the_rest_of_the_per_account_minute(path: str, staff: User) -> None:
    for attempt in range(5):
        web_login(path, staff.email, "wrong-password", ip=f"203.0.113.{attempt + 1}")

    seconds = _retry_seconds(Client(REMOTE_ADDR="203.0.113.77"), path, staff.email, "203.0.113.77")

    # The throttle's own wait (what is left of the one-minute window, however slow the hashing), not a token second.
    assert 5 < seconds <= 60


@pytest.mark.parametrize("path", [WEB_LOGIN, ADMIN_LOGIN])
def test_the_page_asks_to_wait_out_the_rest_of_the_per_ip_minute(path: str, staff: User) -> None:
    for n in range(20):
        web_login(path, f"u{n}@example.com", "wrong-password")

    seconds = _retry_seconds(Client(REMOTE_ADDR="203.0.113.1"), path, staff.email, "203.0.113.1")

    assert 5 < seconds <= 60
