from __future__ import annotations

from django.contrib import admin

from catalog.admin import EngineSoundAdmin, EnglishOriginalAdmin, WarningLightAdmin
from catalog.models import EngineSound, WarningLight
from tutorials.models import Tutorial, TutorialEngineSound, TutorialWarningLight


class TutorialWarningLightInline(admin.TabularInline):
    model = TutorialWarningLight
    extra = 0
    autocomplete_fields = ["tutorial", "warning_light"]


class TutorialEngineSoundInline(admin.TabularInline):
    model = TutorialEngineSound
    extra = 0
    autocomplete_fields = ["tutorial", "engine_sound"]


@admin.register(Tutorial)
class TutorialAdmin(EnglishOriginalAdmin):
    list_display = ["title", "difficulty", "duration_seconds", "view_count", "updated_at"]
    list_filter = ["difficulty", "warning_lights__severity"]
    search_fields = ["title", "description", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["view_count", "created_at", "updated_at"]
    inlines = [TutorialWarningLightInline, TutorialEngineSoundInline]


@admin.register(TutorialWarningLight)
class TutorialWarningLightAdmin(admin.ModelAdmin):
    list_display = ["tutorial", "warning_light"]
    search_fields = ["tutorial__title", "warning_light__code"]
    autocomplete_fields = ["tutorial", "warning_light"]
    list_select_related = ["tutorial", "warning_light"]


@admin.register(TutorialEngineSound)
class TutorialEngineSoundAdmin(admin.ModelAdmin):
    list_display = ["tutorial", "engine_sound"]
    search_fields = ["tutorial__title", "engine_sound__code"]
    autocomplete_fields = ["tutorial", "engine_sound"]
    list_select_related = ["tutorial", "engine_sound"]


# The catalog sits below tutorials and cannot import them, so tutorials add their inlines to its pages.
class WarningLightWithTutorialsAdmin(WarningLightAdmin):
    inlines = [*WarningLightAdmin.inlines, TutorialWarningLightInline]


class EngineSoundWithTutorialsAdmin(EngineSoundAdmin):
    inlines = [*EngineSoundAdmin.inlines, TutorialEngineSoundInline]


admin.site.unregister(WarningLight)
admin.site.register(WarningLight, WarningLightWithTutorialsAdmin)
admin.site.unregister(EngineSound)
admin.site.register(EngineSound, EngineSoundWithTutorialsAdmin)
