from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cardoc.sync_api import ClientIdField
from directory.models import GaragePhoto, Mechanic, MechanicService, PaymentMethod, ReportReason, Review, Service


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name", "category", "description", "cost_min", "cost_max", "currency"]


class OfferingSerializer(serializers.ModelSerializer):
    """A service as one garage offers it, at its own price in the listing's currency (null: ask the garage)."""

    service_id = serializers.UUIDField(source="service.id", read_only=True)
    name = serializers.CharField(source="service.name", read_only=True)
    category = serializers.CharField(source="service.category", read_only=True)
    currency = serializers.CharField(source="mechanic.currency", read_only=True)

    class Meta:
        model = MechanicService
        fields = ["service_id", "name", "category", "price", "currency"]


class PhotoSerializer(serializers.ModelSerializer):
    """A public photo of the garage; ``thumbnail_url`` is null until the worker has made it."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = GaragePhoto
        fields = ["id", "url", "thumbnail_url", "width", "height", "caption", "created_at"]

    @extend_schema_field(serializers.URLField())
    def get_url(self, photo: GaragePhoto) -> str:
        return self._absolute(photo.image.url)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, photo: GaragePhoto) -> str | None:
        return self._absolute(photo.thumbnail.url) if photo.thumbnail else None

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MechanicSerializer(serializers.ModelSerializer):
    services = OfferingSerializer(source="offerings", many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    payment_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=PaymentMethod.choices), read_only=True
    )
    languages = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="ISO 639 codes.")
    open_now = serializers.SerializerMethodField(help_text="Open at this moment, in the garage's own time zone.")
    managed_by_garage = serializers.SerializerMethodField(
        help_text="The garage itself keeps this listing up to date (a mechanic account has claimed it)."
    )
    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance from the point given in near, in km; null without near."
    )
    service_price = serializers.SerializerMethodField(
        help_text="With ordering=price: this garage's price for the service given in service; else null."
    )

    class Meta:
        model = Mechanic
        fields = [
            "id",
            "business_name",
            "description",
            "phone",
            "email",
            "website",
            "address",
            "latitude",
            "longitude",
            "time_zone",
            "working_hours",
            "open_now",
            "languages",
            "payment_methods",
            "certification",
            "rating",
            "rating_count",
            "verified",
            "managed_by_garage",
            "is_demo",
            "currency",
            "services",
            "service_price",
            "photos",
            "distance_km",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_open_now(self, mechanic: Mechanic) -> bool:
        # The list and detail querysets compute it in SQL (MechanicQuerySet.with_open_flag).
        return bool(mechanic.is_open)

    @extend_schema_field(serializers.BooleanField())
    def get_managed_by_garage(self, mechanic: Mechanic) -> bool:
        return bool(mechanic.managed_by_garage)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, mechanic: Mechanic) -> float | None:
        distance = getattr(mechanic, "distance_km", None)
        return None if distance is None else round(distance, 3)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_service_price(self, mechanic: Mechanic) -> str | None:
        price = getattr(mechanic, "service_price", None)
        return None if price is None else f"{price:.2f}"


class ReviewInputSerializer(serializers.Serializer):
    id = ClientIdField(
        help_text="Optional: a UUID the app made, to make the post safe to retry (see /sync/push). The same id "
        "and body again answers the stored review (200); the same id with another body, or an id while you "
        "already have a review for this garage (for this visit), is a 409 and replaces nothing."
    )
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    visit = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Your completed maintenance record at this garage: the review becomes a verified visit, and "
        "you may review the garage once per visit.",
    )


class ReviewUpdateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SyncedReviewCreateSerializer(ReviewInputSerializer):
    """A review made offline, as ``/sync/push`` sends it: the mechanic is in the body, not the URL."""

    mechanic = serializers.PrimaryKeyRelatedField(queryset=Mechanic.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # only the listings this driver can see
            self.fields["mechanic"].queryset = Mechanic.objects.visible_to(request.user)  # type: ignore[attr-defined]

    def to_representation(self, instance: Review) -> dict[str, Any]:
        return ReviewSerializer(instance, context=self.context).data


class SyncedReviewUpdateSerializer(ReviewUpdateSerializer):
    """A pushed edit of a review: the REST PATCH's fields in, the review as everyone reads it out."""

    def to_representation(self, instance: Review) -> dict[str, Any]:
        return ReviewSerializer(instance, context=self.context).data


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField(source="reply")
    replied_at = serializers.DateTimeField()


class ReviewSerializer(serializers.ModelSerializer):
    """A review as anyone reads it, with the garage's reply; the author by first name and initial."""

    author = serializers.SerializerMethodField()
    verified_visit = serializers.BooleanField(read_only=True)
    reply = serializers.SerializerMethodField()
    mechanic_rating = serializers.DecimalField(
        source="mechanic.rating", max_digits=3, decimal_places=2, read_only=True, help_text="The listing's average."
    )
    mechanic_rating_count = serializers.IntegerField(source="mechanic.rating_count", read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "mechanic",
            "author",
            "rating",
            "comment",
            "verified_visit",
            "helpful_count",
            "reply",
            "mechanic_rating",
            "mechanic_rating_count",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_author(self, review: Review) -> str:
        return review.author_name or "A driver"

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, review: Review) -> dict[str, Any] | None:
        return ReplySerializer(review).data if review.reply else None


class OwnReviewSerializer(ReviewSerializer):
    """One of the caller's own reviews, with whether staff hid it."""

    mechanic_name = serializers.CharField(source="mechanic.business_name", read_only=True)
    visit = serializers.UUIDField(source="visit_id", read_only=True, allow_null=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "mechanic_name", "visit", "is_hidden"]


class ReviewPageSerializer(serializers.Serializer):
    """One page of a listing's published reviews, with the rating summary of all of them."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    rating = serializers.DecimalField(max_digits=3, decimal_places=2)
    rating_count = serializers.IntegerField()
    histogram = serializers.DictField(
        child=serializers.IntegerField(), help_text='Reviews per star, "1" to "5", hidden ones left out.'
    )
    results = ReviewSerializer(many=True)


class HelpfulSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(default=True, help_text="false takes your vote back.")


class ReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    details = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    review = serializers.UUIDField(source="review_id")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
