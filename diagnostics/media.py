"""The limits an upload must meet before anything decodes it (what a file is: ``cardoc.sniff``).

The image limits are shared with the garage photos, so they live in ``cardoc.uploads``.
"""

from __future__ import annotations

from cardoc.uploads import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, exceeded_pixel_limit, image_too_large

AUDIO_MAX_BYTES = 20 * 1024 * 1024

__all__ = ["AUDIO_MAX_BYTES", "IMAGE_MAX_BYTES", "IMAGE_MAX_PIXELS", "exceeded_pixel_limit", "image_too_large"]
