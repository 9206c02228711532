from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppSettingQuerySet(models.QuerySet["AppSetting"]):
    def public(self) -> AppSettingQuerySet:
        return self.filter(is_public=True)

    def value_of(self, key: str, *, default: Any) -> Any:
        """The setting's value as staff last saved it, or ``default`` while it has no row (one query)."""
        value = self.filter(key=key).values_list("value", flat=True).first()
        return default if value is None else value


class SettingDataType(models.TextChoices):
    STRING = "string", "String"
    INTEGER = "integer", "Integer"
    BOOLEAN = "boolean", "Boolean"
    JSON = "json", "JSON"


class SettingCategory(models.TextChoices):
    AUTHENTICATION = "authentication", "Authentication"
    ML_MODELS = "ml_models", "ML models"
    NOTIFICATIONS = "notifications", "Notifications"
    DIAGNOSTICS = "diagnostics", "Diagnostics"


class AppSetting(models.Model):
    """One runtime setting that staff can change in the admin without a deploy."""

    DataType = SettingDataType
    Category = SettingCategory

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.SlugField(max_length=100, unique=True)
    value = models.JSONField(help_text="Stored as JSON; must match the data type.")
    data_type = models.CharField(max_length=16, choices=DataType, default=DataType.STRING)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category)
    is_public = models.BooleanField(default=False, help_text="Mobile clients may read this setting.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppSettingQuerySet.as_manager()

    class Meta:
        ordering = ["category", "key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(data_type__in=SettingDataType.values),
                name="appsetting_data_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=SettingCategory.values),
                name="appsetting_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        expected: dict[str, tuple[type, ...]] = {
            self.DataType.STRING: (str,),
            self.DataType.INTEGER: (int,),
            self.DataType.BOOLEAN: (bool,),
        }
        value: Any = self.value
        if self.data_type == self.DataType.JSON:
            try:
                json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError({"value": _("Must be valid JSON.")}) from exc
            return
        types = expected.get(self.data_type)
        # bool is a subclass of int, so an integer setting must refuse true/false explicitly.
        is_bool_as_int = self.data_type == self.DataType.INTEGER and isinstance(value, bool)
        if types and (not isinstance(value, types) or is_bool_as_int):
            raise ValidationError({"value": _("Must be a %(type)s.") % {"type": self.get_data_type_display().lower()}})


class AuditAction(models.TextChoices):
    LOGIN = "login", "Login"
    LOGOUT = "logout", "Logout"
    REGISTER = "register", "Register"
    TOKEN_REFRESH = "token_refresh", "Token refresh"
    PASSWORD_CHANGE = "password_change", "Password change"
    PASSWORD_RESET = "password_reset", "Password reset"
    PROFILE_UPDATE = "profile_update", "Profile update"
    ACCOUNT_DELETION = "account_deletion", "Account deletion"
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    MAINTENANCE = "maintenance", "Maintenance"
    MECHANIC_LISTING = "mechanic_listing", "Mechanic listing"
    REVIEW = "review", "Review"
    MODEL_DEPLOY = "model_deploy", "Model deploy"
    MODEL_TRAFFIC = "model_traffic", "Model traffic change"
    ADMIN_ACTION = "admin_action", "Admin action"


class AuditStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    WARNING = "warning", "Warning"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_user(self, user: Any) -> AuditEventQuerySet:
        return self.filter(user=user)


class AuditEvent(models.Model):
    """One security- or business-relevant event: who did what, from where, and how it ended."""

    Action = AuditAction
    Status = AuditStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    action = models.CharField(max_length=32, choices=Action)
    timestamp = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.SUCCESS)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["user", "timestamp"], name="auditevent_user_time_idx"),
            models.Index(fields=["action", "timestamp"], name="auditevent_action_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AuditAction.values), name="auditevent_action_valid"),
            models.CheckConstraint(condition=models.Q(status__in=AuditStatus.values), name="auditevent_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.action} ({self.status}) at {self.timestamp:%Y-%m-%d %H:%M:%S}"


class ContentScope(models.TextChoices):
    CATALOG = "catalog", "Catalog, tutorials and services"


class ContentVersion(models.Model):
    """The version of one body of public content (the catalog): bumped by every staff change to it.

    Cached API pages carry the version in their key, so one UPDATE here makes every cached page of that
    content stale in every process at once.
    """

    Scope = ContentScope

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=32, choices=Scope, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=ContentScope.values), name="contentversion_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} v{self.version}"


class SeededRow(models.Model):
    """What the seed loader last wrote into one row (or one row's links), so it can tell a person's edit.

    ``digest`` fingerprints the seeded fields as they were written. When the row no longer matches it,
    someone has edited the row since, and the loader leaves the row alone.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64, help_text='What was seeded, e.g. "catalog.warninglight".')
    key = models.CharField(max_length=255, help_text="The row's stable key in the seed file (code, slug, name).")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the seeded values as written.")
    seeded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="seededrow_kind_key_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class SyncChangeQuerySet(models.QuerySet["SyncChange"]):
    def visible_to(self, user: Any) -> SyncChangeQuerySet:
        """The user's own changes and the public content's, never another driver's (staff included)."""
        return self.filter(models.Q(owner=user) | models.Q(owner__isnull=True))


class SyncChange(models.Model):
    """The latest change of one synced object: its version, its owner, and whether it is now deleted.

    One row per object, rewritten by every change with a fresh ``version`` from ``SyncCounter``, so the
    change feed is ``version > cursor`` in version order. A deleted object keeps its row as a tombstone
    until ``tombstones_prune`` drops it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.SlugField(max_length=32, help_text='The synced type, e.g. "vehicle" (cardoc.sync sources).')
    object_id = models.UUIDField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sync_changes",
        help_text="The driver whose object this is; empty for public content (catalog, directory).",
    )
    version = models.PositiveBigIntegerField(unique=True)
    deleted = models.BooleanField(default=False)
    changed_at = models.DateTimeField()
    create_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the create request that made it with a client id."
    )
    write_digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the last pushed update, so that a retried push is a no-op."
    )

    objects = SyncChangeQuerySet.as_manager()

    class Meta:
        ordering = ["version"]
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="syncchange_kind_object_unique")]
        indexes = [
            models.Index(fields=["owner", "version"], name="syncchange_owner_version_idx"),
            models.Index(fields=["deleted", "changed_at"], name="syncchange_tombstone_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} v{self.version}{' (deleted)' if self.deleted else ''}"


class SyncCounter(models.Model):
    """The one counter that hands out change versions, and how far tombstones have been pruned.

    Incrementing it locks its row until the writing transaction commits, so versions become visible in
    the order they were handed out: a reader can never see version 7 while 6 is still uncommitted, and a
    cursor never skips a change. ``pruned_through`` is the highest version of a pruned tombstone: a cursor
    below it may have missed a deletion, so it must resync.
    """

    NAME = "changes"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=32, unique=True)
    value = models.PositiveBigIntegerField(default=0)
    pruned_through = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.value}"
