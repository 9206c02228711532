from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.filters import FieldListFilter
from django.http import HttpRequest

from cardoc.models import AppSetting, AuditEvent, ContentVersion, SeededRow, SyncChange, SyncCounter


def titled_filter(title: str, base: type[FieldListFilter] = admin.AllValuesFieldListFilter) -> type[FieldListFilter]:
    """A field filter shown under ``title``: two filters on fields with the same name (``severity`` of a
    light and of a sound) would otherwise both read "By severity" in the sidebar."""

    class TitledFilter(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

    TitledFilter.__name__ = f"{base.__name__}Titled"
    return TitledFilter


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


@admin.register(SeededRow)
class SeededRowAdmin(ReadOnlyAdmin):
    """What ``manage.py seed`` last wrote, per row: read-only, since the loader alone keeps it."""

    list_display = ["kind", "key", "seeded_at"]
    list_filter = ["kind"]
    search_fields = ["key"]


@admin.register(ContentVersion)
class ContentVersionAdmin(ReadOnlyAdmin):
    """Shown so staff can see when the public catalog last changed; the signals keep it, never a person."""

    list_display = ["scope", "version", "updated_at"]


@admin.register(SyncChange)
class SyncChangeAdmin(ReadOnlyAdmin):
    """The sync feed's change log: read-only, since only the logged writes keep it (cardoc.sync)."""

    list_display = ["kind", "object_id", "version", "deleted", "owner", "changed_at"]
    list_filter = ["kind", "deleted"]
    search_fields = ["object_id", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        # A user's rows go with the user (CASCADE): refusing them here would block deleting an account.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(SyncCounter)
class SyncCounterAdmin(ReadOnlyAdmin):
    """How far the change versions have gone, and through which version tombstones were pruned."""

    list_display = ["name", "value", "pruned_through"]
