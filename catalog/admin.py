from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from catalog.models import EngineSound, WarningLight


@admin.register(WarningLight)
class WarningLightAdmin(admin.ModelAdmin):
    list_display = ["icon_preview", "code", "name", "severity", "colour", "manufacturer", "updated_at"]
    list_display_links = ["code", "name"]
    list_filter = ["severity", "colour", "manufacturer"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["icon_preview", "created_at", "updated_at"]

    @admin.display(description="Icon")
    def icon_preview(self, obj: WarningLight) -> str:
        if not obj.icon:
            return "—"
        return format_html('<img src="{}" alt="{}" width="40" height="40">', obj.icon.url, obj.name)


@admin.register(EngineSound)
class EngineSoundAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sound_type", "severity", "frequency_low_hz", "frequency_high_hz", "updated_at"]
    list_filter = ["sound_type", "severity"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["created_at", "updated_at"]
