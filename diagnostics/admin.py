from __future__ import annotations

from django.contrib import admin

from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult


class DetectionInline(admin.TabularInline):
    model = Detection
    extra = 0
    fields = [
        "warning_light",
        "engine_sound",
        "confidence",
        "ml_model",
        "box_x0",
        "box_y0",
        "box_x1",
        "box_y1",
        "start_s",
        "end_s",
    ]
    raw_id_fields = ["warning_light", "engine_sound", "ml_model"]


@admin.register(DiagnosticRecord)
class DiagnosticRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "diagnostic_type", "status", "vehicle", "attempts"]
    list_filter = ["diagnostic_type", "status", "created_at"]
    search_fields = ["user__email", "id", "client_ref"]
    autocomplete_fields = ["user", "vehicle"]
    list_select_related = ["user", "vehicle"]
    readonly_fields = ["created_at", "queued_at", "started_at", "finished_at", "attempts"]
    date_hierarchy = "created_at"


@admin.register(DiagnosticResult)
class DiagnosticResultAdmin(admin.ModelAdmin):
    list_display = ["record", "urgency", "overall_confidence", "created_at"]
    list_filter = ["urgency"]
    search_fields = ["record__user__email", "record__id"]
    raw_id_fields = ["record"]
    list_select_related = ["record", "record__user"]
    inlines = [DetectionInline]


@admin.register(Detection)
class DetectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "result", "confidence", "ml_model"]
    list_filter = ["warning_light__severity", "engine_sound__severity"]
    search_fields = ["warning_light__code", "engine_sound__code"]
    raw_id_fields = ["result", "warning_light", "engine_sound", "ml_model"]
    list_select_related = ["warning_light", "engine_sound", "ml_model", "result"]
