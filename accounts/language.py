"""Which language a signed-in driver is answered in.

The order, from strongest: the profile's ``locale`` when the driver chose one (``fr-CM`` answers in French),
then the request's ``Accept-Language`` (Django's LocaleMiddleware), then English. A profile left blank
follows the phone. A locale we have no catalogue for (``de``) is ignored rather than refused, so the driver
still gets the best language their phone asks for.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from accounts.models import User, UserProfile


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


def language_of(user: User) -> str:
    """The language to write to ``user`` in (an email, say): their profile's, else the active one.

    On PostgreSQL an anonymous request (a password reset) cannot see the profile under row-level security,
    and then gets the language the phone asked for, as any other anonymous answer does.
    """
    locale = UserProfile.objects.filter(user=user).values_list("locale", flat=True).first()
    return supported_language(locale or "") or translation.get_language() or settings.LANGUAGE_CODE
