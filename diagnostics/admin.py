from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from PIL import Image, UnidentifiedImageError

from cardoc.admin import titled_filter
from cardoc.charts import Box, Span, boxes_over_image, timeline
from cardoc.exceptions import ConflictError
from diagnostics.models import Detection, DiagnosticFeedback, DiagnosticRecord, DiagnosticResult, FindingFeedback
from diagnostics.services import diagnostic_delete, diagnostic_reanalyze
from mlops.sniff import sniff_file

MEDIA_KINDS = {"image": "photo", "audio": "recording"}


def _confidence(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _finding_name(detection: Detection) -> str:
    entry = detection.entry
    return f"{entry.code}" if entry else "?"


def _catalog_link(detection: Detection) -> SafeString:
    entry = detection.entry
    if entry is None:
        return format_html("{}", "—")
    url = reverse(f"admin:catalog_{entry._meta.model_name}_change", args=[entry.pk])
    return format_html('<a href="{}">{}</a> <code>{}</code>', url, entry.name, entry.code)


class DetectionDisplay:
    """How the console shows one finding, in the result's inline and on the finding's own page."""

    @admin.display(description="Finding")
    def catalog_entry(self, obj: Detection) -> SafeString:
        return _catalog_link(obj)

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_2dp(self, obj: Detection) -> str:
        return _confidence(obj.confidence)

    @admin.display(description="Box (x0, y0, x1, y1)")
    def box(self, obj: Detection) -> str:
        return ", ".join(str(v) for v in obj.box) if obj.box else "—"

    @admin.display(description="Heard (s)")
    def span(self, obj: Detection) -> str:
        return "—" if obj.start_s is None else f"{obj.start_s:.2f}–{obj.end_s:.2f}"


class DetectionInline(DetectionDisplay, admin.TabularInline):
    """A result's findings, as the analysis wrote them: evidence, so read-only."""

    model = Detection
    extra = 0
    can_delete = False
    fields = ["catalog_entry", "confidence_2dp", "ml_model", "box", "span"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Detection]:
        return super().get_queryset(request).select_related("warning_light", "engine_sound", "ml_model")


@admin.register(DiagnosticRecord)
class DiagnosticRecordAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "user",
        "diagnostic_type",
        "status",
        "urgency",
        "confidence",
        "vehicle",
        "attempts",
    ]
    list_filter = [
        "diagnostic_type",
        "status",
        ("result__urgency", titled_filter("urgency", admin.ChoicesFieldListFilter)),
        "created_at",
    ]
    search_fields = ["user__email", "id", "client_ref"]
    list_select_related = ["user", "vehicle", "result"]
    date_hierarchy = "created_at"
    actions = ["reanalyze_selected"]
    # What the driver sent and what the analysis found are evidence: staff read them, never rewrite them.
    # They may delete a diagnostic or have it analysed again, both through the services that audit it.
    readonly_fields = [
        "user",
        "vehicle",
        "diagnostic_type",
        "status",
        "error_code",
        "error_message",
        "client_ref",
        "photo",
        "recording",
        "findings",
        "urgency",
        "confidence",
        "model_versions",
        "timings",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "attempts",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["user", "vehicle", "diagnostic_type", "status", "error_code", "error_message", "client_ref"]},
        ),
        ("Result", {"fields": ["urgency", "confidence", "findings"]}),
        ("Evidence", {"fields": ["photo", "recording"]}),
        ("Models and timings", {"fields": ["model_versions", "timings"]}),
        (
            "History",
            {"fields": ["created_at", "queued_at", "started_at", "finished_at", "attempts"], "classes": ["collapse"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A diagnostic starts as a driver's upload through the API; one made here would have no evidence.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: DiagnosticRecord) -> None:
        # The service also removes the photo and recording from private storage, and audits who did it.
        diagnostic_delete(record=obj, user=request.user, request=request)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set[str], Any]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A result and its findings cannot be deleted on their own, but they go with their diagnostic.
        evidence = {str(DiagnosticResult._meta.verbose_name), str(Detection._meta.verbose_name)}
        return deleted, counts, {p for p in perms_needed if str(p) not in evidence}, protected

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DiagnosticRecord]) -> None:
        for record in queryset:
            diagnostic_delete(record=record, user=request.user, request=request)

    @admin.action(description="Analyse the selected diagnostics again (e.g. after a deploy)")
    def reanalyze_selected(self, request: HttpRequest, queryset: QuerySet[DiagnosticRecord]) -> None:
        queued, busy = 0, 0
        for record in queryset:
            try:
                diagnostic_reanalyze(record=record, user=request.user, request=request)
            except ConflictError:
                busy += 1
            else:
                queued += 1
        if queued:
            self.message_user(request, f"{queued} diagnostic(s) queued for a new analysis.")
        if busy:
            self.message_user(
                request, f"{busy} diagnostic(s) skipped: their analysis is still pending or running.", messages.WARNING
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[DiagnosticRecord]:
        records = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "diagnostics_diagnosticrecord_change":
            return records.with_findings()
        return records

    def get_urls(self) -> list[URLPattern]:
        media = [
            path(
                f"<uuid:pk>/{kind}/",
                self.admin_site.admin_view(self.media_view),
                {"kind": kind},
                name=f"diagnostics_diagnosticrecord_{kind}",
            )
            for kind in MEDIA_KINDS
        ]
        return [*media, *super().get_urls()]

    def media_view(self, request: HttpRequest, pk: str, kind: str) -> FileResponse:
        """Stream a diagnostic's photo or recording to staff who may view diagnostics (private storage)."""
        record = self.get_object(request, str(pk))
        if record is None or not self.has_view_permission(request, record):
            raise Http404
        field_file = getattr(record, kind)
        if not field_file:
            raise Http404(f"This diagnostic has no {MEDIA_KINDS[kind]}.")
        try:
            handle = field_file.storage.open(field_file.name, "rb")
        except FileNotFoundError as exc:
            raise Http404("This file is no longer available.") from exc
        sniffed = sniff_file(handle)
        response = FileResponse(
            handle,
            content_type=sniffed.content_type if sniffed else "application/octet-stream",
            filename=f"diagnostic-{record.pk}.{sniffed.extension if sniffed else 'bin'}",
        )
        # The same guards as the owner's download: the bytes are a driver's upload, never to be run as a page.
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-cache"
        return response

    def _result(self, obj: DiagnosticRecord) -> DiagnosticResult | None:
        return getattr(obj, "result", None) if obj.pk else None

    def _analysis(self, obj: DiagnosticRecord) -> dict[str, Any]:
        result = self._result(obj)
        return result.analysis if result is not None and isinstance(result.analysis, dict) else {}

    @admin.display(description="Urgency", ordering="result__urgency")
    def urgency(self, obj: DiagnosticRecord) -> str:
        result = self._result(obj)
        return result.get_urgency_display() if result else "—"

    @admin.display(description="Confidence", ordering="result__overall_confidence")
    def confidence(self, obj: DiagnosticRecord) -> str:
        result = self._result(obj)
        return _confidence(result.overall_confidence) if result else "—"

    @admin.display(description="Findings")
    def findings(self, obj: DiagnosticRecord) -> SafeString:
        result = self._result(obj)
        if result is None:
            return format_html("{}", "No result yet." if not obj.is_finished else "No result.")
        detections = list(result.detections.all())
        missing = self._analysis(obj).get("not_in_catalog") or []
        if not detections:
            body = format_html("<p>{}</p>", "Nothing recognised (unknown).")
        else:
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        _catalog_link(d),
                        d.entry.get_severity_display(),
                        _confidence(d.confidence),
                        str(d.ml_model) if d.ml_model else "—",
                    )
                    for d in detections
                ),
            )
            body = format_html(
                '<table class="console-table"><thead><tr><th>Finding</th><th>Severity</th><th>Confidence</th>'
                "<th>Model</th></tr></thead><tbody>{}</tbody></table>",
                rows,
            )
        if missing:
            body = format_html("{}<p>Recognised but not in the catalog: {}</p>", body, ", ".join(missing))
        return body

    @admin.display(description="Photo")
    def photo(self, obj: DiagnosticRecord) -> SafeString:
        if not obj.pk or not obj.image:
            return format_html("{}", "No photo.")
        url = reverse("admin:diagnostics_diagnosticrecord_image", args=[obj.pk])
        try:
            with obj.image.storage.open(obj.image.name, "rb") as handle, Image.open(handle) as image:
                width, height = image.size
        except (FileNotFoundError, UnidentifiedImageError, OSError):
            return format_html("{}", "The photo can no longer be read.")
        result = self._result(obj)
        boxes = [
            Box(*d.box, label=f"{_finding_name(d)} {d.confidence:.2f}")  # type: ignore[misc]
            for d in (result.detections.all() if result else [])
            if d.box is not None
        ]
        drawing = boxes_over_image(
            url, width=width, height=height, boxes=boxes, label=f"The photo with {len(boxes)} detection box(es)"
        )
        return format_html(
            '<div class="console-photo">{}</div><p><a href="{}">Open the original</a> ({} × {} px)</p>',
            drawing,
            url,
            width,
            height,
        )

    @admin.display(description="Recording")
    def recording(self, obj: DiagnosticRecord) -> SafeString:
        if not obj.pk or not obj.audio:
            return format_html("{}", "No recording.")
        url = reverse("admin:diagnostics_diagnosticrecord_audio", args=[obj.pk])
        player = format_html('<audio controls preload="metadata" src="{}"></audio>', url)
        engine = self._analysis(obj).get("engine_sound") or {}
        windows = [
            Span(float(w["start_s"]), float(w["end_s"]), str(w["code"]), float(w.get("confidence", 0)))
            for w in engine.get("windows") or []
            if isinstance(w, dict) and {"start_s", "end_s", "code"} <= w.keys()
        ]
        if not windows:
            return format_html("{}<p>{}</p>", player, "No analysis windows recorded.")
        verdict = engine.get("verdict") or {}
        chart = timeline(
            float(engine.get("duration_s") or 0),
            windows,
            label=f"Timeline of the {len(windows)} analysis windows",
        )
        return format_html(
            '{}<div class="console-timeline">{}</div><p>Verdict: <strong>{}</strong> ({}), {} windows over {} s.</p>',
            player,
            chart,
            verdict.get("code", "—"),
            _confidence(verdict.get("confidence")),
            len(windows),
            engine.get("duration_s", "—"),
        )

    @admin.display(description="Model versions")
    def model_versions(self, obj: DiagnosticRecord) -> SafeString:
        if not obj.pk:
            return format_html("{}", "—")
        models = list(obj.ml_models.all())
        if not models:
            return format_html("{}", "—")
        return format_html_join(
            ", ",
            '<a href="{}">{} {}</a>',
            ((reverse("admin:mlops_mlmodel_change", args=[m.pk]), m.name, m.version) for m in models),
        )

    @admin.display(description="Timings")
    def timings(self, obj: DiagnosticRecord) -> SafeString:
        analysis = self._analysis(obj)
        rows: list[tuple[str, str]] = []
        for kind, name in (("dashboard", "Dashboard model"), ("engine_sound", "Engine-sound model")):
            elapsed = (analysis.get(kind) or {}).get("elapsed_ms")
            if elapsed is not None:
                rows.append((name, f"{elapsed:.1f} ms"))
        names = {"inference_ms": "Inference", "queue_wait_ms": "Waiting in the queue", "total_ms": "Queued to done"}
        for key, value in (analysis.get("timings") or {}).items():
            if value is not None:
                rows.append((names.get(key, key), f"{value:.1f} ms"))
        if not rows:
            return format_html("{}", "—")
        return format_html(
            '<table class="console-table"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )


@admin.register(DiagnosticResult)
class DiagnosticResultAdmin(admin.ModelAdmin):
    list_display = ["record", "urgency", "confidence", "created_at"]
    list_filter = ["urgency"]
    search_fields = ["record__user__email", "record__id"]
    raw_id_fields = ["record"]
    list_select_related = ["record", "record__user"]
    fields = ["record", "urgency", "confidence", "analysis", "created_at"]
    readonly_fields = fields
    inlines = [DetectionInline]

    # A result is what an analysis wrote: replaced by a re-analysis, removed with its diagnostic.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Overall confidence", ordering="overall_confidence")
    def confidence(self, obj: DiagnosticResult) -> str:
        return _confidence(obj.overall_confidence)


@admin.register(Detection)
class DetectionAdmin(DetectionDisplay, admin.ModelAdmin):
    list_display = ["__str__", "result", "confidence_2dp", "ml_model"]
    list_filter = [
        ("warning_light__severity", titled_filter("warning-light severity", admin.ChoicesFieldListFilter)),
        ("engine_sound__severity", titled_filter("engine-sound severity", admin.ChoicesFieldListFilter)),
    ]
    search_fields = ["warning_light__code", "engine_sound__code"]
    list_select_related = ["warning_light", "engine_sound", "ml_model", "result"]
    fields = ["result", "catalog_entry", "confidence_2dp", "ml_model", "box", "span"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # What a model found is evidence; a re-analysis replaces it, staff never edit it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _DriversWordAdmin(admin.ModelAdmin):
    """Drivers' feedback is their word on a result: staff read it (it feeds live precision), never write it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DiagnosticFeedback)
class DiagnosticFeedbackAdmin(_DriversWordAdmin):
    list_display = ["record", "user", "revision", "updated_at"]
    search_fields = ["user__email", "record__id"]
    list_select_related = ["record", "user"]
    raw_id_fields = ["record", "user"]


@admin.register(FindingFeedback)
class FindingFeedbackAdmin(_DriversWordAdmin):
    list_display = ["predicted_code", "verdict", "ml_model", "feedback"]
    list_filter = ["verdict", "ml_model"]
    search_fields = ["predicted_code"]
    list_select_related = ["ml_model", "feedback"]
    raw_id_fields = ["feedback", "detection"]
