"""Cross-cutting writes: the audit trail and the public content version."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F
from django.http import HttpRequest

from cardoc.middleware import client_ip, user_agent
from cardoc.models import AuditAction, AuditEvent, AuditStatus, ContentVersion


def audit_record(
    *,
    action: AuditAction | str,
    user: AbstractBaseUser | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    status: AuditStatus | str = AuditStatus.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one AuditEvent; the IP and user agent come from the request when there is one.

    Callers never pass secrets in ``details``: a failed login records the email tried, not the password.
    """
    if user is None and request is not None:
        user = request.user
    return AuditEvent.objects.create(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        status=status,
        details=details or {},
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
    )


def content_version_bump(*, scope: str = ContentVersion.Scope.CATALOG) -> None:
    """Mark every cached page of ``scope`` stale; runs in the caller's transaction, so it commits with the edit."""
    if not ContentVersion.objects.filter(scope=scope).update(version=F("version") + 1):
        ContentVersion.objects.get_or_create(scope=scope, defaults={"version": 1})
