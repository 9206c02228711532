from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.throttles import ReviewThrottle
from cardoc.serializers import error_responses
from directory.api.serializers import MechanicSerializer, ReviewInputSerializer, ReviewSerializer, ServiceSerializer
from directory.filters import MechanicFilter, ServiceFilter
from directory.models import Mechanic, MechanicService, Service
from directory.services import review_submit


@extend_schema_view(
    list=extend_schema(summary="The service catalog", responses={200: ServiceSerializer, **error_responses(400, 401)}),
)
class ServiceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The kinds of jobs garages do, with their usual price range."""

    queryset = Service.objects.all()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter


@extend_schema_view(
    list=extend_schema(
        summary="Find mechanics: by service, rating, opening hours, verification and distance",
        responses={200: MechanicSerializer, **error_responses(400, 401)},
    ),
    retrieve=extend_schema(summary="One mechanic", responses={200: MechanicSerializer, **error_responses(401, 404)}),
)
class MechanicViewSet(viewsets.ReadOnlyModelViewSet):
    """The mechanics directory. Listings are curated in the admin and edited by their owners on the web."""

    serializer_class = MechanicSerializer
    filterset_class = MechanicFilter
    queryset = Mechanic.objects.all()

    def get_queryset(self) -> QuerySet[Mechanic]:
        return (
            Mechanic.objects.visible_to(self.request.user)
            .with_open_flag(timezone.now())
            .prefetch_related(
                Prefetch(
                    "offerings", queryset=MechanicService.objects.select_related("service").order_by("service__name")
                ),
            )
        )

    @extend_schema(
        summary="Rate a mechanic (1 to 5), once per user; posting again updates the review",
        request=ReviewInputSerializer,
        responses={
            201: ReviewSerializer,
            200: ReviewSerializer,
            **error_responses(400, 401, 404, 429),
            403: error_responses(403)[403],
        },
        description="201 for a first review, 200 when it replaces the user's earlier one. A listing's owner "
        "cannot review it (403, code own_listing).",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="reviews",
        filterset_class=None,
        pagination_class=None,
        throttle_classes=[ReviewThrottle],
    )
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        mechanic = self.get_object()
        payload = ReviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        review, created = review_submit(user=request.user, mechanic=mechanic, request=request, **payload.validated_data)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ReviewSerializer(review).data, status=code)
