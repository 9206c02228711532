from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from cardoc.public_cache import PublicCachedReadMixin
from cardoc.serializers import error_responses
from catalog.models import EngineSound, WarningLight
from tutorials.api.serializers import TutorialSerializer
from tutorials.filters import TutorialFilter
from tutorials.models import Tutorial
from tutorials.services import tutorial_record_view


@extend_schema_view(
    list=extend_schema(summary="List the tutorials", responses={200: TutorialSerializer, **error_responses(400, 401)}),
    retrieve=extend_schema(
        summary="One tutorial; each call counts one view",
        responses={200: TutorialSerializer, **error_responses(401, 404)},
    ),
)
class TutorialViewSet(PublicCachedReadMixin, viewsets.ReadOnlyModelViewSet):
    """How-to videos for the warning lights and engine sounds, chosen by staff."""

    # A tutorial's detail counts a view, so only the list is served from the cache (the mixin's default).

    serializer_class = TutorialSerializer
    filterset_class = TutorialFilter
    queryset = Tutorial.objects.all()

    def get_queryset(self) -> QuerySet[Tutorial]:
        # Only the codes are shown, so the linked entries' long texts are not fetched.
        return Tutorial.objects.prefetch_related(
            Prefetch("warning_lights", queryset=WarningLight.objects.only("id", "code")),
            Prefetch("engine_sounds", queryset=EngineSound.objects.only("id", "code")),
        )

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        tutorial = tutorial_record_view(tutorial=self.get_object())
        return Response(self.get_serializer(tutorial).data)
