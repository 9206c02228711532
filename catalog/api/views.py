from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from cardoc.public_cache import PublicCachedDetailMixin
from cardoc.serializers import error_responses
from catalog.api.serializers import (
    EngineSoundDetailSerializer,
    EngineSoundSerializer,
    TroubleCodeSerializer,
    WarningLightDetailSerializer,
    WarningLightSerializer,
)
from catalog.filters import EngineSoundFilter, TroubleCodeFilter, WarningLightFilter
from catalog.models import TROUBLE_CODE_PATTERN, TROUBLE_CODE_SHAPE, EngineSound, TroubleCode, WarningLight


@extend_schema_view(
    list=extend_schema(
        summary="List or search the warning lights",
        responses={200: WarningLightSerializer, **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One warning light, with the tutorials that explain it",
        responses={200: WarningLightDetailSerializer, **error_responses(401, 404)},
    ),
)
class WarningLightViewSet(PublicCachedDetailMixin, viewsets.ReadOnlyModelViewSet):
    """The dashboard warning lights: what each means, how urgent it is, causes and repairs."""

    queryset = WarningLight.objects.all()
    filterset_class = WarningLightFilter
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[WarningLight]:
        if self.action == "retrieve":
            return WarningLight.objects.prefetch_related("tutorials")
        return WarningLight.objects.all()

    def get_serializer_class(self) -> type[BaseSerializer]:
        return WarningLightDetailSerializer if self.action == "retrieve" else WarningLightSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List or search the engine sounds", responses={200: EngineSoundSerializer, **error_responses(400, 401)}
    ),
    retrieve=extend_schema(
        summary="One engine sound, with the tutorials that explain it",
        responses={200: EngineSoundDetailSerializer, **error_responses(401, 404)},
    ),
)
class EngineSoundViewSet(PublicCachedDetailMixin, viewsets.ReadOnlyModelViewSet):
    """The engine and drivetrain sounds the audio model recognises: causes, urgency and repairs."""

    queryset = EngineSound.objects.all()
    filterset_class = EngineSoundFilter
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[EngineSound]:
        if self.action == "retrieve":
            return EngineSound.objects.prefetch_related("tutorials")
        return EngineSound.objects.all()

    def get_serializer_class(self) -> type[BaseSerializer]:
        return EngineSoundDetailSerializer if self.action == "retrieve" else EngineSoundSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List or search the OBD-II trouble codes",
        responses={200: TroubleCodeSerializer, **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        summary="One OBD-II trouble code",
        description=f"The code is {TROUBLE_CODE_SHAPE}; any other shape is a 400 that says so.",
        responses={200: TroubleCodeSerializer, **error_responses(400, 401, 404)},
    ),
)
class TroubleCodeViewSet(viewsets.ReadOnlyModelViewSet):
    """OBD-II trouble codes: what each means, how urgent it is, its causes and the lights it turns on."""

    queryset = TroubleCode.objects.prefetch_related("warning_lights", "engine_sounds")
    serializer_class = TroubleCodeSerializer
    filterset_class = TroubleCodeFilter
    lookup_field = "code"
    # Any segment reaches the view, so a malformed code gets a 400 naming the shape rather than a 404.
    lookup_value_regex = "[^/]+"

    def get_object(self) -> TroubleCode:
        code = self.kwargs["code"].strip().upper()
        if not re.fullmatch(TROUBLE_CODE_PATTERN, code):
            message = _("“%(code)s” is not a trouble code: expected %(shape)s.") % {
                "code": self.kwargs["code"],
                "shape": TROUBLE_CODE_SHAPE,
            }
            raise ValidationError({"code": message})
        self.kwargs["code"] = code
        return super().get_object()
