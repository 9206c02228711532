from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User, Vehicle
from catalog.models import EngineSound, TroubleCode, WarningLight
from mlops.models import MLModel


def private_storage() -> Storage:
    """Drivers' photos and recordings: no public URL, streamed to their owner by the API.

    A callable keeps the storage's location (an environment setting) out of the migrations.
    """
    return storages["private"]


class DiagnosticType(models.TextChoices):
    DASHBOARD_SCAN = "dashboard_scan", _("Dashboard scan")
    ENGINE_SOUND = "engine_sound", _("Engine sound")
    COMBINED = "combined", _("Combined")
    TROUBLE_CODES = "trouble_codes", _("Trouble codes")


class DiagnosticStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class FailureReason(models.TextChoices):
    """Why the worker failed a diagnostic: a stable code, stored with its figures (``error_params``) so that
    the message is written at read time in the reader's language (``DiagnosticRecord.failure_message``)."""

    MEDIA_UNREADABLE = "media_unreadable", _("The file could not be analysed")
    MEDIA_MISSING = "media_missing", _("The file is no longer available")
    MODEL_UNAVAILABLE = "model_unavailable", _("No analysis model was available")
    DATABASE_BUSY = "database_busy", _("The database was busy")
    TIMED_OUT = "timed_out", _("The analysis took too long")
    INTERNAL_ERROR = "internal_error", _("An error on our side")


def failure_message(code: str, params: dict[str, Any]) -> str:
    """What the driver is told about a failure, in the active language, from its code and figures."""
    attempts = int(params.get("attempts") or 1)
    if code == FailureReason.MEDIA_UNREADABLE:
        return gettext(
            "The uploaded file could not be analysed: it is damaged, cut short or not a photo or recording we can "
            "read. Please send another one."
        )
    if code == FailureReason.MEDIA_MISSING:
        return gettext("The uploaded file is no longer available.")
    if code == FailureReason.MODEL_UNAVAILABLE:
        return ngettext(
            "The analysis could not run after %(attempts)d attempt: no analysis model was available. "
            "Please try again later.",
            "The analysis could not run after %(attempts)d attempts: no analysis model was available. "
            "Please try again later.",
            attempts,
        ) % {"attempts": attempts}
    if code == FailureReason.DATABASE_BUSY:
        return ngettext(
            "The analysis could not run after %(attempts)d attempt: the database was busy. Please try again later.",
            "The analysis could not run after %(attempts)d attempts: the database was busy. Please try again later.",
            attempts,
        ) % {"attempts": attempts}
    if code == FailureReason.TIMED_OUT:
        return ngettext(
            "The analysis did not finish within %(minutes)d min, %(attempts)d time; it was stopped. Please try again.",
            "The analysis did not finish within %(minutes)d min, %(attempts)d times; it was stopped. Please try again.",
            attempts,
        ) % {"attempts": attempts, "minutes": int(params.get("minutes") or 0)}
    return gettext("The analysis failed because of an error on our side.")


class Urgency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediate")
    SOON = "soon", _("Soon")
    MONITORING = "monitoring", _("Monitoring")


class QualityHint(models.TextChoices):
    """Why a photo or recording showed nothing, measured by ``mlops.ml.quality``; the label says why."""

    TOO_SMALL = "too_small", _("The photo is too small to read the symbols.")
    TOO_DARK = "too_dark", _("The photo is too dark: no lit symbol can be seen.")
    NO_PANEL = "no_panel", _("No instrument panel is in view.")
    OVEREXPOSED = "overexposed", _("The photo is overexposed: the bright areas are washed out.")
    BLURRED = "blurred", _("The photo is blurred: the symbols' outlines cannot be made out.")
    TOO_SHORT = "too_short", _("The recording is too short to judge the engine.")
    TOO_QUIET = "too_quiet", _("The recording is too quiet: the engine can hardly be heard.")
    CLIPPED = "clipped", _("The recording is distorted: the sound was too loud for the microphone.")
    WIND = "wind", _("The recording is mostly wind noise.")
    SPEECH = "speech", _("The recording is mostly people talking.")


# One concrete instruction per hint: what to do differently on the next try.
RETAKE_INSTRUCTIONS = {
    QualityHint.TOO_SMALL: _("Take the photo with the phone's main camera, 30 to 50 cm from the dashboard."),
    QualityHint.TOO_DARK: _("Switch the ignition on so the warning lights are lit, then take the photo again."),
    QualityHint.NO_PANEL: _(
        "Point the camera at the instrument cluster behind the steering wheel, with the lights on."
    ),
    QualityHint.OVEREXPOSED: _("Shade the dashboard from direct sunlight or turn off the flash, then retake it."),
    QualityHint.BLURRED: _("Hold the phone still with both hands and tap the screen to focus on the lights."),
    QualityHint.TOO_SHORT: _("Record for at least 5 seconds with the engine running."),
    QualityHint.TOO_QUIET: _("Open the bonnet and hold the phone about 30 cm from the engine while it runs."),
    QualityHint.CLIPPED: _("Hold the phone a little further from the engine, about an arm's length."),
    QualityHint.WIND: _("Record out of the wind, with the phone sheltered inside the engine bay."),
    QualityHint.SPEECH: _("Ask everyone to stay quiet while you record the engine."),
}


class DiagnosticQuerySet(models.QuerySet["DiagnosticRecord"]):
    def visible_to(self, user: User) -> DiagnosticQuerySet:
        return self.filter(user=user)

    def with_summary(self) -> DiagnosticQuerySet:
        """For history lists: each record's result and what it found, in a fixed number of queries."""
        return self.select_related("result").prefetch_related(
            models.Prefetch(
                "result__detections",
                queryset=Detection.objects.select_related("warning_light", "engine_sound", "trouble_code"),
            )
        )

    def with_findings(self) -> DiagnosticQuerySet:
        """For one record's full result: detections with their catalog entries, tutorials and models."""
        return self.select_related("result").prefetch_related(
            "ml_models",
            models.Prefetch(
                "result__detections",
                queryset=Detection.objects.select_related(
                    "warning_light", "engine_sound", "trouble_code", "ml_model"
                ).prefetch_related(
                    "warning_light__tutorials",
                    "engine_sound__tutorials",
                    "warning_light__repair_services",
                    "engine_sound__repair_services",
                    "trouble_code__warning_lights__repair_services",
                    "trouble_code__engine_sounds__repair_services",
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
    error_message = models.TextField(
        blank=True, help_text="What went wrong, in English with its technical detail, for staff and the audit."
    )
    error_code = models.CharField(
        max_length=32,
        choices=FailureReason,
        blank=True,
        help_text="Why it failed, as a stable code; empty on rows failed before codes existed.",
    )
    error_params = models.JSONField(
        default=dict, blank=True, help_text="The figures of the failure's message (attempts, minutes)."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Analysis runs started, retries included.")
    runs_started = models.PositiveIntegerField(
        default=0, editable=False, help_text="Every run ever started; never reset, so a stale run knows it is stale."
    )
    client_ref = models.UUIDField(
        null=True, blank=True, help_text="Made on the phone while offline, so a retried upload is stored once."
    )
    # Where the driver was, when the phone sent it: the result lists nearby garages from here.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    media_bytes = models.PositiveBigIntegerField(
        default=0, editable=False, help_text="Size of the stored photo and recording; counts toward the storage quota."
    )
    dtc_codes = models.JSONField(
        default=list, blank=True, help_text="The OBD-II trouble codes the driver's scanner read, upper case."
    )
    odometer_km = models.PositiveIntegerField(null=True, blank=True, help_text="The car's reading when diagnosed.")
    ml_models = models.ManyToManyField(MLModel, related_name="diagnostics", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    captured_at = models.DateTimeField(
        default=timezone.now,
        help_text="When the photo or recording was taken on the phone (offline, that is before the upload).",
    )
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current analysis was last queued; the sweep reads it."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = DiagnosticQuerySet.as_manager()

    class Meta:
        ordering = ["-captured_at", "-id"]
        indexes = [
            # The history: one driver's newest captures first, in exactly the list's order (the id breaks ties).
            models.Index(fields=["user", "-captured_at", "-id"], name="diagnostic_user_captured_idx"),
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
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="diagnostic_location_whole_and_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(error_code="") | models.Q(error_code__in=FailureReason.values),
                name="diagnostic_error_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_diagnostic_type_display()} of {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    def failure_message(self) -> str:
        """Why it failed, for the driver, in the active language; a row failed before codes existed keeps its
        stored text (it was written in English)."""
        if not self.error_code:
            return self.error_message
        return failure_message(self.error_code, self.error_params or {})

    @property
    def is_finished(self) -> bool:
        return self.status in (DiagnosticStatus.COMPLETED, DiagnosticStatus.FAILED)

    @property
    def location(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


class DiagnosticResult(models.Model):
    """The outcome of one diagnostic's analysis: how sure we are and how urgent it is."""

    Urgency = Urgency

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.OneToOneField(DiagnosticRecord, on_delete=models.CASCADE, related_name="result")
    analysis = models.JSONField(default=dict, blank=True, help_text="Raw model output and timings.")
    overall_confidence = models.FloatField()
    urgency = models.CharField(max_length=16, choices=Urgency)
    image_hint = models.CharField(
        max_length=16, choices=QualityHint, blank=True, help_text="Why the photo showed no light (measured)."
    )
    audio_hint = models.CharField(
        max_length=16, choices=QualityHint, blank=True, help_text="Why the recording showed no sound (measured)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["urgency"], name="diagnosticresult_urgency_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(image_hint="") | models.Q(image_hint__in=QualityHint.values),
                name="diagnosticresult_image_hint_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(audio_hint="") | models.Q(audio_hint__in=QualityHint.values),
                name="diagnosticresult_audio_hint_valid",
            ),
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
    trouble_code = models.ForeignKey(
        TroubleCode,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="detections",
        help_text="A code the driver's scanner read (confidence 1: it was read, not inferred).",
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
                    models.Q(warning_light__isnull=False, engine_sound__isnull=True, trouble_code__isnull=True)
                    | models.Q(warning_light__isnull=True, engine_sound__isnull=False, trouble_code__isnull=True)
                    | models.Q(warning_light__isnull=True, engine_sound__isnull=True, trouble_code__isnull=False)
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
        return f"{self.entry} ({self.confidence:.0%})"

    @property
    def entry(self) -> WarningLight | EngineSound | TroubleCode:
        """The catalog entry this finding is about: exactly one is set."""
        return self.warning_light or self.engine_sound or self.trouble_code  # type: ignore[return-value]

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        if self.box_x0 is None:
            return None
        return (self.box_x0, self.box_y0, self.box_x1, self.box_y1)  # type: ignore[return-value]

    @property
    def code(self) -> str:
        return self.entry.code


class FeedbackQuerySet(models.QuerySet["DiagnosticFeedback"]):
    def visible_to(self, user: User) -> FeedbackQuerySet:
        return self.filter(user=user)


class DiagnosticFeedback(models.Model):
    """What one driver said about one diagnostic's result: the verdicts on its findings and what the mechanic found.

    One per diagnostic; sending it again replaces the verdicts (``revision`` counts the sends).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.OneToOneField(DiagnosticRecord, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="diagnostic_feedback")
    mechanic_found_light = models.ForeignKey(
        WarningLight, on_delete=models.PROTECT, null=True, blank=True, related_name="mechanic_findings"
    )
    mechanic_found_sound = models.ForeignKey(
        EngineSound, on_delete=models.PROTECT, null=True, blank=True, related_name="mechanic_findings"
    )
    note = models.TextField(max_length=2000, blank=True, help_text="The driver's words: what the mechanic found.")
    revision = models.PositiveSmallIntegerField(default=1, help_text="How many times the driver sent it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "driver feedback"
        verbose_name_plural = "driver feedback"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mechanic_found_light__isnull=True) | models.Q(mechanic_found_sound__isnull=True),
                name="diagnosticfeedback_one_mechanic_code",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.record_id}"

    @property
    def mechanic_found(self) -> WarningLight | EngineSound | None:
        return self.mechanic_found_light or self.mechanic_found_sound


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: that was it"
    REJECTED = "rejected", "Rejected: not that"
    CORRECTED = "corrected", "Corrected: it was something else"


class FindingFeedbackQuerySet(models.QuerySet["FindingFeedback"]):
    def precision_rows(self, model_ids: list[uuid.UUID]) -> models.QuerySet[FindingFeedback, dict[str, object]]:
        """Verdict counts per (model, predicted code), one grouped query for every model asked about."""
        return (
            self.filter(ml_model_id__in=model_ids)
            .values("ml_model_id", "predicted_code")
            .annotate(
                reviewed=models.Count("id"),
                confirmed=models.Count("id", filter=models.Q(verdict=Verdict.CONFIRMED)),
                rejected=models.Count("id", filter=models.Q(verdict=Verdict.REJECTED)),
                corrected=models.Count("id", filter=models.Q(verdict=Verdict.CORRECTED)),
            )
            .order_by("ml_model_id", "predicted_code")
        )


class FindingFeedback(models.Model):
    """A driver's verdict on one finding: confirmed, rejected, or corrected to another code.

    The model and the code it predicted are copied here, so the model's live precision survives a
    re-analysis (which replaces the findings; ``detection`` then becomes null).
    """

    Verdict = Verdict

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(DiagnosticFeedback, on_delete=models.CASCADE, related_name="findings")
    detection = models.ForeignKey(Detection, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback")
    ml_model = models.ForeignKey(
        MLModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="finding_feedback"
    )
    predicted_code = models.SlugField(max_length=64, help_text="The code the model reported.")
    verdict = models.CharField(max_length=16, choices=Verdict)
    corrected_light = models.ForeignKey(
        WarningLight, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    corrected_sound = models.ForeignKey(
        EngineSound, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FindingFeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ml_model", "predicted_code"], name="findingfeedback_model_code_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=Verdict.values), name="findingfeedback_verdict_valid"
            ),
            # A correction names exactly one right code; a confirmation or a rejection names none.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        verdict=Verdict.CORRECTED,
                        corrected_light__isnull=False,
                        corrected_sound__isnull=True,
                    )
                    | models.Q(verdict=Verdict.CORRECTED, corrected_light__isnull=True, corrected_sound__isnull=False)
                    | (
                        ~models.Q(verdict=Verdict.CORRECTED)
                        & models.Q(corrected_light__isnull=True, corrected_sound__isnull=True)
                    )
                ),
                name="findingfeedback_correction_names_one_code",
            ),
            models.UniqueConstraint(
                fields=["feedback", "detection"],
                condition=models.Q(detection__isnull=False),
                name="findingfeedback_once_per_detection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predicted_code}: {self.verdict}"

    @property
    def corrected_entry(self) -> WarningLight | EngineSound | None:
        return self.corrected_light or self.corrected_sound

    @property
    def true_code(self) -> str | None:
        """The code the driver says is right: the finding's own when confirmed, the correction's, or none."""
        if self.verdict == Verdict.CONFIRMED:
            return self.predicted_code
        corrected = self.corrected_entry
        return corrected.code if corrected is not None else None
