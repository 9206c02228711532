from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import EngineSound, TroubleCode, WarningLight


class LinkedTutorialSerializer(serializers.Serializer):
    """A tutorial as listed under the light or sound it explains.

    Read through the entry's ``tutorials`` relation, which the tutorials app adds: the catalog sits below
    tutorials and does not import them.
    """

    id = serializers.UUIDField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)
    youtube_url = serializers.URLField(read_only=True)
    duration_seconds = serializers.IntegerField(read_only=True)
    difficulty = serializers.CharField(read_only=True, help_text="beginner, intermediate or advanced.")


class WarningLightSerializer(serializers.ModelSerializer):
    icon_url = serializers.SerializerMethodField(help_text="Absolute URL of the symbol's PNG, or null.")

    class Meta:
        model = WarningLight
        fields = [
            "id",
            "code",
            "name",
            "icon_url",
            "manufacturer",
            "description",
            "severity",
            "colour",
            "common_causes",
            "repair_suggestions",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_icon_url(self, light: WarningLight) -> str | None:
        if not light.icon:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(light.icon.url) if request else light.icon.url


class WarningLightDetailSerializer(WarningLightSerializer):
    tutorials = LinkedTutorialSerializer(many=True, read_only=True)

    class Meta(WarningLightSerializer.Meta):
        fields = [*WarningLightSerializer.Meta.fields, "tutorials"]


class EngineSoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = EngineSound
        fields = [
            "id",
            "code",
            "name",
            "sound_type",
            "description",
            "frequency_low_hz",
            "frequency_high_hz",
            "severity",
            "common_causes",
            "repair_suggestions",
            "created_at",
            "updated_at",
        ]


class EngineSoundDetailSerializer(EngineSoundSerializer):
    tutorials = LinkedTutorialSerializer(many=True, read_only=True)

    class Meta(EngineSoundSerializer.Meta):
        fields = [*EngineSoundSerializer.Meta.fields, "tutorials"]


class TroubleCodeSerializer(serializers.ModelSerializer):
    warning_lights = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="The lights this code turns on."
    )
    engine_sounds = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Sounds that often come with it."
    )
    urgency = serializers.SerializerMethodField(help_text="What a diagnostic with this code is rated.")

    class Meta:
        model = TroubleCode
        fields = [
            "code",
            "system",
            "meaning",
            "description",
            "severity",
            "urgency",
            "common_causes",
            "repair_suggestions",
            "warning_lights",
            "engine_sounds",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=[("immediate", "Immediate"), ("soon", "Soon"), ("monitoring", "Monitoring")])
    )
    def get_urgency(self, code: TroubleCode) -> str:
        # The same words as diagnostics.urgency, which sits above the catalog.
        return {"critical": "immediate", "moderate": "soon"}.get(code.severity, "monitoring")
