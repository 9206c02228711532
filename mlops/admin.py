from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cardoc.admin import ReadOnlyAdmin, titled_filter
from cardoc.charts import heatmap
from cardoc.exceptions import ConflictError
from mlops.artifacts import resolve
from mlops.models import MLModel, ModelStatus, Prediction
from mlops.services import model_deploy, model_feedback

WORST_CONFUSIONS = 10


@dataclass(frozen=True, slots=True)
class Confusion:
    """A training run's confusion matrix: rows are the true classes, columns the predicted ones."""

    labels: list[str]
    matrix: list[list[float]]

    @classmethod
    def from_metrics(cls, metrics: dict[str, Any]) -> Confusion | None:
        """The top-level ``confusion`` that new runs write, else the older ``validation.confusion``."""
        validation = metrics.get("validation")
        for raw in (metrics.get("confusion"), validation.get("confusion") if isinstance(validation, dict) else None):
            if not isinstance(raw, dict):
                continue
            labels, matrix = raw.get("labels"), raw.get("matrix")
            if (
                isinstance(labels, list)
                and isinstance(matrix, list)
                and len(matrix) == len(labels) > 0
                and all(isinstance(row, list) and len(row) == len(labels) for row in matrix)
                and all(isinstance(v, int | float) for row in matrix for v in row)
            ):
                return cls(labels=[str(label) for label in labels], matrix=matrix)
        return None

    def worst(self, count: int = WORST_CONFUSIONS) -> list[tuple[str, str, float, float]]:
        """The most frequent mistakes: (true, predicted, how many, share of the true class)."""
        mistakes = []
        for i, row in enumerate(self.matrix):
            total = sum(row)
            for j, value in enumerate(row):
                if i != j and value > 0:
                    mistakes.append((self.labels[i], self.labels[j], value, value / total))
        return sorted(mistakes, key=lambda m: (-m[2], -m[3], m[0], m[1]))[:count]


def trained_at(model: MLModel) -> datetime | None:
    """When the model was trained: the registry row, else what its training run wrote in metrics or config.

    ``model_register`` copies ``trained_at`` from config.json or metrics.json; rows registered before the
    training command wrote one (or artefacts trained elsewhere) may still carry it deeper in the metrics.
    """
    if model.trained_at is not None:
        return model.trained_at
    metrics = model.metrics if isinstance(model.metrics, dict) else {}
    training = metrics.get("training") if isinstance(metrics.get("training"), dict) else {}
    candidates = [metrics.get("trained_at"), training.get("trained_at"), training.get("finished_at")]
    config_file = resolve(model.artifact_path) / "config.json"
    if config_file.is_file():
        try:
            config = json.loads(config_file.read_text())
        except (OSError, ValueError):
            config = {}
        if isinstance(config, dict):
            candidates.append(config.get("trained_at"))
    for raw in candidates:
        moment = parse_datetime(raw) if isinstance(raw, str) else None
        if moment is not None:
            return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)
    return None


def traffic_explained(model: MLModel, testing_share: float | None) -> tuple[str, str]:
    """What share of its type's requests a model serves, short and in words: 0% on an active model is not
    "none", it is everything the testing models leave."""
    if model.status == ModelStatus.ACTIVE:
        rest = max(0.0, 1 - (testing_share or 0.0))
        return f"the rest: {rest:.0%}", f"All traffic not routed to a testing model (now {rest:.0%})"
    if model.status == ModelStatus.TESTING:
        if model.traffic_share > 0:
            share = f"{model.traffic_share:.0%}"
            return f"{share} (A/B test)", f"{share} of its type's requests (A/B test)"
        return "0% (not serving)", "0%: registered for evaluation, serves no request"
    return "none (retired)", "Retired: serves no request"


@admin.register(MLModel)
class MLModelAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "model_type", "status", "traffic_short", "accuracy_2dp", "trained_short"]
    list_filter = ["model_type", "status"]
    search_fields = ["name", "version", "sha256"]
    # A registry row describes an artefact on disk: registering (load_models, train_model) makes it and
    # the deploy action or the traffic API changes its state, so that every change is audited.
    readonly_fields = [
        "name",
        "version",
        "model_type",
        "status",
        "traffic",
        "artifact_path",
        "sha256",
        "size_bytes",
        "accuracy_2dp",
        "trained",
        "created_at",
        "deployed_at",
        "confusion_heatmap",
        "worst_confusions",
        "per_class_figures",
        "live_precision",
    ]
    fieldsets = [
        (None, {"fields": ["name", "version", "model_type", "status", "traffic", "deployed_at"]}),
        ("Quality", {"fields": ["accuracy_2dp", "worst_confusions", "confusion_heatmap", "per_class_figures"]}),
        ("Live precision from drivers' feedback", {"fields": ["live_precision"]}),
        ("Artefact", {"fields": ["trained", "artifact_path", "sha256", "size_bytes", "created_at"]}),
    ]
    actions = ["deploy_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[MLModel]:
        testing = (
            MLModel.objects.filter(model_type=OuterRef("model_type"), status=ModelStatus.TESTING)
            .order_by()
            .values("model_type")
            .annotate(total=Sum("traffic_share"))
            .values("total")
        )
        return super().get_queryset(request).annotate(testing_share=Subquery(testing))

    def get_urls(self) -> list[URLPattern]:
        confusion = path(
            "<uuid:pk>/confusion.png",
            self.admin_site.admin_view(self.confusion_png),
            name="mlops_mlmodel_confusion",
        )
        return [confusion, *super().get_urls()]

    def confusion_png(self, request: HttpRequest, pk: str) -> HttpResponse:
        model = self.get_object(request, str(pk))
        if model is None:
            raise Http404
        image = resolve(model.artifact_path) / "confusion.png"
        if not image.is_file():
            raise Http404
        return FileResponse(image.open("rb"), content_type="image/png")

    @admin.display(description="Traffic")
    def traffic(self, obj: MLModel) -> str:
        return traffic_explained(obj, getattr(obj, "testing_share", None))[1]

    @admin.display(description="Traffic")
    def traffic_short(self, obj: MLModel) -> SafeString:
        short, explained = traffic_explained(obj, getattr(obj, "testing_share", None))
        return format_html('<span title="{}">{}</span>', explained, short)

    @admin.display(description="Accuracy", ordering="accuracy")
    def accuracy_2dp(self, obj: MLModel) -> str:
        return "—" if obj.accuracy is None else f"{obj.accuracy:.2f}"

    @admin.display(description="Trained at", ordering="trained_at")
    def trained_short(self, obj: MLModel) -> str:
        moment = trained_at(obj)
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment is not None else "not recorded"

    @admin.display(description="Trained at", ordering="trained_at")
    def trained(self, obj: MLModel) -> str:
        moment = trained_at(obj)
        if moment is not None:
            return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
        registered = f"{timezone.localtime(obj.created_at):%Y-%m-%d %H:%M}" if obj.created_at else "—"
        return f"Not recorded by its training run; registered {registered}"

    @admin.display(description="Confusion matrix")
    def confusion_heatmap(self, obj: MLModel) -> SafeString:
        confusion = Confusion.from_metrics(obj.metrics if isinstance(obj.metrics, dict) else {})
        plot = (
            format_html(
                '<p><a href="{}">Training-time plot (PNG)</a></p>',
                reverse("admin:mlops_mlmodel_confusion", args=[obj.pk]),
            )
            if obj.pk and (resolve(obj.artifact_path) / "confusion.png").is_file()
            else ""
        )
        if confusion is None:
            return format_html("<p>{}</p>{}", "This model's metrics hold no confusion matrix.", plot)
        chart = heatmap(
            confusion.labels,
            confusion.matrix,
            label=f"Confusion matrix over {len(confusion.labels)} classes, normalized per true class",
        )
        return format_html('<div class="console-heatmap">{}</div>{}', chart, plot)

    @admin.display(description=f"The {WORST_CONFUSIONS} worst confusions")
    def worst_confusions(self, obj: MLModel) -> SafeString:
        confusion = Confusion.from_metrics(obj.metrics if isinstance(obj.metrics, dict) else {})
        if confusion is None:
            return format_html("{}", "—")
        worst = confusion.worst()
        if not worst:
            return format_html("{}", "No confusion: every validation example was classified correctly.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((true, predicted, f"{count:g}", f"{share:.0%}") for true, predicted, count, share in worst),
        )
        return format_html(
            '<table class="console-table" id="worst-confusions"><thead><tr><th>True class</th><th>Predicted as</th>'
            "<th>Examples</th><th>Share of the true class</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Per-class figures")
    def per_class_figures(self, obj: MLModel) -> SafeString:
        per_class = obj.per_class_metrics
        if not per_class:
            return format_html("{}", "—")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (code, *(f"{f.get(k, 0):.3f}" for k in ("precision", "recall", "f1")), f.get("support", ""))
                for code, f in sorted(per_class.items())
            ),
        )
        return format_html(
            '<table class="console-table"><tr><th>code</th><th>precision</th><th>recall</th><th>F1</th>'
            "<th>support</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="Live precision")
    def live_precision(self, obj: MLModel) -> SafeString:
        figures = model_feedback(model_ids=[obj.pk])[obj.pk]
        if not figures["reviewed"]:
            return format_html("{}", "No feedback yet: no driver has given a verdict on this model's findings.")

        def share(value: float | None) -> str:
            return "—" if value is None else f"{value:.3f}"

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (c["code"], c["reviewed"], c["confirmed"], c["rejected"], c["corrected"], share(c["precision"]))
                for c in figures["by_code"]
            ),
        )
        return format_html(
            '<p id="live-precision">Precision {} over {} reviewed findings ({} confirmed, {} rejected, {} corrected).'
            '</p><table class="console-table" id="live-precision-by-code"><tr><th>code</th><th>reviewed</th>'
            "<th>confirmed</th><th>rejected</th><th>corrected</th><th>precision</th></tr>{}</table>",
            share(figures["precision"]),
            figures["reviewed"],
            figures["confirmed"],
            figures["rejected"],
            figures["corrected"],
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
    list_display = ["created_at", "ml_model", "top_code", "confidence_2dp", "is_unknown", "latency"]
    list_filter = [("ml_model", titled_filter("model", admin.RelatedFieldListFilter)), "is_unknown"]
    list_select_related = ["ml_model"]
    date_hierarchy = "created_at"
    fields = ["created_at", "ml_model", "top_code", "confidence_2dp", "is_unknown", "latency"]
    readonly_fields = fields

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_2dp(self, obj: Prediction) -> str:
        return f"{obj.confidence:.2f}"

    @admin.display(description="Latency", ordering="latency_ms")
    def latency(self, obj: Prediction) -> str:
        return f"{obj.latency_ms:.1f} ms"
