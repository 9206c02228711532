"""Account recovery: password reset by email and email verification (issue 14, "Also")."""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/me/email/verification"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def link_in(message: mail.EmailMessage) -> dict[str, str]:
    url = re.search(r"cardoc://\S+", message.body)
    assert url is not None, message.body
    return {key: values[0] for key, values in parse_qs(urlsplit(url.group(0)).query).items()}


def ask_reset(email: str, django_capture_on_commit_callbacks: Any, ip: str = "203.0.113.1") -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return APIClient(REMOTE_ADDR=ip).post(RESET, {"email": email})


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    driver: User, django_capture_on_commit_callbacks: Any
) -> None:
    known = ask_reset(driver.email.upper(), django_capture_on_commit_callbacks)
    unknown = ask_reset("nobody@example.com", django_capture_on_commit_callbacks, ip="203.0.113.2")

    assert known.status_code == unknown.status_code == HTTPStatus.ACCEPTED
    assert known.json() == unknown.json()
    assert [message.to for message in mail.outbox] == [[driver.email]]


def test_a_reset_link_sets_the_password_once_and_ends_every_session(
    driver: User, django_capture_on_commit_callbacks: Any
) -> None:
    session = APIClient().post("/api/v1/auth/login", {"email": driver.email, "password": PASSWORD}).json()
    ask_reset(driver.email, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    response = APIClient().post(CONFIRM, {**link, "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.NO_CONTENT
    driver.refresh_from_db()
    assert driver.check_password(NEW_PASSWORD)
    assert APIClient().post("/api/v1/auth/refresh", {"refresh": session["refresh"]}).status_code == 401
    again = APIClient().post(CONFIRM, {**link, "new_password": "yet-another-long-passphrase"})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert list(again.json()["error"]["fields"]) == ["token"]
    assert AuditEvent.objects.filter(action="password_reset", details__event="completed", user=driver).exists()


def test_a_reset_link_expires(settings: Any, driver: User, django_capture_on_commit_callbacks: Any) -> None:
    ask_reset(driver.email, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    # Older than the timeout: a negative timeout makes a link issued this very second too old.
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = APIClient().post(CONFIRM, {**link, "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    driver.refresh_from_db()
    assert driver.check_password(PASSWORD)


@pytest.mark.parametrize("link", [{"uid": "garbage", "token": "x"}, {"uid": "", "token": ""}])
def test_a_bad_link_is_a_400(link: dict[str, str], driver: User) -> None:
    response = APIClient().post(CONFIRM, {**link, "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_reset_requests_are_throttled_per_address(driver: User, django_capture_on_commit_callbacks: Any) -> None:
    # THROTTLE_PASSWORD_RESET_EMAIL defaults to 3/hour.
    statuses = [
        ask_reset(driver.email, django_capture_on_commit_callbacks, ip=f"203.0.113.{n}").status_code for n in range(4)
    ]

    assert statuses == [HTTPStatus.ACCEPTED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert len(mail.outbox) == 3


def test_sign_up_sends_a_verification_link_that_verifies(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post("/api/v1/auth/register", {"email": "new@example.com", "password": NEW_PASSWORD})
    user = User.objects.get(email="new@example.com")
    assert not user.email_verified

    response = APIClient().post(VERIFY, link_in(mail.outbox[0]))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["email_verified"] is True
    user.refresh_from_db()
    assert user.email_verified


def test_a_verification_link_for_an_old_address_verifies_nothing(
    driver: User, client_for: Callable[[User], APIClient], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(driver).post(RESEND)
    old_link = link_in(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(driver).post("/api/v1/me/email", {"password": PASSWORD, "new_email": "moved@example.com"})

    assert APIClient().post(VERIFY, old_link).status_code == HTTPStatus.BAD_REQUEST
    driver.refresh_from_db()
    assert not driver.email_verified
    assert APIClient().post(VERIFY, link_in(mail.outbox[-1])).status_code == HTTPStatus.OK


def test_resend_is_for_the_signed_in_account_and_throttled(
    driver: User, client_for: Callable[[User], APIClient], api_client: APIClient
) -> None:
    assert api_client.post(RESEND).status_code == HTTPStatus.UNAUTHORIZED
    statuses = [client_for(driver).post(RESEND).status_code for _ in range(4)]

    assert statuses == [HTTPStatus.ACCEPTED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
