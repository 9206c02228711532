"""The limits an upload must meet before anything decodes it (what a file is: ``mlops.sniff``)."""

from __future__ import annotations

import warnings
from typing import BinaryIO

from PIL import Image

from mlops.inference import image_pixel_limit

IMAGE_MAX_BYTES = 15 * 1024 * 1024
AUDIO_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000


def image_too_large(file: BinaryIO) -> bool:
    """Whether an image's header announces more pixels than its format may have (see exceeded_pixel_limit)."""
    return exceeded_pixel_limit(file) is not None


def exceeded_pixel_limit(file: BinaryIO) -> int | None:
    """The pixel limit an image's header announces it is over, read without decoding any pixel; else None.

    JPEGs may have IMAGE_MAX_PIXELS (they decode at reduced scale); PNG and WebP, which decode only in
    full, fewer. None when Pillow cannot read the header: the decoder then refuses the file itself.
    """
    position = file.tell()
    try:
        with warnings.catch_warnings():
            # Pillow warns from its own (higher) limit and raises at twice that; ours is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                limit = min(IMAGE_MAX_PIXELS, image_pixel_limit(image.format or ""))
                return limit if image.width * image.height > limit else None
    except Image.DecompressionBombError:
        return IMAGE_MAX_PIXELS
    except (OSError, ValueError, SyntaxError, EOFError):
        return None
    finally:
        file.seek(position)
