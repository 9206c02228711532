"""Admin privilege, role changes, proxies and start-up checks (issue 14, defect 18 and the audit gaps)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from guardian.shortcuts import assign_perm, get_perms
from model_bakery import baker
from rest_framework.test import APIClient

from accounts.models import Role, User
from cardoc.models import AuditEvent
from directory.models import Mechanic
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_manager(db: None) -> User:
    """Staff who may change accounts, without being a superuser."""
    user = make_user("support@example.com", role=Role.ADMINISTRATOR, is_staff=True)
    for codename in ("view_user", "change_user", "delete_user"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def change_form(user: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "email": user.email,
        "role": user.role,
        "status": user.status,
        "is_staff": "on" if user.is_staff else "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1" if hasattr(user, "profile") else "0",
        "profile-0-id": str(user.profile.pk) if hasattr(user, "profile") else "",
        "profile-0-user": str(user.pk),
        "profile-0-full_name": "",
        "profile-0-units": "metric",
        "profile-0-locale": "en",
        "profile-0-timezone": "UTC",
        "profile-0-reminder_lead_days": "3",
        "profile-0-currency": "XAF",
        "profile-0-preferences": "{}",
        "vehicles-TOTAL_FORMS": "0",
        "vehicles-INITIAL_FORMS": "0",
        **overrides,
    }
    return {key: value for key, value in data.items() if value != ""}


def test_change_user_alone_cannot_make_anyone_a_superuser(user_manager: User) -> None:
    admin = Client()
    admin.force_login(user_manager)

    response = admin.post(
        f"/admin/accounts/user/{user_manager.pk}/change/", change_form(user_manager, is_superuser="on")
    )

    assert response.status_code == HTTPStatus.FOUND, response.content[:3000]
    user_manager.refresh_from_db()
    assert not user_manager.is_superuser
    assert user_manager.user_permissions.count() == 3


def test_change_user_alone_cannot_edit_a_superuser(user_manager: User, staff: User) -> None:
    admin = Client()
    admin.force_login(user_manager)

    response = admin.post(f"/admin/accounts/user/{staff.pk}/change/", change_form(staff, email="mine@example.com"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    staff.refresh_from_db()
    assert staff.email == "staff@example.com"


def test_a_mechanic_who_stops_being_one_loses_their_listings(staff: User, mechanic: User) -> None:
    listing = baker.make(Mechanic, latitude=3.87, longitude=11.52)
    listing.owners.add(mechanic)
    assign_perm("directory.change_mechanic", mechanic, listing)
    admin = Client()
    admin.force_login(staff)

    response = admin.post(f"/admin/accounts/user/{mechanic.pk}/change/", change_form(mechanic, role=Role.CAR_USER))

    assert response.status_code == HTTPStatus.FOUND, response.content[:3000]
    mechanic.refresh_from_db()
    assert mechanic.role == Role.CAR_USER
    assert not listing.owners.exists()
    assert get_perms(mechanic, listing) == []
    event = AuditEvent.objects.get(action="admin_action", details__event="access_changed")
    assert event.user == staff
    assert event.details["role"] == [Role.MECHANIC, Role.CAR_USER]
    assert event.ip_address == "127.0.0.1"


def test_every_admin_change_and_bulk_action_is_audited_with_ip(staff: User, driver: User) -> None:
    admin = Client(REMOTE_ADDR="198.51.100.20")
    admin.force_login(staff)

    admin.post(f"/admin/accounts/user/{driver.pk}/change/", change_form(driver, status="suspended"))
    admin.post("/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [str(driver.pk)]})

    changed = AuditEvent.objects.get(action="admin_action", details__event="changed")
    assert (changed.user, changed.ip_address, changed.details["model"]) == (staff, "198.51.100.20", "accounts.User")
    action = AuditEvent.objects.get(action="admin_action", details__event="action")
    assert action.details["action"] == "delete_selected"
    assert action.details["selected"] == 1


def test_suspending_an_account_in_the_admin_ends_its_refresh_tokens(staff: User, driver: User) -> None:
    session = APIClient().post("/api/v1/auth/login", {"email": driver.email, "password": PASSWORD}).json()
    admin = Client()
    admin.force_login(staff)

    admin.post(f"/admin/accounts/user/{driver.pk}/change/", change_form(driver, status="suspended"))

    assert APIClient().post("/api/v1/auth/refresh", {"refresh": session["refresh"]}).status_code == 401


@pytest.mark.parametrize("forwarded", ["not-an-ip", "1.2.3.4.5", "<script>", "999.1.1.1"])
def test_a_forwarded_value_that_is_not_an_address_never_breaks_login(
    settings: Any, driver: User, forwarded: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    response = APIClient().post(
        "/api/v1/auth/login", {"email": driver.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=forwarded
    )

    assert response.status_code == HTTPStatus.OK
    assert AuditEvent.objects.get(action="login").ip_address == "127.0.0.1"


def test_a_valid_forwarded_address_is_used(settings: Any, driver: User) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    APIClient().post(
        "/api/v1/auth/login",
        {"email": driver.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.5, 2001:db8::1",
    )

    assert AuditEvent.objects.get(action="login").ip_address == "2001:db8::1"


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [({"timeout": 200, "retry": 180}, "cardoc.E001"), ({"timeout": 900, "retry": 1000}, "cardoc.E002")],
)
def test_start_up_refuses_task_timeouts_that_contradict(
    settings: Any, overrides: dict[str, int], error_id: str
) -> None:
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **overrides}

    with pytest.raises(SystemCheckError, match=error_id):
        call_command("check")


def test_the_default_timeouts_pass_the_start_up_check() -> None:
    call_command("check")
