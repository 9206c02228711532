from __future__ import annotations


class MediaError(ValueError):
    """An image or recording that cannot be decoded, is truncated, or is outside the supported limits."""
