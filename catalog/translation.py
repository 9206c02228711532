"""The catalog's texts in every language of ``settings.LANGUAGES`` (django-modeltranslation).

Each field below gets a column per language (``name_en``, ``name_fr``); reading ``name`` gives the active
language's text, or the English one where the translation is empty. The original columns stay and keep
the English text (see ``catalog.services.in_english``), because the full-text search indexes them.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from catalog.models import EngineSound, TroubleCode, WarningLight

CATALOG_TEXT_FIELDS = ("name", "description", "common_causes", "repair_suggestions")
TROUBLE_CODE_TEXT_FIELDS = ("meaning", "description", "common_causes", "repair_suggestions")


@register(WarningLight)
class WarningLightTranslation(TranslationOptions):
    fields = CATALOG_TEXT_FIELDS
    required_languages = ("en",)


@register(EngineSound)
class EngineSoundTranslation(TranslationOptions):
    fields = CATALOG_TEXT_FIELDS
    required_languages = ("en",)


@register(TroubleCode)
class TroubleCodeTranslation(TranslationOptions):
    fields = TROUBLE_CODE_TEXT_FIELDS
    required_languages = ("en",)
