from __future__ import annotations

from rest_framework import serializers

from mlops.models import MLModel


class MLModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = MLModel
        fields = [
            "id",
            "name",
            "version",
            "model_type",
            "status",
            "traffic_share",
            "accuracy",
            "sha256",
            "size_bytes",
            "trained_at",
            "deployed_at",
            "created_at",
        ]
        read_only_fields = fields


class TrafficSerializer(serializers.Serializer):
    traffic_share = serializers.FloatField(min_value=0, max_value=1)


class LiveFiguresSerializer(serializers.Serializer):
    predictions = serializers.IntegerField()
    mean_confidence = serializers.FloatField(allow_null=True)
    unknown_share = serializers.FloatField(allow_null=True)
    latency_p50_ms = serializers.FloatField(allow_null=True)
    latency_p95_ms = serializers.FloatField(allow_null=True)


class CodeFeedbackSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The code the model predicted.")
    reviewed = serializers.IntegerField(help_text="Findings of this code that drivers gave a verdict on.")
    confirmed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    corrected = serializers.IntegerField()
    precision = serializers.FloatField(allow_null=True, help_text="confirmed / reviewed; null when none reviewed.")


class FeedbackFiguresSerializer(serializers.Serializer):
    """Live precision: what drivers said of this model's findings (the ground truth of an A/B test)."""

    reviewed = serializers.IntegerField(help_text="Findings of this model that drivers gave a verdict on.")
    confirmed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    corrected = serializers.IntegerField(help_text="Rejected with the right code given.")
    precision = serializers.FloatField(allow_null=True, help_text="confirmed / reviewed; null when none reviewed.")
    by_code = CodeFeedbackSerializer(many=True)


class PerformanceSerializer(serializers.Serializer):
    model = MLModelSerializer()
    metrics = serializers.JSONField(help_text="The figures measured at training time (per class, calibration).")
    live = LiveFiguresSerializer()
    feedback = FeedbackFiguresSerializer(help_text="Live precision from drivers' feedback, overall and per code.")
