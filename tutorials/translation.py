"""Tutorials' titles and descriptions in every language of ``settings.LANGUAGES`` (django-modeltranslation).

Reading ``title`` gives the active language's text, or the English one where the translation is empty.
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from tutorials.models import Tutorial


@register(Tutorial)
class TutorialTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = ("en",)
