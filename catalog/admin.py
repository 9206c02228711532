from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import translation
from django.utils.html import format_html
from modeltranslation.admin import TranslationAdmin

from cardoc.widgets import TextListField
from catalog.models import EngineSound, TroubleCode, WarningLight


class CausesAndRepairsForm(forms.ModelForm):
    """Causes and repair suggestions are ordered lists of sentences: edited one per line, not as raw JSON.

    One box per language (catalog.translation); the French ones may stay empty, and the API then shows the
    English text.
    """

    common_causes_en = TextListField(label="Common causes [en]", help_text="Most likely first.")
    common_causes_fr = TextListField(
        label="Common causes [fr]", required=False, help_text="Empty: French readers see the English list."
    )
    repair_suggestions_en = TextListField(
        label="Repair suggestions [en]", help_text="What the driver can do first, then what a mechanic does."
    )
    repair_suggestions_fr = TextListField(
        label="Repair suggestions [fr]", required=False, help_text="Empty: French readers see the English list."
    )


class EnglishOriginalAdmin(TranslationAdmin):  # type: ignore[misc]  # modeltranslation ships no type hints
    """Staff edit every language side by side; the save runs with English active, so the original columns
    (which the full-text search indexes) keep the English text whatever language the admin is shown in."""

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        with translation.override("en"):
            super().save_model(request, obj, form, change)


class WarningLightForm(CausesAndRepairsForm):
    class Meta:
        model = WarningLight
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields the page shows)


class EngineSoundForm(CausesAndRepairsForm):
    class Meta:
        model = EngineSound
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields the page shows)


class TroubleCodeForm(CausesAndRepairsForm):
    class Meta:
        model = TroubleCode
        fields = "__all__"  # noqa: DJ007 (the ModelAdmin decides which fields the page shows)


@admin.register(WarningLight)
class WarningLightAdmin(EnglishOriginalAdmin):
    form = WarningLightForm
    list_display = ["icon_preview", "code", "name", "severity", "colour", "manufacturer", "updated_at"]
    list_display_links = ["code", "name"]
    list_filter = ["severity", "colour", "manufacturer"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["icon_preview", "created_at", "updated_at"]

    @admin.display(description="Icon preview")
    def icon_preview(self, obj: WarningLight) -> str:
        if not obj.icon:
            return "—"
        return format_html('<img src="{}" alt="{}" width="40" height="40">', obj.icon.url, obj.name)


@admin.register(EngineSound)
class EngineSoundAdmin(EnglishOriginalAdmin):
    form = EngineSoundForm
    list_display = ["code", "name", "sound_type", "severity", "frequency_low_hz", "frequency_high_hz", "updated_at"]
    list_filter = ["sound_type", "severity"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(TroubleCode)
class TroubleCodeAdmin(EnglishOriginalAdmin):
    form = TroubleCodeForm
    list_display = ["code", "meaning", "system", "severity", "updated_at"]
    list_filter = ["system", "severity"]
    search_fields = ["code", "meaning", "description"]
    filter_horizontal = ["warning_lights", "engine_sounds"]
    readonly_fields = ["created_at", "updated_at"]
