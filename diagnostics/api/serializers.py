from __future__ import annotations

import math
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Vehicle
from cardoc.serializers import StrictFieldsMixin
from cardoc.sync_api import ClientIdField, ClientIdSerializerMixin
from catalog.models import TROUBLE_CODE_PATTERN, TROUBLE_CODE_SHAPE, EngineSound, TroubleCode, WarningLight
from diagnostics.models import (
    RETAKE_INSTRUCTIONS,
    Detection,
    DiagnosticFeedback,
    DiagnosticRecord,
    DiagnosticResult,
    DiagnosticType,
    FailureReason,
    FindingFeedback,
    QualityHint,
    Urgency,
    Verdict,
)
from diagnostics.repairs import Point, repair_services
from directory.filters import LatLngField
from directory.models import Mechanic, Service
from mlops.models import MLModel
from tutorials.models import Tutorial

MAX_WAIT_SECONDS = 30
MAX_DTC_CODES = 20


EMPTY_CLIENT_REF = _("client_ref is empty: send a UUID made on the phone, or leave the field out.")


class TroubleCodeField(serializers.RegexField):
    """A trouble code as a scanner app sends it: spaces and lower case are accepted and normalised."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            TROUBLE_CODE_PATTERN,
            # Lazy, so the 400 reads in the caller's language; DRF formats it when it fails.
            error_messages={"invalid": format_lazy(_("A trouble code is {shape}."), shape=TROUBLE_CODE_SHAPE)},
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> str:
        text = data.strip().upper() if isinstance(data, str) else data
        return str(super().to_internal_value(text))


class WaitSerializer(serializers.Serializer):
    """``?wait=N``: hold the response up to N seconds for the analysis to finish."""

    wait = serializers.IntegerField(min_value=0, max_value=MAX_WAIT_SECONDS, required=False, default=0)


class DiagnosticCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    diagnostic_type = serializers.ChoiceField(choices=DiagnosticType.choices)
    image = serializers.FileField(required=False, allow_empty_file=False, help_text="JPEG, PNG or WebP; 15 MB.")
    audio = serializers.FileField(
        required=False, allow_empty_file=False, help_text="WAV, MP3, M4A, AAC, OGG or FLAC; 0.5–60 s, 20 MB."
    )
    vehicle = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.none(),
        required=False,
        allow_null=True,
        pk_field=serializers.UUIDField(),
        help_text="One of your own vehicles.",
    )
    captured_at = serializers.DateTimeField(
        required=False,
        help_text=(
            "When the photo or recording was taken on the phone, if it was offline: not in the future, and at "
            "most offline_capture_max_age_days (a public app setting, 30 by default) ago. Default: now."
        ),
    )
    client_ref = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A UUID made on the phone; repeating it returns the first record. Leave it out rather than empty.",
    )
    dtc_codes = serializers.ListField(
        child=TroubleCodeField(),
        required=False,
        max_length=MAX_DTC_CODES,
        help_text=(
            'The OBD-II codes your scanner read, e.g. ["P0301"]; they join the findings and the urgency. '
            "Needed for a trouble_codes diagnostic, which takes no photo or recording."
        ),
    )
    odometer_km = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10_000_000, help_text="The car's reading now."
    )
    latitude = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-90,
        max_value=90,
        help_text="Where you are (decimal degrees), with longitude: the result then lists garages nearby.",
    )
    longitude = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
        help_text="Where you are (decimal degrees), with latitude.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        latitude, longitude = attrs.get("latitude"), attrs.get("longitude")
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            raise serializers.ValidationError({missing: [_("Send latitude and longitude together, or neither.")]})
        for name in ("latitude", "longitude"):
            value = attrs.get(name)
            if value is not None and not math.isfinite(value):
                raise serializers.ValidationError({name: [_("Give a number of decimal degrees.")]})
        return attrs

    def to_internal_value(self, data: Any) -> Any:
        # A form field sent empty (`-F client_ref=` from a shell whose `uuidgen` is missing) would become
        # None and silently lose the protection against a repeated upload: refuse it and say why.
        raw = data.get("client_ref") if hasattr(data, "get") else None
        if isinstance(raw, str) and not raw.strip():
            raise serializers.ValidationError({"client_ref": [EMPTY_CLIENT_REF]})
        return super().to_internal_value(data)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            fields["vehicle"].queryset = Vehicle.objects.visible_to(user)
        return fields


class NearSerializer(serializers.Serializer):
    """``?near=lat,lng``: look for garages from here rather than from where the upload was made."""

    near = serializers.CharField(
        required=False,
        help_text="latitude,longitude in decimal degrees, e.g. 3.8480,11.5021 (Yaoundé).",
    )

    def validate_near(self, value: str) -> tuple[float, float]:
        # The directory's own parser and messages, so ?near= reads the same on both endpoints.
        try:
            point = LatLngField(required=False).clean(value)
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        if point is None:
            raise serializers.ValidationError(LatLngField.default_error_messages["invalid"])
        return point


class TutorialBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tutorial
        fields = ["id", "title", "youtube_url", "difficulty"]


class ModelBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = MLModel
        fields = ["id", "name", "version"]


class CatalogEntrySerializer(serializers.Serializer):
    """A warning light or an engine sound, in one shape: the fields that do not apply are null."""

    kind = serializers.SerializerMethodField()
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    severity = serializers.CharField()
    colour = serializers.CharField(allow_null=True, help_text="Warning lights only.")
    sound_type = serializers.CharField(allow_null=True, help_text="Engine sounds only.")
    description = serializers.CharField()
    common_causes = serializers.ListField(child=serializers.CharField())
    repair_suggestions = serializers.ListField(child=serializers.CharField())
    icon_url = serializers.SerializerMethodField()
    tutorials = serializers.SerializerMethodField()
    warning_lights = serializers.SerializerMethodField(
        help_text="Trouble codes only: the codes of the lights it turns on (their repair services apply)."
    )
    engine_sounds = serializers.SerializerMethodField(
        help_text="Trouble codes only: the codes of the sounds that often come with it."
    )

    @extend_schema_field(serializers.ChoiceField(choices=["warning_light", "engine_sound", "trouble_code"]))
    def get_kind(self, entry: WarningLight | EngineSound | TroubleCode) -> str:
        if isinstance(entry, TroubleCode):
            return "trouble_code"
        return "warning_light" if isinstance(entry, WarningLight) else "engine_sound"

    @extend_schema_field(TutorialBriefSerializer(many=True))
    def get_tutorials(self, entry: WarningLight | EngineSound | TroubleCode) -> list[dict[str, Any]]:
        if isinstance(entry, TroubleCode):
            return []
        return TutorialBriefSerializer(entry.tutorials.all(), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warning_lights(self, entry: WarningLight | EngineSound | TroubleCode) -> list[str]:
        return [light.code for light in entry.warning_lights.all()] if isinstance(entry, TroubleCode) else []

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_engine_sounds(self, entry: WarningLight | EngineSound | TroubleCode) -> list[str]:
        return [sound.code for sound in entry.engine_sounds.all()] if isinstance(entry, TroubleCode) else []

    @extend_schema_field(OpenApiTypes.URI)
    def get_icon_url(self, entry: WarningLight | EngineSound | TroubleCode) -> str | None:
        icon = getattr(entry, "icon", None)
        if not icon:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(icon.url) if request is not None else icon.url


class BoxSerializer(serializers.Serializer):
    x0 = serializers.IntegerField()
    y0 = serializers.IntegerField()
    x1 = serializers.IntegerField()
    y1 = serializers.IntegerField()


class SpanSerializer(serializers.Serializer):
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()


class RepairServiceSerializer(serializers.ModelSerializer):
    """A directory service that fixes the finding, with its usual price range."""

    class Meta:
        model = Service
        fields = ["id", "name", "category", "description", "cost_min", "cost_max", "currency"]


class NearbyGarageSerializer(serializers.ModelSerializer):
    """A garage near the driver that offers the service: how far, its own price, open now, its rating."""

    distance_km = serializers.SerializerMethodField(help_text="Great-circle distance from the point, in km.")
    price = serializers.SerializerMethodField(help_text="This garage's price for the service; null: ask the garage.")
    open_now = serializers.SerializerMethodField(help_text="Open at this moment, in the garage's own time zone.")

    class Meta:
        model = Mechanic
        fields = [
            "id",
            "business_name",
            "address",
            "phone",
            "latitude",
            "longitude",
            "distance_km",
            "price",
            "currency",
            "open_now",
            "rating",
            "rating_count",
            "verified",
        ]

    @extend_schema_field(serializers.FloatField())
    def get_distance_km(self, mechanic: Mechanic) -> float:
        return round(mechanic.distance_km, 3)  # type: ignore[attr-defined]  # annotated by the query

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_price(self, mechanic: Mechanic) -> str | None:
        price = mechanic.offered_price  # type: ignore[attr-defined]
        return None if price is None else f"{price:.2f}"

    @extend_schema_field(serializers.BooleanField())
    def get_open_now(self, mechanic: Mechanic) -> bool:
        return bool(mechanic.is_open)  # type: ignore[attr-defined]


class RepairSerializer(serializers.Serializer):
    service = RepairServiceSerializer()
    garages = NearbyGarageSerializer(
        many=True,
        help_text="Up to 3 garages offering it within 25 km, nearest first; empty without a location.",
    )


class PointSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    source = serializers.ChoiceField(
        choices=["upload", "near"], help_text="The upload's latitude/longitude, or the request's ?near=."
    )


class DetectionSerializer(serializers.ModelSerializer):
    """One finding, joined with its catalog entry; ``box`` (pixels) for a light, ``span`` (s) for a sound."""

    entry = serializers.SerializerMethodField()
    box = serializers.SerializerMethodField()
    span = serializers.SerializerMethodField()
    model = ModelBriefSerializer(source="ml_model", allow_null=True, read_only=True)
    repairs = serializers.SerializerMethodField()

    class Meta:
        model = Detection
        fields = ["id", "confidence", "entry", "box", "span", "model", "repairs"]

    @extend_schema_field(RepairSerializer(many=True))
    def get_repairs(self, detection: Detection) -> list[dict[str, Any]]:
        """The services that fix it, with nearby garages when the view found some (context ``garages``)."""
        garages: dict[Any, list[Mechanic]] = self.context.get("garages") or {}
        repairs = [
            {"service": service, "garages": garages.get(service.pk, [])} for service in repair_services(detection)
        ]
        return RepairSerializer(repairs, many=True, context=self.context).data

    @extend_schema_field(CatalogEntrySerializer)
    def get_entry(self, detection: Detection) -> dict[str, Any]:
        return CatalogEntrySerializer(detection.entry, context=self.context).data

    @extend_schema_field(BoxSerializer(allow_null=True))
    def get_box(self, detection: Detection) -> dict[str, int] | None:
        box = detection.box
        return None if box is None else dict(zip(("x0", "y0", "x1", "y1"), box, strict=True))

    @extend_schema_field(SpanSerializer(allow_null=True))
    def get_span(self, detection: Detection) -> dict[str, float] | None:
        if detection.start_s is None or detection.end_s is None:
            return None
        return {"start_s": detection.start_s, "end_s": detection.end_s}


class SoundWindowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='A code, or "unknown" where this window alone could not tell.')
    confidence = serializers.FloatField()
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()


class SoundCandidateSerializer(serializers.Serializer):
    code = serializers.CharField()
    confidence = serializers.FloatField()


class SoundFindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    confidence = serializers.FloatField(help_text="The code's probability over its span.")
    start_s = serializers.FloatField()
    end_s = serializers.FloatField()


class SoundAnalysisSerializer(serializers.Serializer):
    """What the engine-sound model heard: one verdict over the whole clip, and each window's own answer."""

    code = serializers.CharField(help_text='The whole clip\'s verdict: a code, or "unknown".')
    confidence = serializers.FloatField()
    candidates = SoundCandidateSerializer(
        many=True, help_text="The codes the clip may be, best first; two when the second is close to the first."
    )
    findings = SoundFindingSerializer(
        many=True,
        help_text=(
            "Every code heard, each over its span, best first: the candidates, and a fault heard in part of the "
            "recording (after healthy idle, say) that the whole clip's verdict averages away."
        ),
    )
    duration_s = serializers.FloatField()
    timeline = SoundWindowSerializer(many=True, help_text="Every 1 s window (0.5 s apart), in order.")


class QualityHintSerializer(serializers.Serializer):
    """Why a photo or recording showed nothing, and what to do differently, in the driver's language."""

    media = serializers.ChoiceField(choices=["image", "audio"])
    code = serializers.ChoiceField(choices=QualityHint.choices)
    message = serializers.CharField(help_text="Why nothing was found, from measurements of the media.")
    retake = serializers.CharField(help_text="One concrete instruction for the next photo or recording.")


def quality_hints(result: DiagnosticResult) -> list[dict[str, str]]:
    hints = [("image", result.image_hint), ("audio", result.audio_hint)]
    return [
        {
            "media": media,
            "code": code,
            "message": str(QualityHint(code).label),
            "retake": str(RETAKE_INSTRUCTIONS[QualityHint(code)]),
        }
        for media, code in hints
        if code
    ]


class ResultSerializer(serializers.ModelSerializer):
    """A diagnostic's full result: how sure, how urgent, each finding and the models that ran."""

    models = ModelBriefSerializer(source="record.ml_models", many=True, read_only=True)
    detections = DetectionSerializer(many=True, read_only=True)
    sound = serializers.SerializerMethodField()
    near = serializers.SerializerMethodField()
    hints = serializers.SerializerMethodField()
    urgency_label = serializers.SerializerMethodField(help_text="The urgency in words, in the reader's language.")

    class Meta:
        model = DiagnosticResult
        fields = [
            "overall_confidence",
            "urgency",
            "urgency_label",
            "created_at",
            "models",
            "detections",
            "sound",
            "near",
            "hints",
        ]

    def get_urgency_label(self, result: DiagnosticResult) -> str:
        return str(Urgency(result.urgency).label)

    @extend_schema_field(PointSerializer(allow_null=True))
    def get_near(self, result: DiagnosticResult) -> dict[str, Any] | None:
        """Where the garages were looked for from; null when neither the upload nor ?near= gave a place."""
        point: Point | None = self.context.get("point")
        if point is None:
            return None
        return {"latitude": point.latitude, "longitude": point.longitude, "source": point.source}

    @extend_schema_field(QualityHintSerializer(many=True))
    def get_hints(self, result: DiagnosticResult) -> list[dict[str, str]]:
        """Empty when the models found something; else why not, per medium, from measurements."""
        return quality_hints(result)

    @extend_schema_field(SoundAnalysisSerializer(allow_null=True))
    def get_sound(self, result: DiagnosticResult) -> dict[str, Any] | None:
        engine = (result.analysis or {}).get("engine_sound")
        if not engine:
            return None
        verdict = engine.get("verdict", {})
        return SoundAnalysisSerializer(
            {
                "code": verdict.get("code", "unknown"),
                "confidence": verdict.get("confidence", 0.0),
                # Results stored before candidates existed named one code, or none.
                "candidates": verdict.get("candidates", []),
                # Results stored before findings over time have them only as detections, with their spans.
                "findings": engine.get("findings", []),
                "duration_s": engine.get("duration_s", 0.0),
                "timeline": engine.get("windows", []),
            }
        ).data


class FindingBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    severity = serializers.CharField()


class ResultSummarySerializer(serializers.ModelSerializer):
    findings = serializers.SerializerMethodField()

    class Meta:
        model = DiagnosticResult
        fields = ["overall_confidence", "urgency", "created_at", "findings"]

    @extend_schema_field(FindingBriefSerializer(many=True))
    def get_findings(self, result: DiagnosticResult) -> list[dict[str, Any]]:
        entries = [d.entry for d in result.detections.all()]
        return FindingBriefSerializer(entries, many=True).data


class DiagnosticSerializer(serializers.ModelSerializer):
    """A diagnostic as the history lists it; media are links to the owner-only streaming endpoints."""

    vehicle = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, pk_field=serializers.UUIDField())
    image_url = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    result = ResultSummarySerializer(read_only=True, allow_null=True)
    dtc_codes = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The trouble codes the driver's scanner read."
    )
    odometer_km = serializers.IntegerField(read_only=True, allow_null=True)
    error_code = serializers.ChoiceField(
        choices=FailureReason.choices,
        read_only=True,
        allow_blank=True,
        help_text="Why the analysis failed, as a stable code; empty unless it failed (and on old failures).",
    )
    error_message = serializers.SerializerMethodField(
        help_text="Why the analysis failed, in the reader's language; empty unless it failed."
    )

    class Meta:
        model = DiagnosticRecord
        fields = [
            "id",
            "diagnostic_type",
            "status",
            "vehicle",
            "client_ref",
            "dtc_codes",
            "odometer_km",
            "image_url",
            "audio_url",
            "error_code",
            "error_message",
            "attempts",
            "captured_at",
            "created_at",
            "started_at",
            "finished_at",
            "result",
        ]

    def _media_url(self, record: DiagnosticRecord, kind: str) -> str | None:
        if not getattr(record, kind):
            return None
        url = reverse(f"api:diagnostic-{kind}", kwargs={"pk": record.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_error_message(self, record: DiagnosticRecord) -> str:
        # Written now, in the language of this request: the worker stored a code, not a sentence.
        return record.failure_message()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image_url(self, record: DiagnosticRecord) -> str | None:
        return self._media_url(record, "image")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_audio_url(self, record: DiagnosticRecord) -> str | None:
        return self._media_url(record, "audio")


class DiagnosticDetailSerializer(DiagnosticSerializer):
    """One diagnostic with its full result (null until the analysis has completed)."""

    result = ResultSerializer(read_only=True, allow_null=True)


# --- Feedback ---------------------------------------------------------------------------------------

MAX_VERDICTS = 50


class FindingVerdictInputSerializer(serializers.Serializer):
    finding = serializers.UUIDField(help_text="A finding's id (detections[].id in the result).")
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    code = serializers.SlugField(
        required=False,
        allow_null=True,
        max_length=64,
        help_text="With verdict=corrected: the right code, a warning light for a light, an engine sound for a sound.",
    )


class FeedbackInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """Per finding, confirm it, reject it or give the right code; and what the mechanic found, if you know."""

    id = ClientIdField(
        help_text="Optional, on the first send only: a UUID the app made, to make it safe to retry (see "
        "/sync/push). The same id and body again answer the stored feedback (200, nothing re-applied); the "
        "same id with another body, or an id when the diagnostic has feedback already, is a 409."
    )
    findings = FindingVerdictInputSerializer(many=True, required=False, max_length=MAX_VERDICTS)
    mechanic_found_code = serializers.SlugField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        help_text="The catalog code the mechanic found (a light or a sound); null or empty clears it.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="What the mechanic said, in your words."
    )


class SyncedFeedbackCreateSerializer(FeedbackInputSerializer):
    """Feedback sent from offline by ``/sync/push``: the diagnostic is in the body, not the URL."""

    diagnostic = serializers.PrimaryKeyRelatedField(queryset=DiagnosticRecord.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # only the driver's own diagnostics
            self.fields["diagnostic"].queryset = DiagnosticRecord.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def to_representation(self, instance: DiagnosticFeedback) -> dict[str, Any]:
        return FeedbackSerializer(instance, context=self.context).data


class SyncedFeedbackUpdateSerializer(ClientIdSerializerMixin, FeedbackInputSerializer):
    """A pushed correction: the fields of a second POST, the feedback as GET shows it out."""

    def to_representation(self, instance: DiagnosticFeedback) -> dict[str, Any]:
        return FeedbackSerializer(instance, context=self.context).data


class FindingFeedbackSerializer(serializers.ModelSerializer):
    finding = serializers.PrimaryKeyRelatedField(
        source="detection",
        read_only=True,
        allow_null=True,
        pk_field=serializers.UUIDField(),
        help_text="Null once a re-analysis replaced the finding; the verdict still counts for its model.",
    )
    code = serializers.CharField(source="predicted_code", read_only=True, help_text="The code the model reported.")
    corrected_code = serializers.SerializerMethodField()
    model = ModelBriefSerializer(source="ml_model", read_only=True, allow_null=True)

    class Meta:
        model = FindingFeedback
        fields = ["finding", "code", "verdict", "corrected_code", "model", "updated_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_corrected_code(self, row: FindingFeedback) -> str | None:
        corrected = row.corrected_entry
        return corrected.code if corrected is not None else None


class FeedbackSerializer(serializers.ModelSerializer):
    """What you told us about a diagnostic's result."""

    diagnostic = serializers.UUIDField(source="record_id", read_only=True)
    findings = FindingFeedbackSerializer(many=True, read_only=True)
    mechanic_found_code = serializers.SerializerMethodField()

    class Meta:
        model = DiagnosticFeedback
        fields = ["id", "diagnostic", "revision", "findings", "mechanic_found_code", "note", "created_at", "updated_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_mechanic_found_code(self, feedback: DiagnosticFeedback) -> str | None:
        found = feedback.mechanic_found
        return found.code if found is not None else None
