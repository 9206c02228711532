from __future__ import annotations

from rest_framework import serializers

from tutorials.models import Tutorial


class TutorialSerializer(serializers.ModelSerializer):
    warning_lights = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="Codes of the warning lights it explains."
    )
    engine_sounds = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="Codes of the engine sounds it explains."
    )

    class Meta:
        model = Tutorial
        fields = [
            "id",
            "slug",
            "title",
            "description",
            "youtube_url",
            "duration_seconds",
            "difficulty",
            "view_count",
            "warning_lights",
            "engine_sounds",
            "created_at",
            "updated_at",
        ]
