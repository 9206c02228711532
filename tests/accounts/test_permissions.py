"""The role permission classes of accounts.permissions, on a small API view (issue 14's mutation run)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.permissions import HasModelPermission, IsDriver, IsMechanic, IsStaff
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def status_for(permission: type[BasePermission], user: User | None) -> int:
    class Guarded(APIView):
        permission_classes = [permission]

        def get(self, request: Request) -> Response:
            return Response({"ok": True})

    request = APIRequestFactory().get("/guarded")
    if user is not None:
        force_authenticate(request, user=user)
    response: Any = Guarded.as_view()(request)
    return response.status_code


@pytest.fixture
def plain_staff(db: None) -> User:
    """Staff without superuser powers, so only what they were granted counts."""
    return make_user("plain.staff@example.com", role=Role.ADMINISTRATOR, is_staff=True)


def test_is_staff_lets_staff_only(driver: User, mechanic: User, plain_staff: User) -> None:
    assert status_for(IsStaff, plain_staff) == HTTPStatus.OK
    assert status_for(IsStaff, driver) == HTTPStatus.FORBIDDEN
    assert status_for(IsStaff, mechanic) == HTTPStatus.FORBIDDEN
    assert status_for(IsStaff, None) == HTTPStatus.UNAUTHORIZED


def test_is_mechanic_lets_mechanic_accounts_only(driver: User, mechanic: User, plain_staff: User) -> None:
    assert status_for(IsMechanic, mechanic) == HTTPStatus.OK
    assert status_for(IsMechanic, driver) == HTTPStatus.FORBIDDEN
    assert status_for(IsMechanic, plain_staff) == HTTPStatus.FORBIDDEN
    assert status_for(IsMechanic, None) == HTTPStatus.UNAUTHORIZED


def test_is_driver_lets_drivers_and_staff(driver: User, mechanic: User, plain_staff: User) -> None:
    assert status_for(IsDriver, driver) == HTTPStatus.OK
    assert status_for(IsDriver, plain_staff) == HTTPStatus.OK
    assert status_for(IsDriver, mechanic) == HTTPStatus.FORBIDDEN
    assert status_for(IsDriver, None) == HTTPStatus.UNAUTHORIZED


def test_has_model_permission_asks_for_the_named_permission(driver: User, plain_staff: User) -> None:
    can_change_models = HasModelPermission.of("mlops.change_mlmodel")

    assert can_change_models.__name__ == "Has_mlops_change_mlmodel"
    assert can_change_models.permission == "mlops.change_mlmodel"
    assert issubclass(can_change_models, HasModelPermission)
    assert status_for(can_change_models, plain_staff) == HTTPStatus.FORBIDDEN
    assert status_for(can_change_models, None) == HTTPStatus.UNAUTHORIZED

    plain_staff.user_permissions.add(Permission.objects.get(codename="change_mlmodel", content_type__app_label="mlops"))
    granted = User.objects.get(pk=plain_staff.pk)  # a fresh copy: Django caches permissions per instance

    assert status_for(can_change_models, granted) == HTTPStatus.OK
    assert status_for(HasModelPermission.of("mlops.delete_mlmodel"), granted) == HTTPStatus.FORBIDDEN
    driver.user_permissions.add(Permission.objects.get(codename="change_mlmodel", content_type__app_label="mlops"))
    assert status_for(can_change_models, User.objects.get(pk=driver.pk)) == HTTPStatus.OK
