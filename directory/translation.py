"""The directory services' names and descriptions in every language of ``settings.LANGUAGES``
(django-modeltranslation, like catalog/translation.py).

Reading ``name`` gives the active language's text, or the English one where the French is empty. The
original columns keep the English text (the seed and the admin save with English active), because the
seed matches services on their English name and listings' search text copies it.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from directory.models import Service


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = ("name", "description")
    required_languages = ("en",)
