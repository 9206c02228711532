from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from cardoc.admin import ReadOnlyAdmin
from cardoc.exceptions import ConflictError
from mlops.artifacts import resolve
from mlops.models import MLModel, Prediction
from mlops.services import model_deploy


@admin.register(MLModel)
class MLModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "model_type", "status", "traffic_share", "accuracy", "trained_at"]
    list_filter = ["model_type", "status"]
    search_fields = ["name", "version", "sha256"]
    readonly_fields = [
        "sha256",
        "size_bytes",
        "created_at",
        "deployed_at",
        "per_class_figures",
        "confusion_matrix",
    ]
    exclude = ["metrics"]
    actions = ["deploy_selected"]

    def get_urls(self) -> list[URLPattern]:
        confusion = path(
            "<uuid:pk>/confusion.png",
            self.admin_site.admin_view(self.confusion_png),
            name="mlops_mlmodel_confusion",
        )
        return [confusion, *super().get_urls()]

    def confusion_png(self, request: HttpRequest, pk: str) -> HttpResponse:
        model = self.get_object(request, pk)
        if model is None:
            raise Http404
        image = resolve(model.artifact_path) / "confusion.png"
        if not image.is_file():
            raise Http404
        return FileResponse(image.open("rb"), content_type="image/png")

    @admin.display(description="Confusion matrix")
    def confusion_matrix(self, obj: MLModel) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:mlops_mlmodel_confusion", args=[obj.pk])
        return format_html('<img src="{}" alt="Confusion matrix" style="max-width: 640px">', url)

    @admin.display(description="Per-class figures")
    def per_class_figures(self, obj: MLModel) -> str:
        per_class = obj.per_class_metrics
        if not per_class:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (code, *(f"{f.get(k, 0):.3f}" for k in ("precision", "recall", "f1")), f.get("support", ""))
                for code, f in sorted(per_class.items())
            ),
        )
        return format_html(
            "<table><tr><th>code</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>{}</table>",
            rows,
        )

    @admin.action(
        description="Deploy the selected model (it becomes the active one of its type)", permissions=["change"]
    )
    def deploy_selected(self, request: HttpRequest, queryset: QuerySet[MLModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model to deploy.", level=messages.ERROR)
            return
        try:
            model = model_deploy(model=queryset.get(), actor=request.user, request=request)
        except ConflictError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        self.message_user(request, f"{model} is now the active {model.get_model_type_display()} model.")


@admin.register(Prediction)
class PredictionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ml_model", "top_code", "confidence", "is_unknown", "latency_ms"]
    list_filter = ["ml_model", "is_unknown"]
    list_select_related = ["ml_model"]
    date_hierarchy = "created_at"
