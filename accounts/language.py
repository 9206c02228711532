"""Which language a signed-in driver is answered in.

The order, from strongest: the profile's ``locale`` when the driver chose one (``fr-CM`` answers in French),
then the request's ``Accept-Language`` (Django's LocaleMiddleware), then English. A profile left blank
follows the phone. A locale we have no catalogue for (``de``) is ignored rather than refused, so the driver
still gets the best language their phone asks for.
"""

from __future__ import annotations

from django.utils import translation


def supported_language(locale: str) -> str | None:
    """The language of ours that serves ``locale`` (``fr-CM`` → ``fr``), or None when we have none."""
    if not locale:
        return None
    try:
        return translation.get_supported_language_variant(locale.lower())
    except LookupError:
        return None


def activate_profile_language(locale: str | None) -> None:
    """Make the driver's chosen language this request's, over what ``Accept-Language`` negotiated."""
    language = supported_language(locale or "")
    if language is not None:
        translation.activate(language)
