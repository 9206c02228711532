"""Sessions end when they should: replays, sign-out, password changes anywhere, closed accounts (issue 14)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import AccountStatus, User
from cardoc.models import AuditEvent, AuditStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def log_in(email: str, ip: str = "203.0.113.1") -> dict[str, Any]:
    response = APIClient(REMOTE_ADDR=ip).post(LOGIN, {"email": email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def refresh(token: str) -> Any:
    return APIClient().post(REFRESH, {"refresh": token})


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- Defect 9: families and sign-out -----------------------------------------------------------------


def test_replaying_a_rotated_refresh_token_revokes_its_whole_family_but_not_other_devices(driver: User) -> None:
    phone = log_in(driver.email)
    tablet = log_in(driver.email, ip="203.0.113.2")
    rotated = refresh(phone["refresh"]).json()
    rotated_again = refresh(rotated["refresh"]).json()

    replay = refresh(phone["refresh"])

    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert refresh(rotated_again["refresh"]).status_code == HTTPStatus.UNAUTHORIZED
    assert refresh(tablet["refresh"]).status_code == HTTPStatus.OK
    warning = AuditEvent.objects.filter(action="token_refresh", status=AuditStatus.WARNING).earliest("timestamp")
    assert warning.user == driver
    assert warning.details == {"reason": "refresh_token_reused", "revoked": 1}


def test_signing_out_stops_the_access_token_at_once(driver: User) -> None:
    session = log_in(driver.email)
    other = log_in(driver.email, ip="203.0.113.2")
    client = bearer(session["access"])
    assert client.get(ME).status_code == HTTPStatus.OK

    assert client.post(LOGOUT, {"refresh": session["refresh"]}).status_code == HTTPStatus.NO_CONTENT

    after = client.get(ME)
    assert after.status_code == HTTPStatus.UNAUTHORIZED
    assert after.json()["error"]["code"] == "token_revoked"
    assert bearer(other["access"]).get(ME).status_code == HTTPStatus.OK


def test_a_successful_refresh_is_audited(driver: User) -> None:
    session = log_in(driver.email)

    assert refresh(session["refresh"]).status_code == HTTPStatus.OK

    event = AuditEvent.objects.get(action="token_refresh")
    assert (event.user, event.status) == (driver, AuditStatus.SUCCESS)


def test_refresh_is_rate_limited_per_ip(driver: User) -> None:
    # THROTTLE_REFRESH_IP defaults to 60/min.
    client = APIClient()
    statuses = {client.post(REFRESH, {"refresh": "garbage"}).status_code for _ in range(60)}

    assert statuses == {HTTPStatus.UNAUTHORIZED}
    assert client.post(REFRESH, {"refresh": "garbage"}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert APIClient(REMOTE_ADDR="198.51.100.3").post(REFRESH, {"refresh": "x"}).status_code == 401


# --- Defect 11: a password set anywhere ends every session --------------------------------------------


def test_a_password_set_outside_the_api_ends_every_refresh_token(driver: User) -> None:
    session = log_in(driver.email)

    driver.set_password(NEW_PASSWORD)
    driver.save()

    response = refresh(session["refresh"])
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(session["access"]).get(ME).status_code == HTTPStatus.UNAUTHORIZED


def test_a_refresh_older_than_the_password_is_refused_even_without_the_signal(driver: User) -> None:
    session = log_in(driver.email)
    # A bulk update skips save() and its signal: only the token's password claim can tell.
    User.objects.filter(pk=driver.pk).update(password="argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$abc")

    response = refresh(session["refresh"])

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] == "password_changed"


def test_changepassword_ends_every_session(driver: User, monkeypatch: pytest.MonkeyPatch) -> None:
    session = log_in(driver.email)
    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    call_command("changepassword", driver.email)

    assert refresh(session["refresh"]).status_code == HTTPStatus.UNAUTHORIZED


def test_a_password_set_in_the_admin_ends_every_session(driver: User, staff: User) -> None:
    session = log_in(driver.email)
    admin = Client()
    admin.force_login(staff)

    response = admin.post(
        f"/admin/accounts/user/{driver.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert refresh(session["refresh"]).status_code == HTTPStatus.UNAUTHORIZED


# --- Tests that would have caught the survivors -------------------------------------------------------


@pytest.mark.parametrize("status", [AccountStatus.INACTIVE, AccountStatus.SUSPENDED])
def test_an_account_that_is_not_active_is_refused_with_its_tokens(status: str, driver: User) -> None:
    session = log_in(driver.email)
    User.objects.filter(pk=driver.pk).update(status=status)

    me = bearer(session["access"]).get(ME)
    assert me.status_code == HTTPStatus.UNAUTHORIZED
    assert me.json()["error"]["code"] == "account_inactive"
    assert refresh(session["refresh"]).status_code == HTTPStatus.UNAUTHORIZED


def test_a_deleted_users_tokens_are_a_401(driver: User) -> None:
    session = log_in(driver.email)
    driver.delete()

    assert bearer(session["access"]).get(ME).status_code == HTTPStatus.UNAUTHORIZED
    assert refresh(session["refresh"]).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("user_id", [None, "not-a-uuid", str(uuid.uuid4())])
def test_an_access_token_without_a_usable_user_id_is_a_401(user_id: str | None, driver: User) -> None:
    token = AccessToken.for_user(driver)
    if user_id is None:
        del token["user_id"]
    else:
        token["user_id"] = user_id

    response = bearer(str(token)).get(ME)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"]["code"] in {"token_not_valid", "user_not_found"}


def test_a_refresh_token_without_a_user_is_a_401(driver: User) -> None:
    token = RefreshToken.for_user(driver)
    del token["user_id"]

    assert refresh(str(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_password_change_attempts_are_counted_per_account(
    driver: User, other_driver: User, client_for: Callable[[User], APIClient]
) -> None:
    for _ in range(5):
        client_for(driver).post("/api/v1/me/password", {"old_password": "wrong-one", "new_password": NEW_PASSWORD})
    assert (
        client_for(driver).post("/api/v1/me/password", {"old_password": "wrong", "new_password": NEW_PASSWORD})
    ).status_code == HTTPStatus.TOO_MANY_REQUESTS

    other = client_for(other_driver).post("/api/v1/me/password", {"old_password": "x", "new_password": NEW_PASSWORD})

    assert other.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("user_id", [None, "not-a-uuid"])
def test_an_access_token_without_a_user_id_says_so(user_id: str | None, driver: User) -> None:
    token = AccessToken.for_user(driver)
    if user_id is None:
        del token["user_id"]
    else:
        token["user_id"] = user_id

    error = bearer(str(token)).get(ME).json()["error"]

    # Not simplejwt's generic "token is invalid or expired": the token is sound, its subject is not.
    assert error["code"] == "token_not_valid"
    assert error["message"] == "Token contained no recognizable user identification"


def test_a_deleted_users_token_says_the_user_is_gone(driver: User) -> None:
    access = str(AccessToken.for_user(driver))
    driver.delete()

    error = bearer(access).get(ME).json()["error"]

    assert error["message"] == "User not found"
