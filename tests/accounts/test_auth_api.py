"""Sign-up, sign-in, token rotation, sign-out and rate limits, through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AccountStatus, Role, User, UserProfile
from cardoc.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def log_in(client: APIClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post(LOGIN, {"email": email, "password": password})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- Register -----------------------------------------------------------------------------------


def test_registering_creates_a_driver_with_a_profile_and_an_argon2_password(api_client: APIClient) -> None:
    response = api_client.post(
        REGISTER,
        {
            "email": "  Ada.Lovelace@Example.COM ",
            "password": NEW_PASSWORD,
            "full_name": "Ada",
            "phone": "+237 612345678",
        },
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == {"id", "email", "role"}
    assert body["email"] == "ada.lovelace@example.com"
    assert body["role"] == Role.CAR_USER
    user = User.objects.get(pk=body["id"])
    assert user.email == "ada.lovelace@example.com"
    assert user.status == AccountStatus.ACTIVE
    assert user.password.startswith("argon2")
    assert user.check_password(NEW_PASSWORD)
    profile = UserProfile.objects.get(user=user)
    assert (profile.full_name, profile.phone) == ("Ada", "+237 612345678")


def test_registering_an_email_that_differs_only_in_case_is_refused(api_client: APIClient, driver: User) -> None:
    response = api_client.post(REGISTER, {"email": "DRIVER@example.com", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == ["email"]
    assert User.objects.filter(email__iexact="driver@example.com").count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1!", "too short"), ("password1234", "too common"), ("31415926535897", "entirely numeric")],
)
def test_registering_with_a_weak_password_is_refused_by_djangos_validators(
    api_client: APIClient, password: str, reason: str
) -> None:
    response = api_client.post(REGISTER, {"email": "weak@example.com", "password": password})

    assert response.status_code == HTTPStatus.BAD_REQUEST, reason
    assert list(response.json()["error"]["fields"]) == ["password"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_registering_with_an_invalid_phone_names_the_field_and_stores_nothing(api_client: APIClient) -> None:
    response = api_client.post(REGISTER, {"email": "p@example.com", "password": NEW_PASSWORD, "phone": "call me"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["phone"]
    assert not User.objects.filter(email="p@example.com").exists()


def test_registering_cannot_choose_a_role(api_client: APIClient) -> None:
    response = api_client.post(
        REGISTER, {"email": "boss@example.com", "password": NEW_PASSWORD, "role": "administrator"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["fields"] == {"role": ["Unknown field."]}
    assert not User.objects.filter(email="boss@example.com").exists()


# --- Login --------------------------------------------------------------------------------------


def test_logging_in_returns_tokens_and_the_user_and_records_the_time(api_client: APIClient, driver: User) -> None:
    assert driver.last_login is None

    body = log_in(api_client, "Driver@Example.com")

    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == str(driver.pk)
    assert body["user"]["email"] == "driver@example.com"
    assert body["user"]["full_name"] == "Driver"
    driver.refresh_from_db()
    assert driver.last_login is not None
    assert OutstandingToken.objects.filter(user=driver).count() == 1
    me = bearer(body["access"]).get(ME)
    assert me.status_code == HTTPStatus.OK
    assert me.json()["id"] == str(driver.pk)


def test_logging_in_with_a_wrong_password_is_a_generic_401(api_client: APIClient, driver: User) -> None:
    response = api_client.post(LOGIN, {"email": driver.email, "password": "not-the-password"})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "invalid_credentials"
    unknown = api_client.post(LOGIN, {"email": "nobody@example.com", "password": "not-the-password"})
    assert unknown.status_code == HTTPStatus.UNAUTHORIZED
    assert unknown.json() == response.json()
    driver.refresh_from_db()
    assert driver.last_login is None
    assert not OutstandingToken.objects.exists()


@pytest.mark.parametrize("status", [AccountStatus.SUSPENDED, AccountStatus.INACTIVE])
def test_an_account_that_is_not_active_cannot_log_in(api_client: APIClient, driver: User, status: str) -> None:
    User.objects.filter(pk=driver.pk).update(status=status)

    response = api_client.post(LOGIN, {"email": driver.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert not OutstandingToken.objects.filter(user=driver).exists()


def test_a_stale_bearer_header_does_not_block_logging_in(api_client: APIClient, driver: User) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")

    response = api_client.post(LOGIN, {"email": driver.email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.OK


# --- Refresh ------------------------------------------------------------------------------------


def test_refreshing_rotates_the_refresh_token_and_refuses_the_old_one(api_client: APIClient, driver: User) -> None:
    first = log_in(api_client, driver.email)

    response = api_client.post(REFRESH, {"refresh": first["refresh"]})

    assert response.status_code == HTTPStatus.OK
    second = response.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]
    first_jti = RefreshToken(first["refresh"], verify=False)["jti"]
    second_jti = RefreshToken(second["refresh"], verify=False)["jti"]
    assert BlacklistedToken.objects.filter(token__jti=first_jti).exists()
    assert OutstandingToken.objects.filter(jti=second_jti, user=driver, blacklistedtoken__isnull=True).exists()
    assert bearer(second["access"]).get(ME).status_code == HTTPStatus.OK

    reused = api_client.post(REFRESH, {"refresh": first["refresh"]})
    assert reused.status_code == HTTPStatus.UNAUTHORIZED
    assert reused.json()["error"]["code"] == "token_not_valid"
    # The replay revoked the whole family, the legitimate successor included (issue 14, defect 9).
    assert api_client.post(REFRESH, {"refresh": second["refresh"]}).status_code == HTTPStatus.UNAUTHORIZED


def test_refreshing_with_an_access_token_or_garbage_is_a_401(api_client: APIClient, driver: User) -> None:
    tokens = log_in(api_client, driver.email)

    for bad in (tokens["access"], "not-a-token"):
        response = api_client.post(REFRESH, {"refresh": bad})
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["error"]["code"] == "token_not_valid"


@pytest.mark.parametrize("status", [AccountStatus.SUSPENDED, AccountStatus.INACTIVE])
def test_a_suspended_account_cannot_refresh(api_client: APIClient, driver: User, status: str) -> None:
    tokens = log_in(api_client, driver.email)
    User.objects.filter(pk=driver.pk).update(status=status)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "account_inactive"
    assert not BlacklistedToken.objects.exists()


def test_an_access_token_stops_working_as_soon_as_the_account_is_suspended(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    assert client.get(ME).status_code == HTTPStatus.OK

    User.objects.filter(pk=driver.pk).update(status=AccountStatus.SUSPENDED)

    response = client.get(ME)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "account_inactive"
    User.objects.filter(pk=driver.pk).update(status=AccountStatus.ACTIVE)
    assert client.get(ME).status_code == HTTPStatus.OK


# --- Logout -------------------------------------------------------------------------------------


def test_logging_out_revokes_that_refresh_token_only(api_client: APIClient, driver: User) -> None:
    phone = log_in(api_client, driver.email)
    tablet = log_in(api_client, driver.email)

    response = bearer(phone["access"]).post(LOGOUT, {"refresh": phone["refresh"]})

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert BlacklistedToken.objects.filter(token__user=driver).count() == 1
    assert api_client.post(REFRESH, {"refresh": phone["refresh"]}).status_code == HTTPStatus.UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh": tablet["refresh"]}).status_code == HTTPStatus.OK


def test_logging_out_cannot_revoke_another_users_token(
    api_client: APIClient, driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    theirs = log_in(api_client, other_driver.email)

    response = client_for(driver).post(LOGOUT, {"refresh": theirs["refresh"]})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == ["refresh"]
    assert not BlacklistedToken.objects.exists()
    assert api_client.post(REFRESH, {"refresh": theirs["refresh"]}).status_code == HTTPStatus.OK


def test_logging_out_needs_a_session(api_client: APIClient, driver: User) -> None:
    tokens = log_in(api_client, driver.email)

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not BlacklistedToken.objects.exists()


# --- Throttling ---------------------------------------------------------------------------------


def test_login_attempts_on_one_email_reach_429_with_retry_after(api_client: APIClient, driver: User) -> None:
    # THROTTLE_LOGIN_EMAIL defaults to 5/min; addresses rotate so only the per-email limit is reached.
    statuses = []
    for attempt in range(6):
        client = APIClient(REMOTE_ADDR=f"203.0.113.{attempt + 1}")
        statuses.append(client.post(LOGIN, {"email": driver.email, "password": "wrong-password"}).status_code)

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 5 + [HTTPStatus.TOO_MANY_REQUESTS]
    blocked = APIClient(REMOTE_ADDR="203.0.113.99").post(LOGIN, {"email": driver.email.upper(), "password": PASSWORD})
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert blocked.json()["error"]["code"] == "throttled"
    assert 0 < int(blocked["Retry-After"]) <= 60
    # The limit is per address: another account signs in from the same place.
    assert (
        api_client.post(LOGIN, {"email": "nobody@example.com", "password": "x"}).status_code == HTTPStatus.UNAUTHORIZED
    )


def test_login_attempts_from_one_ip_reach_429(api_client: APIClient) -> None:
    # THROTTLE_LOGIN_IP defaults to 20/min; each attempt uses a different email.
    statuses = {api_client.post(LOGIN, {"email": f"u{n}@example.com", "password": "x"}).status_code for n in range(20)}
    assert statuses == {HTTPStatus.UNAUTHORIZED}

    response = api_client.post(LOGIN, {"email": "u20@example.com", "password": "x"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    other_place = APIClient(REMOTE_ADDR="198.51.100.7").post(LOGIN, {"email": "u21@example.com", "password": "x"})
    assert other_place.status_code == HTTPStatus.UNAUTHORIZED


def test_registrations_from_one_ip_reach_429(api_client: APIClient) -> None:
    # THROTTLE_REGISTER_IP defaults to 10/hour; invalid bodies count too, and skip the slow hashing.
    for n in range(10):
        assert api_client.post(REGISTER, {"email": f"r{n}@example.com"}).status_code == HTTPStatus.BAD_REQUEST

    response = api_client.post(REGISTER, {"email": "r10@example.com", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(email="r10@example.com").exists()


def test_registrations_for_one_email_reach_429(api_client: APIClient) -> None:
    # THROTTLE_REGISTER_EMAIL defaults to 5/hour.
    for n in range(5):
        client = APIClient(REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert client.post(REGISTER, {"email": "same@example.com"}).status_code == HTTPStatus.BAD_REQUEST

    response = APIClient(REMOTE_ADDR="203.0.113.50").post(REGISTER, {"email": "SAME@example.com", "password": "x"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0


def test_audit_rows_are_not_written_for_throttled_attempts(api_client: APIClient, driver: User) -> None:
    for _ in range(6):
        api_client.post(LOGIN, {"email": driver.email, "password": "wrong-password"})

    assert AuditEvent.objects.filter(action="login").count() == 5
