"""Filters for the catalog lists: exact attributes, change tracking for offline clients, and full-text search."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from catalog.models import (
    EngineSound,
    LightColour,
    LightSeverity,
    SoundSeverity,
    SoundType,
    TroubleCode,
    TroubleCodeSystem,
    WarningLight,
)

SEARCH_MAX_LENGTH = 200


class CatalogFilterSet(django_filters.FilterSet):
    """Shared by lights and sounds. ``search`` runs after every other filter, so that its "every word, else any
    word" decision is taken over the rows the other filters kept."""

    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Only entries changed at or after this ISO 8601 time."
    )
    search = django_filters.CharFilter(
        method="defer_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text="Words to look for in the name, description, causes and suggestions, in any order; "
        "results come most relevant first.",
    )

    def defer_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("search")
        return queryset.search(text) if text else queryset


class WarningLightFilter(CatalogFilterSet):
    severity = django_filters.ChoiceFilter(choices=LightSeverity.choices)
    colour = django_filters.ChoiceFilter(choices=LightColour.choices)
    manufacturer = django_filters.CharFilter(lookup_expr="iexact", help_text="“universal” or a brand, any case.")

    class Meta:
        model = WarningLight
        fields = ["severity", "colour", "manufacturer", "updated_since", "search"]


class EngineSoundFilter(CatalogFilterSet):
    severity = django_filters.ChoiceFilter(choices=SoundSeverity.choices)
    sound_type = django_filters.ChoiceFilter(choices=SoundType.choices)

    class Meta:
        model = EngineSound
        fields = ["severity", "sound_type", "updated_since", "search"]


class TroubleCodeFilter(django_filters.FilterSet):
    system = django_filters.ChoiceFilter(choices=TroubleCodeSystem.choices)
    severity = django_filters.ChoiceFilter(choices=LightSeverity.choices)
    warning_light = django_filters.CharFilter(
        field_name="warning_lights__code", help_text="Only codes that turn on this light (its code)."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text="A code or its start (P03), or words of the meaning (misfire cylinder).",
    )

    class Meta:
        model = TroubleCode
        fields = ["system", "severity", "warning_light", "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)
