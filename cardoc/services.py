"""Cross-cutting writes: the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from cardoc.models import AuditAction, AuditEvent, AuditStatus
from cardoc.request_context import client_ip, current_request, user_agent


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


def audit_admin_log_entry(*, entry: LogEntry) -> None:
    """Copy one entry of Django's admin log into the audit trail, with the IP and user agent of its request.

    Every add, change, deletion and bulk action in the admin writes a LogEntry; connected to its post_save
    (cardoc.apps), this makes staff work visible in the one audit trail, not only in the admin's history.
    """
    request = current_request()
    kind = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}.get(entry.action_flag, "other")
    audit_record(
        action=AuditAction.ADMIN_ACTION,
        user=entry.user,
        request=request,
        details={
            "event": kind,
            "model": entry.content_type.model_class()._meta.label if entry.content_type_id else "",  # type: ignore[union-attr]
            "object_id": str(entry.object_id or ""),
            "object": entry.object_repr,
            "change": entry.get_change_message(),
        },
    )
