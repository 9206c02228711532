from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models


class ModelType(models.TextChoices):
    IMAGE_CLASSIFICATION = "image_classification", "Image classification (dashboard)"
    AUDIO_CLASSIFICATION = "audio_classification", "Audio classification (engine sound)"
    OBJECT_DETECTION = "object_detection", "Object detection"


class ModelStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TESTING = "testing", "Testing"
    DEPRECATED = "deprecated", "Deprecated"


class MLModelQuerySet(models.QuerySet["MLModel"]):
    def of_type(self, model_type: str) -> MLModelQuerySet:
        return self.filter(model_type=model_type)

    def serving(self) -> MLModelQuerySet:
        """The active model and any testing model given a share of traffic."""
        return self.filter(
            models.Q(status=ModelStatus.ACTIVE) | models.Q(status=ModelStatus.TESTING, traffic_share__gt=0)
        )


class MLModel(models.Model):
    """One trained model version: its artefact on disk, its measured quality and its deployment state."""

    ModelType = ModelType
    Status = ModelStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=64)
    model_type = models.CharField(max_length=32, choices=ModelType)
    version = models.CharField(max_length=32)
    artifact_path = models.CharField(
        max_length=500, help_text="Folder holding weights.pt and config.json, relative to the project root."
    )
    sha256 = models.CharField(max_length=64, validators=[RegexValidator(r"^[0-9a-f]{64}$")])
    size_bytes = models.PositiveBigIntegerField()
    accuracy = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)])
    metrics = models.JSONField(default=dict, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ModelStatus, default=ModelStatus.TESTING)
    traffic_share = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Share of requests a testing model serves in an A/B test (0 to 1).",
    )
    deployed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MLModelQuerySet.as_manager()

    class Meta:
        ordering = ["model_type", "-created_at"]
        verbose_name = "ML model"
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="mlmodel_name_version_unique"),
            models.UniqueConstraint(
                fields=["model_type"], condition=models.Q(status="active"), name="mlmodel_one_active_per_type"
            ),
            models.CheckConstraint(condition=models.Q(model_type__in=ModelType.values), name="mlmodel_type_valid"),
            models.CheckConstraint(condition=models.Q(status__in=ModelStatus.values), name="mlmodel_status_valid"),
            models.CheckConstraint(
                condition=models.Q(traffic_share__gte=0, traffic_share__lte=1), name="mlmodel_traffic_share_0_1"
            ),
            models.CheckConstraint(
                condition=models.Q(accuracy__isnull=True) | models.Q(accuracy__gte=0, accuracy__lte=1),
                name="mlmodel_accuracy_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.status})"

    @property
    def per_class_metrics(self) -> dict[str, dict[str, float]]:
        """Precision, recall and F1 per code, wherever the training run put them."""
        per_class = self.metrics.get("per_class") or self.metrics.get("validation", {}).get("per_class")
        return per_class if isinstance(per_class, dict) else {}


class PredictionQuerySet(models.QuerySet["Prediction"]):
    def live_figures(self, *, sample: int = 10_000) -> dict[str, float | int | None]:
        """Served count, mean confidence, share of unknowns and latency percentiles of recent predictions."""
        totals = self.aggregate(
            served=models.Count("id"),
            mean_confidence=models.Avg("confidence"),
            unknowns=models.Count("id", filter=models.Q(is_unknown=True)),
        )
        # Percentiles need the values; the newest ``sample`` predictions keep this bounded.
        latencies = sorted(self.order_by("-created_at").values_list("latency_ms", flat=True)[:sample])
        served = totals["served"]
        return {
            "predictions": served,
            "mean_confidence": totals["mean_confidence"],
            "unknown_share": totals["unknowns"] / served if served else None,
            "latency_p50_ms": _percentile(latencies, 0.50),
            "latency_p95_ms": _percentile(latencies, 0.95),
        }


def _percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Prediction(models.Model):
    """One inference a model served: what it was sure of, how long it took. Feeds the live figures."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ml_model = models.ForeignKey(MLModel, on_delete=models.CASCADE, related_name="predictions")
    created_at = models.DateTimeField(auto_now_add=True)
    top_code = models.CharField(max_length=64, blank=True, help_text="Empty when the model found nothing.")
    confidence = models.FloatField(default=0.0)
    is_unknown = models.BooleanField(default=False)
    latency_ms = models.FloatField()

    objects = PredictionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["ml_model", "created_at"], name="prediction_model_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="prediction_confidence_0_1"
            ),
            models.CheckConstraint(condition=models.Q(latency_ms__gte=0), name="prediction_latency_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.ml_model}: {self.top_code or 'nothing'} ({self.confidence:.2f})"
