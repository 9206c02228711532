"""The role-based permission classes, in one place, for every app's API views."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role


class IsStaff(BasePermission):
    """Administrators and other staff: model deployment, curation endpoints."""

    message = _("Only staff may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsMechanic(BasePermission):
    """Accounts that staff have marked as mechanics."""

    message = _("Only mechanic accounts may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.MECHANIC)


class IsDriver(BasePermission):
    """Drivers (car_user accounts); staff pass too, so support can reproduce what a driver sees."""

    message = _("Only driver accounts may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.role == Role.CAR_USER or user.is_staff))


class HasModelPermission(BasePermission):
    """Signed-in accounts holding one Django model permission, e.g. ``mlops.change_mlmodel``.

    Being staff opens the admin; what a member of staff may change there, or through the API, is decided
    by the permission, as in the admin itself.
    """

    message = _("You do not have permission to do this.")
    permission: str = ""

    @classmethod
    def of(cls, permission: str) -> type[HasModelPermission]:
        return type(f"Has_{permission.replace('.', '_')}", (cls,), {"permission": permission})

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.permission))
