"""Free text as people type it: control and invisible formatting characters are refused, not stored."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext_lazy as _

# Joiners shape emoji sequences and Persian or Indic script; every other format character (bidi overrides
# such as U+202E, zero-width spaces, the BOM) only serves to make text display other than it reads.
_ALLOWED_FORMAT = {"\u200c", "\u200d"}
_ALLOWED_CONTROL = {"\t", "\n", "\r"}

CONTROL_CHARACTER_MESSAGE = _("Remove the invisible or control character %(name)s (U+%(code)04X).")


def control_character_error(value: str) -> str | None:
    """A message naming the first control or invisible formatting character of ``value``, or None."""
    for char in value:
        category = unicodedata.category(char)
        refused = (category == "Cc" and char not in _ALLOWED_CONTROL) or (
            category in {"Cf", "Cs", "Co", "Cn"} and char not in _ALLOWED_FORMAT
        )
        if refused:
            name = unicodedata.name(char, "unnamed")
            return CONTROL_CHARACTER_MESSAGE % {"name": name, "code": ord(char)}
    return None
