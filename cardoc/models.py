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


class SettingDataType(models.TextChoices):
    STRING = "string", "String"
    INTEGER = "integer", "Integer"
    BOOLEAN = "boolean", "Boolean"
    JSON = "json", "JSON"


class SettingCategory(models.TextChoices):
    AUTHENTICATION = "authentication", "Authentication"
    ML_MODELS = "ml_models", "ML models"
    NOTIFICATIONS = "notifications", "Notifications"


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
