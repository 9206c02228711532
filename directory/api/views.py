from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts.throttles import ReviewThrottle
from cardoc.pagination import CappedPaginator, NewestFirstCursorPagination, PageNumberPagination
from cardoc.public_cache import PublicCachedReadMixin
from cardoc.serializers import error_responses
from cardoc.sync_api import (
    BAD_IF_MATCH,
    ID_CONFLICT,
    IF_MATCH,
    PRECONDITION_FAILED,
    create_as_pushed,
    object_at_version,
    with_etag,
)
from directory.api.serializers import (
    HelpfulSerializer,
    MechanicSerializer,
    OwnReviewSerializer,
    ReportInputSerializer,
    ReportSerializer,
    ReviewInputSerializer,
    ReviewPageSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    ServiceSerializer,
    SyncedReviewCreateSerializer,
    SyncedReviewUpdateSerializer,
)
from directory.filters import MechanicFilter, ServiceFilter
from directory.models import NEAREST_LIMIT, GaragePhoto, Mechanic, MechanicService, Review, Service
from directory.services import review_delete, review_mark_helpful, review_report, review_submit, review_update

REVIEW_ORDERINGS = {"newest": ("-created_at", "-id"), "helpful": ("-helpful_count", "-created_at", "-id")}
REVIEW_ORDERING_PARAMETER = OpenApiParameter(
    "ordering", OpenApiTypes.STR, enum=list(REVIEW_ORDERINGS), description="newest (default) or helpful first."
)


class ReviewOrderingSerializer(serializers.Serializer):
    ordering = serializers.ChoiceField(choices=list(REVIEW_ORDERINGS), required=False, default="newest")


class NearestPaginator(CappedPaginator):
    cap = NEAREST_LIMIT


class MechanicPagination(PageNumberPagination):
    """Numbered pages; a nearest-first list stops at the NEAREST_LIMIT nearest (what ``nearest()`` keeps)."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        order = queryset.query.order_by
        self.django_paginator_class = NearestPaginator if order and order[0] == "distance_km" else Paginator
        return super().paginate_queryset(queryset, request, view)


def reviews_for_reading() -> QuerySet[Review]:
    return Review.objects.select_related("mechanic")


@extend_schema_view(
    # Public, but a bad token is still refused (401).
    list=extend_schema(summary="The service catalog", responses={200: ServiceSerializer, **error_responses(400, 401)}),
)
class ServiceViewSet(PublicCachedReadMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The kinds of jobs garages do, with their usual price range."""

    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter


@extend_schema_view(
    list=extend_schema(
        summary="Find mechanics: by words, service, rating, opening hours, verification and distance",
        responses={200: MechanicSerializer, **error_responses(400, 401)},
    ),
    retrieve=extend_schema(summary="One mechanic", responses={200: MechanicSerializer, **error_responses(401, 404)}),
)
class MechanicViewSet(viewsets.ReadOnlyModelViewSet):
    """The mechanics directory. Listings are curated in the admin and edited by their owners on the web."""

    serializer_class = MechanicSerializer
    filterset_class = MechanicFilter
    pagination_class = MechanicPagination
    queryset = Mechanic.objects.all()

    def get_queryset(self) -> QuerySet[Mechanic]:
        if self.action == "reviews":
            return Mechanic.objects.visible_to(self.request.user)  # only the listing's rating is read
        return (
            Mechanic.objects.visible_to(self.request.user)
            .with_open_flag(timezone.now())
            .with_managed_flag()
            .prefetch_related(
                Prefetch(
                    "offerings",
                    queryset=MechanicService.objects.select_related("service", "mechanic").order_by("service__name"),
                ),
                Prefetch("photos", queryset=GaragePhoto.objects.order_by("created_at", "id")),
            )
        )

    def get_throttles(self) -> list[BaseThrottle]:
        # Writing a review costs us a locked recompute and is what spam would hit; reading them is free.
        if self.action == "reviews" and self.request.method == "POST":
            return [ReviewThrottle()]
        return super().get_throttles()

    @extend_schema(
        methods=["GET"],
        summary="Read a mechanic's reviews, newest or most helpful first, with the rating histogram",
        parameters=[REVIEW_ORDERING_PARAMETER],
        responses={200: ReviewPageSerializer, **error_responses(400, 401, 404)},
        description="Reviews staff have hidden are left out of the page, the count and the histogram.",
    )
    @extend_schema(
        methods=["POST"],
        summary="Rate a mechanic (1 to 5): once per visit, or once without one; posting again updates it",
        request=ReviewInputSerializer,
        responses={
            201: ReviewSerializer,
            200: ReviewSerializer,
            **error_responses(400, 401, 404, 429),
            403: error_responses(403)[403],
            **ID_CONFLICT,
        },
        description="201 for a new review, 200 when it replaces the user's earlier one for the same visit (or "
        "the earlier one without a visit). Naming a visit, your completed maintenance record at this garage, "
        "makes the review a verified visit. A listing's owner cannot review it (403, code own_listing). "
        "With `id` (a UUID the app made) the post is safe to retry: the same id and body answer the stored "
        "review (200); the same id with another body (409, code id_conflict), or an id while you already "
        "have a review here for this visit or without one (409, code review_exists), replaces nothing.",
    )
    @action(detail=True, methods=["get", "post"], url_path="reviews", filterset_class=None, pagination_class=None)
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        mechanic = self.get_object()
        if request.method == "GET":
            return self._review_page(request, mechanic)
        payload = ReviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if data.get("id") is not None:  # the path a pushed review takes (ReviewViewSet's create)
            return create_as_pushed(request, kind="review", data={**request.data, "mechanic": str(mechanic.pk)})
        review, created = review_submit(
            user=request.user,
            mechanic=mechanic,
            rating=data["rating"],
            comment=data["comment"],
            visit_id=data["visit"],
            request=request,
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ReviewSerializer(review).data, status=code)

    def _review_page(self, request: Request, mechanic: Mechanic) -> Response:
        choice = ReviewOrderingSerializer(data=request.query_params)
        choice.is_valid(raise_exception=True)
        published = Review.objects.published().filter(mechanic=mechanic)
        histogram = {str(stars): 0 for stars in range(1, 6)}
        for row in published.order_by().values("rating").annotate(n=Count("id")):
            histogram[str(row["rating"])] = row["n"]
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            reviews_for_reading()
            .published()
            .filter(mechanic=mechanic)
            .order_by(*REVIEW_ORDERINGS[choice.validated_data["ordering"]]),
            request,
            view=self,
        )
        return Response(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "rating": f"{mechanic.rating:.2f}",
                "rating_count": mechanic.rating_count,
                "histogram": histogram,
                "results": ReviewSerializer(page, many=True).data,
            }
        )


@extend_schema_view(
    retrieve=extend_schema(
        summary="One review (its version as ETag)", responses={200: ReviewSerializer, **error_responses(401, 404)}
    ),
    partial_update=extend_schema(
        summary="Change your review's rating or comment (the listing's rating is recomputed)",
        parameters=[IF_MATCH],
        request=ReviewUpdateSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 404), **PRECONDITION_FAILED},
    ),
    destroy=extend_schema(
        summary="Delete your review (the listing's rating is recomputed)",
        parameters=[IF_MATCH],
        responses={204: None, **error_responses(401, 404), **BAD_IF_MATCH, **PRECONDITION_FAILED},
    ),
)
class ReviewViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Reviews by id: anyone reads published ones; only the author edits or deletes theirs."""

    serializer_class = ReviewSerializer
    queryset = Review.objects.all()
    http_method_names = ["get", "patch", "delete", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Review]:
        if self.action in {"create", "partial_update", "destroy"}:
            # Someone else's review is simply not found for writing, even by staff (they use the admin).
            return reviews_for_reading().filter(user=self.request.user)
        return reviews_for_reading().visible_to(self.request.user)

    def get_throttles(self) -> list[BaseThrottle]:
        # A pushed review counts against the budget of one posted to its garage (MechanicViewSet.reviews).
        if self.action == "create":
            return [ReviewThrottle()]
        return super().get_throttles()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        # "create" exists only for /sync/push and a post with a client id (no route: no create() here).
        if self.action == "create":
            return SyncedReviewCreateSerializer
        if self.action == "partial_update":
            return SyncedReviewUpdateSerializer
        return ReviewSerializer

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        serializer.instance, _created = review_submit(
            user=self.request.user,
            mechanic=data["mechanic"],
            rating=data["rating"],
            comment=data["comment"],
            visit_id=data["visit"],
            review_id=data.get("id"),
            request=self.request,
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = review_update(
            review=serializer.instance, user=self.request.user, request=self.request, **serializer.validated_data
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return with_etag(super().retrieve(request, *args, **kwargs), kind="review", pk=self.kwargs["pk"])

    # The same If-Match and ETag as the SyncedViewSetMixin's, which would also route a POST /reviews here.
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReviewUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            review = object_at_version(self, kind="review")
            review = review_update(review=review, user=request.user, request=request, **payload.validated_data)
        return with_etag(Response(ReviewSerializer(review).data), kind="review", pk=review.pk)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            object_at_version(self, kind="review")
            return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Review) -> None:
        review_delete(review=instance, actor=self.request.user, request=self.request)

    @extend_schema(
        summary="Mark a review helpful, or take the vote back",
        request=HelpfulSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 404)},
        description="Your own review cannot be voted for (400, code own_review).",
    )
    @action(detail=True, methods=["post"])
    def helpful(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        payload = HelpfulSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review = review_mark_helpful(review=review, user=request.user, helpful=payload.validated_data["helpful"])
        return Response(ReviewSerializer(reviews_for_reading().get(pk=review.pk)).data)

    @extend_schema(
        summary="Report an abusive review to our staff",
        request=ReportInputSerializer,
        responses={201: ReportSerializer, **error_responses(400, 401, 404, 409)},
        description="Once per user (409, code already_reported); not your own review (400, code own_review).",
    )
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        payload = ReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = review_report(review=review, user=request.user, request=request, **payload.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Your reviews, newest first (hidden ones included, marked)",
    responses={200: OwnReviewSerializer, **error_responses(401)},
)
class MyReviewsView(ListAPIView):
    serializer_class = OwnReviewSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = None
    queryset = Review.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[Review]:
        return reviews_for_reading().filter(user=self.request.user)
