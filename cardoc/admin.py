from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cardoc.models import AppSetting, AuditEvent, ContentVersion


@admin.register(AppSetting)
class AppSettingAdmin(admin.ModelAdmin):
    list_display = ["key", "category", "data_type", "value", "is_public", "updated_at"]
    list_filter = ["category", "data_type", "is_public"]
    search_fields = ["key", "description"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit data is evidence: staff may read it, never add, change or delete it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "action", "status", "user", "ip_address"]
    list_filter = ["action", "status", "timestamp"]
    search_fields = ["user__email", "ip_address", "user_agent"]
    list_select_related = ["user"]
    date_hierarchy = "timestamp"


@admin.register(ContentVersion)
class ContentVersionAdmin(ReadOnlyAdmin):
    """Shown so staff can see when the public catalog last changed; the signals keep it, never a person."""

    list_display = ["scope", "version", "updated_at"]
