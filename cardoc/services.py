"""Cross-cutting writes: the audit trail, the seed content of every app and the public content version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from cardoc.hooks import content_seeders
from cardoc.models import AuditAction, AuditEvent, AuditStatus, ContentVersion
from cardoc.request_context import client_ip, current_request, user_agent
from cardoc.seeding import UpsertCounts


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
        # Any AUTH_USER_MODEL instance; cardoc sits below accounts, so it cannot name accounts.User.
        user=user if user is not None and user.is_authenticated else None,  # type: ignore[misc]
        status=status,
        details=details or {},
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
    )


def content_version_bump(*, scope: str = ContentVersion.Scope.CATALOG) -> None:
    """Mark every cached page of ``scope`` stale; runs in the caller's transaction, so it commits with the edit."""
    if not ContentVersion.objects.filter(scope=scope).update(version=F("version") + 1):
        ContentVersion.objects.get_or_create(scope=scope, defaults={"version": 1})


@dataclass
class SeedReport:
    """What one run of ``manage.py seed`` did, kind of row by kind of row."""

    counts: dict[str, UpsertCounts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(counts.changed for counts in self.counts.values())


@transaction.atomic
def content_seed(*, demo: bool = False) -> SeedReport:
    """Run every app's seeder (``cardoc.hooks.content_seeders``), lowest layer first, in one transaction.

    Each seeder creates what is missing and leaves alone what someone edited since it was seeded, so
    ``make run`` can call this on every start. A bad file in any app loads nothing at all.
    """
    report = SeedReport()
    for seeder in content_seeders:
        report.counts.update(seeder(demo=demo))
    return report


def audit_admin_log_entry(*, entry: LogEntry) -> None:
    """Copy one entry of Django's admin log into the audit trail, with the IP and user agent of its request.

    Every add, change, deletion and bulk action in the admin writes a LogEntry; connected to its post_save
    (cardoc.apps), this makes staff work visible in the one audit trail, not only in the admin's history.
    """
    request = current_request()
    kind = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}.get(entry.action_flag, "other")
    # The stubs leave LogEntry's foreign keys untyped.
    model = cast(ContentType, entry.content_type).model_class() if entry.content_type_id else None
    user = cast(AbstractBaseUser, entry.user)
    audit_record(
        action=AuditAction.ADMIN_ACTION,
        user=user,
        request=request,
        details={
            "event": kind,
            "model": model._meta.label if model is not None else "",
            "object_id": str(entry.object_id or ""),
            "object": entry.object_repr,
            "change": entry.get_change_message(),
        },
    )


def rows_delete_in_batches(queryset: QuerySet[Any], *, batch_size: int = 5000) -> int:
    """Delete what ``queryset`` selects a batch at a time, so pruning a big table never holds long locks."""
    deleted = 0
    while pks := list(queryset.order_by().values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            count, _ = queryset.model.objects.filter(pk__in=pks).delete()
        deleted += len(pks) if count else 0
    return deleted


def audit_prune(*, older_than: timedelta) -> int:
    """Delete audit events older than ``older_than`` (the AUDIT_RETENTION_DAYS setting); returns how many."""
    return rows_delete_in_batches(AuditEvent.objects.filter(timestamp__lt=timezone.now() - older_than))
