from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory.models import Mechanic, MechanicService, Review, Service


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "category", "description", "cost_min", "cost_max", "currency"]


class OfferingSerializer(serializers.ModelSerializer):
    """A service as one garage offers it, at its own price (null: ask the garage)."""

    service_id = serializers.UUIDField(source="service.id", read_only=True)
    name = serializers.CharField(source="service.name", read_only=True)
    category = serializers.CharField(source="service.category", read_only=True)
    currency = serializers.CharField(source="service.currency", read_only=True)

    class Meta:
        model = MechanicService
        fields = ["service_id", "name", "category", "price", "currency"]


class MechanicSerializer(serializers.ModelSerializer):
    services = OfferingSerializer(source="offerings", many=True, read_only=True)
    open_now = serializers.SerializerMethodField(help_text="Open at this moment, in the directory's time zone.")
    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance from the point given in near, in km; null without near."
    )

    class Meta:
        model = Mechanic
        fields = [
            "id",
            "business_name",
            "phone",
            "email",
            "website",
            "address",
            "latitude",
            "longitude",
            "working_hours",
            "open_now",
            "certification",
            "rating",
            "rating_count",
            "verified",
            "is_demo",
            "services",
            "distance_km",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_open_now(self, mechanic: Mechanic) -> bool:
        # The list and detail querysets compute it in SQL (MechanicQuerySet.with_open_flag).
        return bool(mechanic.is_open)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, mechanic: Mechanic) -> float | None:
        distance = getattr(mechanic, "distance_km", None)
        return None if distance is None else round(distance, 3)


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.ModelSerializer):
    mechanic_rating = serializers.DecimalField(
        source="mechanic.rating", max_digits=3, decimal_places=2, read_only=True, help_text="The new average."
    )
    mechanic_rating_count = serializers.IntegerField(source="mechanic.rating_count", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "mechanic",
            "rating",
            "comment",
            "mechanic_rating",
            "mechanic_rating_count",
            "created_at",
            "updated_at",
        ]
