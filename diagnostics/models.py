from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models

from accounts.models import User, Vehicle
from catalog.models import EngineSound, WarningLight
from mlops.models import MLModel


def private_storage() -> Storage:
    """Drivers' photos and recordings: no public URL, streamed to their owner by the API.

    A callable keeps the storage's location (an environment setting) out of the migrations.
    """
    return storages["private"]


class DiagnosticType(models.TextChoices):
    DASHBOARD_SCAN = "dashboard_scan", "Dashboard scan"
    ENGINE_SOUND = "engine_sound", "Engine sound"
    COMBINED = "combined", "Combined"


class DiagnosticStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"
    SOON = "soon", "Soon"
    MONITORING = "monitoring", "Monitoring"


class DiagnosticQuerySet(models.QuerySet["DiagnosticRecord"]):
    def visible_to(self, user: User) -> DiagnosticQuerySet:
        return self.filter(user=user)

    def with_summary(self) -> DiagnosticQuerySet:
        """For history lists: each record's result and what it found, in a fixed number of queries."""
        return self.select_related("result").prefetch_related(
            models.Prefetch(
                "result__detections",
                queryset=Detection.objects.select_related("warning_light", "engine_sound"),
            )
        )

    def with_findings(self) -> DiagnosticQuerySet:
        """For one record's full result: detections with their catalog entries, tutorials and models."""
        return self.select_related("result").prefetch_related(
            "ml_models",
            models.Prefetch(
                "result__detections",
                queryset=Detection.objects.select_related("warning_light", "engine_sound", "ml_model").prefetch_related(
                    "warning_light__tutorials", "engine_sound__tutorials"
                ),
            ),
        )


class DiagnosticRecord(models.Model):
    """One diagnosis a driver asked for: the evidence they sent and where its analysis stands."""

    Type = DiagnosticType
    Status = DiagnosticStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diagnostics")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="diagnostics")
    diagnostic_type = models.CharField(max_length=16, choices=DiagnosticType)
    image = models.FileField(upload_to="diagnostics/images/%Y/%m/", storage=private_storage, blank=True)
    audio = models.FileField(upload_to="diagnostics/audio/%Y/%m/", storage=private_storage, blank=True)
    status = models.CharField(max_length=16, choices=DiagnosticStatus, default=DiagnosticStatus.PENDING)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Analysis runs started, retries included.")
    runs_started = models.PositiveIntegerField(
        default=0, editable=False, help_text="Every run ever started; never reset, so a stale run knows it is stale."
    )
    client_ref = models.UUIDField(
        null=True, blank=True, help_text="Made on the phone while offline, so a retried upload is stored once."
    )
    ml_models = models.ManyToManyField(MLModel, related_name="diagnostics", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current analysis was last queued; the sweep reads it."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DiagnosticQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="diagnostic_user_created_idx"),
            models.Index(fields=["status", "started_at"], name="diagnostic_status_started_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_ref"], name="diagnostic_client_ref_unique_per_user"),
            models.CheckConstraint(
                condition=models.Q(diagnostic_type__in=DiagnosticType.values), name="diagnostic_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DiagnosticStatus.values), name="diagnostic_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_diagnostic_type_display()} of {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED)


class DiagnosticResult(models.Model):
    """The outcome of one diagnostic's analysis: how sure we are and how urgent it is."""

    Urgency = Urgency

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.OneToOneField(DiagnosticRecord, on_delete=models.CASCADE, related_name="result")
    analysis = models.JSONField(default=dict, blank=True, help_text="Raw model output and timings.")
    overall_confidence = models.FloatField()
    urgency = models.CharField(max_length=16, choices=Urgency)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["urgency"], name="diagnosticresult_urgency_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(overall_confidence__gte=0, overall_confidence__lte=1),
                name="diagnostic_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=Urgency.values), name="diagnosticresult_urgency_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.urgency} ({self.overall_confidence:.0%})"


class Detection(models.Model):
    """One finding in a result: a warning light seen at a place in the photo, or a sound heard over a span."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    result = models.ForeignKey(DiagnosticResult, on_delete=models.CASCADE, related_name="detections")
    warning_light = models.ForeignKey(
        WarningLight, on_delete=models.PROTECT, null=True, blank=True, related_name="detections"
    )
    engine_sound = models.ForeignKey(
        EngineSound, on_delete=models.PROTECT, null=True, blank=True, related_name="detections"
    )
    ml_model = models.ForeignKey(MLModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections")
    confidence = models.FloatField()
    box_x0 = models.PositiveIntegerField(null=True, blank=True)
    box_y0 = models.PositiveIntegerField(null=True, blank=True)
    box_x1 = models.PositiveIntegerField(null=True, blank=True)
    box_y1 = models.PositiveIntegerField(null=True, blank=True)
    start_s = models.FloatField(null=True, blank=True)
    end_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-confidence"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(warning_light__isnull=False, engine_sound__isnull=True)
                    | models.Q(warning_light__isnull=True, engine_sound__isnull=False)
                ),
                name="detection_exactly_one_catalog_entry",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="detection_confidence_0_1"
            ),
            models.CheckConstraint(
                condition=models.Q(box_x0__isnull=True)
                | models.Q(box_x0__lte=models.F("box_x1"), box_y0__lte=models.F("box_y1")),
                name="detection_box_ordered",
            ),
            # A span is both ends or neither. A comparison with NULL is NULL, which a CHECK lets through, so
            # the ordering check alone let a half-open span in; the IS NOT NULLs make it false.
            models.CheckConstraint(
                condition=models.Q(start_s__isnull=True, end_s__isnull=True)
                | models.Q(start_s__isnull=False, end_s__isnull=False, start_s__gte=0, start_s__lt=models.F("end_s")),
                name="detection_span_ordered",
            ),
            # Spans are for sounds, boxes for lights.
            models.CheckConstraint(
                condition=models.Q(start_s__isnull=True) | models.Q(engine_sound__isnull=False),
                name="detection_span_only_for_sounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warning_light or self.engine_sound} ({self.confidence:.0%})"

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        if self.box_x0 is None:
            return None
        return (self.box_x0, self.box_y0, self.box_x1, self.box_y1)  # type: ignore[return-value]
