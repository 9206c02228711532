from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Vehicle
from cardoc.serializers import StrictFieldsMixin
from catalog.models import EngineSound, WarningLight
from diagnostics.models import Detection, DiagnosticRecord, DiagnosticResult, DiagnosticType
from mlops.models import MLModel
from tutorials.models import Tutorial

MAX_WAIT_SECONDS = 30


EMPTY_CLIENT_REF = "client_ref is empty: send a UUID made on the phone, or leave the field out."


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
    client_ref = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A UUID made on the phone; repeating it returns the first record. Leave it out rather than empty.",
    )

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
    tutorials = TutorialBriefSerializer(many=True)

    @extend_schema_field(serializers.ChoiceField(choices=["warning_light", "engine_sound"]))
    def get_kind(self, entry: WarningLight | EngineSound) -> str:
        return "warning_light" if isinstance(entry, WarningLight) else "engine_sound"

    @extend_schema_field(OpenApiTypes.URI)
    def get_icon_url(self, entry: WarningLight | EngineSound) -> str | None:
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


class DetectionSerializer(serializers.ModelSerializer):
    """One finding, joined with its catalog entry; ``box`` (pixels) for a light, ``span`` (s) for a sound."""

    entry = serializers.SerializerMethodField()
    box = serializers.SerializerMethodField()
    span = serializers.SerializerMethodField()
    model = ModelBriefSerializer(source="ml_model", allow_null=True, read_only=True)

    class Meta:
        model = Detection
        fields = ["id", "confidence", "entry", "box", "span", "model"]

    @extend_schema_field(CatalogEntrySerializer)
    def get_entry(self, detection: Detection) -> dict[str, Any]:
        return CatalogEntrySerializer(detection.warning_light or detection.engine_sound, context=self.context).data

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


class ResultSerializer(serializers.ModelSerializer):
    """A diagnostic's full result: how sure, how urgent, each finding and the models that ran."""

    models = ModelBriefSerializer(source="record.ml_models", many=True, read_only=True)
    detections = DetectionSerializer(many=True, read_only=True)
    sound = serializers.SerializerMethodField()

    class Meta:
        model = DiagnosticResult
        fields = ["overall_confidence", "urgency", "created_at", "models", "detections", "sound"]

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
        entries = [d.warning_light or d.engine_sound for d in result.detections.all()]
        return FindingBriefSerializer(entries, many=True).data


class DiagnosticSerializer(serializers.ModelSerializer):
    """A diagnostic as the history lists it; media are links to the owner-only streaming endpoints."""

    vehicle = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True, pk_field=serializers.UUIDField())
    image_url = serializers.SerializerMethodField()
    audio_url = serializers.SerializerMethodField()
    result = ResultSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = DiagnosticRecord
        fields = [
            "id",
            "diagnostic_type",
            "status",
            "vehicle",
            "client_ref",
            "image_url",
            "audio_url",
            "error_message",
            "attempts",
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

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image_url(self, record: DiagnosticRecord) -> str | None:
        return self._media_url(record, "image")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_audio_url(self, record: DiagnosticRecord) -> str | None:
        return self._media_url(record, "audio")


class DiagnosticDetailSerializer(DiagnosticSerializer):
    """One diagnostic with its full result (null until the analysis has completed)."""

    result = ResultSerializer(read_only=True, allow_null=True)
