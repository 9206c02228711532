"""The signed-in user's own account: profile, password and closing the account."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from model_bakery import baker
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import AccountStatus, Role, User, UserProfile, Vehicle
from cardoc.models import AuditEvent
from diagnostics.models import DiagnosticRecord, DiagnosticResult
from directory.models import Mechanic, Review
from maintenance.models import MaintenanceRecord, Notification
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PASSWORD_URL = "/api/v1/me/password"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
NEW_PASSWORD = "a-long-and-unusual-passphrase"


def log_in(email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = APIClient().post(LOGIN, {"email": email, "password": password})
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- Profile ------------------------------------------------------------------------------------


def test_me_shows_the_user_with_their_profile(driver: User, client_for: Callable[[User], APIClient]) -> None:
    response = client_for(driver).get(ME)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": str(driver.pk),
        "email": "driver@example.com",
        "email_verified": False,
        "role": "car_user",
        "date_joined": response.json()["date_joined"],
        "full_name": "Driver",
        "phone": "",
        "preferences": {},
        "units": "metric",
        "locale": "",
        "timezone": "UTC",
        "reminder_lead_days": 3,
        "currency": "XAF",
    }


def test_patching_me_changes_only_the_fields_sent(driver: User, client_for: Callable[[User], APIClient]) -> None:
    changes = {
        "phone": "+237 699 00 11 22",
        "preferences": {"notifications": {"maintenance": True}},
        "units": "imperial",
        "locale": "fr-CM",
        "timezone": "Africa/Douala",
        "reminder_lead_days": 7,
    }

    response = client_for(driver).patch(ME, changes)

    assert response.status_code == HTTPStatus.OK
    assert {key: response.json()[key] for key in changes} == changes
    profile = UserProfile.objects.get(user=driver)
    assert profile.full_name == "Driver"
    assert (profile.phone, profile.units, profile.locale, profile.timezone) == (
        "+237 699 00 11 22",
        "imperial",
        "fr-CM",
        "Africa/Douala",
    )
    assert profile.preferences == {"notifications": {"maintenance": True}}
    assert profile.reminder_lead_days == 7


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"locale": "french"}, "locale"),
        ({"units": "furlongs"}, "units"),
        ({"reminder_lead_days": 61}, "reminder_lead_days"),
        ({"phone": "0"}, "phone"),
        ({"full_name": "x" * 151}, "full_name"),
        ({"preferences": ["not", "an", "object"]}, "preferences"),
        ({"preferences": {"blob": "x" * 5000}}, "preferences"),
        ({"email": "new@example.com"}, "email"),
        ({"role": "administrator"}, "role"),
        ({"nickname": "Ada"}, "nickname"),
    ],
)
def test_patching_me_with_bad_input_names_the_field_and_changes_nothing(
    driver: User, client_for: Callable[[User], APIClient], changes: dict[str, Any], field: str
) -> None:
    response = client_for(driver).patch(ME, changes)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["fields"]) == [field]
    driver.refresh_from_db()
    assert (driver.email, driver.role) == ("driver@example.com", Role.CAR_USER)
    profile = UserProfile.objects.get(user=driver)
    assert (profile.full_name, profile.units, profile.timezone, profile.preferences) == ("Driver", "metric", "UTC", {})


def test_an_account_made_without_a_profile_gets_one_on_its_first_update(
    client_for: Callable[[User], APIClient],
) -> None:
    user = User.objects.create_superuser(email="root@example.com", password=NEW_PASSWORD)
    client = client_for(user)

    assert client.get(ME).json()["full_name"] == ""
    response = client.patch(ME, {"full_name": "Root"})

    assert response.status_code == HTTPStatus.OK
    assert UserProfile.objects.get(user=user).full_name == "Root"


# --- Password -----------------------------------------------------------------------------------


def test_changing_the_password_ends_every_session(driver: User) -> None:
    phone = log_in(driver.email)
    tablet = log_in(driver.email)

    response = bearer(phone["access"]).post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.NO_CONTENT
    driver.refresh_from_db()
    assert driver.check_password(NEW_PASSWORD)
    assert driver.password.startswith("argon2")
    assert not OutstandingToken.objects.filter(user=driver, blacklistedtoken__isnull=True).exists()
    for session in (phone, tablet):
        assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == HTTPStatus.UNAUTHORIZED
        stale = bearer(session["access"]).get(ME)
        assert stale.status_code == HTTPStatus.UNAUTHORIZED
        assert stale.json()["error"]["code"] == "password_changed"
    old = APIClient().post(LOGIN, {"email": driver.email, "password": PASSWORD})
    assert old.status_code == HTTPStatus.UNAUTHORIZED
    assert bearer(log_in(driver.email, NEW_PASSWORD)["access"]).get(ME).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "wrong-password", "new_password": NEW_PASSWORD}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "driver@example.com"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "x" * 129}, "new_password"),
    ],
)
def test_a_refused_password_change_names_the_field_and_keeps_the_sessions(
    driver: User, body: dict[str, str], field: str
) -> None:
    session = log_in(driver.email)

    response = bearer(session["access"]).post(PASSWORD_URL, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["error"]["fields"]) == [field]
    driver.refresh_from_db()
    assert driver.check_password(PASSWORD)
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == HTTPStatus.OK


def test_password_change_attempts_are_throttled_per_account(
    driver: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(driver)
    for _ in range(5):
        response = client.post(PASSWORD_URL, {"old_password": "guess-guess", "new_password": NEW_PASSWORD})
        assert response.status_code == HTTPStatus.BAD_REQUEST

    response = client.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    driver.refresh_from_db()
    assert driver.check_password(PASSWORD)


# --- Closing the account ------------------------------------------------------------------------


def _private_file_path(field_file: Any) -> Path:
    return Path(field_file.storage.path(field_file.name))


@pytest.fixture
def cleanup_files() -> Iterator[list[Path]]:
    """Paths of real files a test writes to the private storage, removed afterwards whatever happened."""
    paths: list[Path] = []
    yield paths
    for path in paths:
        path.unlink(missing_ok=True)


def test_deleting_the_account_anonymises_it_and_erases_personal_data_with_the_files(
    driver: User, other_driver: User, django_capture_on_commit_callbacks: Any, cleanup_files: list[Path]
) -> None:
    session = log_in(driver.email)
    user_id = driver.pk
    vehicle = baker.make(Vehicle, user=driver, year=2015)
    record = baker.make(
        DiagnosticRecord,
        user=driver,
        vehicle=vehicle,
        diagnostic_type=DiagnosticRecord.Type.COMBINED,
        image=ContentFile(b"\xff\xd8\xff fake jpeg", name="dash.jpg"),
        audio=ContentFile(b"RIFF fake wav", name="engine.wav"),
    )
    baker.make(DiagnosticResult, record=record, overall_confidence=0.8, urgency="soon")
    maintenance = baker.make(MaintenanceRecord, user=driver, vehicle=vehicle, diagnostic=record)
    baker.make(Notification, user=driver, maintenance_record=maintenance, kind="maintenance_due")
    listing = baker.make(Mechanic, owners=[driver], latitude=3.87, longitude=11.52)
    review = baker.make(Review, user=driver, mechanic=listing, rating=4)
    files = [_private_file_path(record.image), _private_file_path(record.audio)]
    assert all(path.exists() for path in files)
    # Someone else's data must survive untouched.
    theirs = baker.make(
        DiagnosticRecord,
        user=other_driver,
        diagnostic_type=DiagnosticRecord.Type.DASHBOARD_SCAN,
        image=ContentFile(b"\xff\xd8\xff theirs", name="theirs.jpg"),
    )
    their_file = _private_file_path(theirs.image)
    cleanup_files.extend([*files, their_file])
    old_events = AuditEvent.objects.filter(user=driver).count()
    assert old_events == 1  # the login above

    with django_capture_on_commit_callbacks(execute=True):
        response = bearer(session["access"]).delete(ME, {"password": PASSWORD}, HTTP_USER_AGENT="CarDocApp/1.0")

    assert response.status_code == HTTPStatus.NO_CONTENT
    user = User.objects.get(pk=user_id)
    assert user.status == AccountStatus.INACTIVE
    assert user.email.startswith("deleted-")
    assert user.email.endswith("@deleted.invalid")
    assert not user.has_usable_password()
    assert (user.role, user.is_staff, user.is_superuser, user.last_login) == (Role.CAR_USER, False, False, None)
    assert not UserProfile.objects.filter(user=user).exists()
    assert not Vehicle.objects.filter(user=user).exists()
    assert not DiagnosticRecord.objects.filter(user=user).exists()
    assert not DiagnosticResult.objects.filter(record_id=record.pk).exists()
    assert not MaintenanceRecord.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not listing.owners.exists()
    assert Review.objects.filter(pk=review.pk, user=user).exists()
    assert not any(path.exists() for path in files)
    assert their_file.exists()
    assert DiagnosticRecord.objects.filter(pk=theirs.pk).exists()
    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()
    # Audit history stays, detached from the person; the closure itself names only the anonymised id.
    assert not AuditEvent.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="login", user=None, status="success").count() == old_events
    closure = AuditEvent.objects.get(action="account_deletion")
    assert closure.user is None
    assert closure.details == {"anonymised_user_id": str(user_id)}
    assert closure.ip_address == "127.0.0.1"
    assert closure.user_agent == "CarDocApp/1.0"
    # Nothing works any more for the closed account.
    assert bearer(session["access"]).get(ME).status_code == HTTPStatus.UNAUTHORIZED
    assert APIClient().post(REFRESH, {"refresh": session["refresh"]}).status_code == HTTPStatus.UNAUTHORIZED
    login = APIClient().post(LOGIN, {"email": "driver@example.com", "password": PASSWORD})
    assert login.status_code == HTTPStatus.UNAUTHORIZED


def test_the_email_tried_in_failed_logins_is_scrubbed_when_the_account_closes(driver: User) -> None:
    APIClient().post(LOGIN, {"email": driver.email, "password": "wrong-password"})
    session = log_in(driver.email)

    assert bearer(session["access"]).delete(ME, {"password": PASSWORD}).status_code == HTTPStatus.NO_CONTENT

    driver.refresh_from_db()
    failure = AuditEvent.objects.get(action="login", status="failure")
    assert failure.user is None
    assert failure.details == {"email": driver.email, "channel": "api"}
    assert not AuditEvent.objects.filter(details__email="driver@example.com").exists()


def test_a_closed_accounts_email_can_register_again(driver: User, client_for: Callable[[User], APIClient]) -> None:
    assert client_for(driver).delete(ME, {"password": PASSWORD}).status_code == HTTPStatus.NO_CONTENT

    response = APIClient().post("/api/v1/auth/register", {"email": "driver@example.com", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["id"] != str(driver.pk)


def test_a_mechanic_can_close_their_account_too(mechanic: User, client_for: Callable[[User], APIClient]) -> None:
    other = make_user("second.mechanic@example.com", role=Role.MECHANIC)

    assert client_for(mechanic).delete(ME, {"password": PASSWORD}).status_code == HTTPStatus.NO_CONTENT

    mechanic.refresh_from_db()
    assert mechanic.status == AccountStatus.INACTIVE
    assert User.objects.get(pk=other.pk).status == AccountStatus.ACTIVE
