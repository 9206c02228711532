"""Security events leave AuditEvent rows with who, from where, with what and how it ended."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

APP = "CarDocApp/2.1 (Android 14)"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def app_client(ip: str = "198.51.100.20") -> APIClient:
    return APIClient(REMOTE_ADDR=ip, HTTP_USER_AGENT=APP)


def test_registering_is_audited() -> None:
    response = app_client().post("/api/v1/auth/register", {"email": "new@example.com", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.CREATED
    event = AuditEvent.objects.get(action="register")
    assert event.user == User.objects.get(email="new@example.com")
    assert (event.status, event.ip_address, event.user_agent) == ("success", "198.51.100.20", APP)


def test_a_successful_login_is_audited(driver: User) -> None:
    app_client().post("/api/v1/auth/login", {"email": driver.email, "password": PASSWORD})

    event = AuditEvent.objects.get(action="login")
    assert (event.user, event.status, event.ip_address, event.user_agent) == (driver, "success", "198.51.100.20", APP)


def test_a_failed_login_records_the_email_tried_but_never_the_password(driver: User) -> None:
    app_client().post("/api/v1/auth/login", {"email": "Driver@Example.com", "password": "my-secret-guess"})
    app_client().post("/api/v1/auth/login", {"email": "ghost@example.com", "password": "my-secret-guess"})

    on_account, unknown = (
        AuditEvent.objects.get(action="login", details__email="driver@example.com"),
        AuditEvent.objects.get(action="login", details__email="ghost@example.com"),
    )
    assert (on_account.user, on_account.status, on_account.ip_address) == (driver, "failure", "198.51.100.20")
    assert (unknown.user, unknown.status, unknown.user_agent) == (None, "failure", APP)
    for event in (on_account, unknown):
        assert "my-secret-guess" not in str(event.details)
        assert "password" not in event.details


def test_logging_out_is_audited(driver: User) -> None:
    tokens = app_client().post("/api/v1/auth/login", {"email": driver.email, "password": PASSWORD}).json()
    client = app_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    assert client.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}).status_code == HTTPStatus.NO_CONTENT

    event = AuditEvent.objects.get(action="logout")
    assert (event.user, event.status, event.ip_address, event.user_agent) == (driver, "success", "198.51.100.20", APP)


def test_password_changes_are_audited_both_ways(driver: User, client_for: Callable[[User], APIClient]) -> None:
    client = client_for(driver)
    client.post(
        "/api/v1/me/password", {"old_password": "wrong-one", "new_password": NEW_PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    client.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, REMOTE_ADDR="10.0.0.9")

    statuses = sorted(AuditEvent.objects.filter(action="password_change", user=driver).values_list("status", flat=True))
    assert statuses == ["failure", "success"]
    assert set(AuditEvent.objects.filter(action="password_change").values_list("ip_address", flat=True)) == {"10.0.0.9"}
    assert not AuditEvent.objects.filter(details__icontains=NEW_PASSWORD).exists()


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(driver: User, settings: pytest.FixtureRequest) -> None:
    settings.TRUSTED_PROXY_COUNT = 0

    app_client("10.1.1.1").post(
        "/api/v1/auth/login",
        {"email": driver.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )

    assert AuditEvent.objects.get(action="login").ip_address == "10.1.1.1"


def test_x_forwarded_for_gives_the_client_address_behind_a_trusted_proxy(
    driver: User, settings: pytest.FixtureRequest
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    # The client wrote "6.6.6.6" itself; our one proxy appended the address it really saw.
    app_client("10.1.1.1").post(
        "/api/v1/auth/login",
        {"email": driver.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.77",
    )

    assert AuditEvent.objects.get(action="login").ip_address == "203.0.113.77"


def test_the_login_ip_limit_follows_the_trusted_proxy_setting(settings: pytest.FixtureRequest) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # Behind the proxy every request comes from 10.1.1.1, yet each client has its own per-IP allowance.
    for n in range(25):
        response = app_client("10.1.1.1").post(
            "/api/v1/auth/login", {"email": f"u{n}@example.com", "password": "x"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
        assert response.status_code == HTTPStatus.UNAUTHORIZED
