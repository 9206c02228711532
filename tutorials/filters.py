"""Filters for the tutorial list: by the light or sound explained, and by difficulty."""

from __future__ import annotations

import django_filters

from tutorials.models import Difficulty, Tutorial


class TutorialFilter(django_filters.FilterSet):
    warning_light = django_filters.CharFilter(
        field_name="warning_lights__code", help_text="Only tutorials explaining this warning-light code."
    )
    engine_sound = django_filters.CharFilter(
        field_name="engine_sounds__code", help_text="Only tutorials explaining this engine-sound code."
    )
    difficulty = django_filters.ChoiceFilter(choices=Difficulty.choices)

    class Meta:
        model = Tutorial
        fields = ["warning_light", "engine_sound", "difficulty"]
