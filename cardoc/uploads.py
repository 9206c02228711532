"""Limits every uploaded image meets before anything decodes it (what a file is: ``cardoc.sniff``).

Shared by the drivers' dashboard photos (diagnostics) and the garages' photos (directory).
"""

from __future__ import annotations

import warnings
from typing import BinaryIO

from PIL import Image

IMAGE_MAX_BYTES = 15 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
# PNG and WebP decode only in full (a JPEG decodes at reduced scale), so they get a lower cap: a 16 MP PNG
# costs about 340 ms of CPU to decode, over the 250 ms a photo may take.
IMAGE_MAX_PIXELS_FULL_DECODE = 8_000_000
REDUCED_DECODE_FORMATS = ("JPEG", "MPO")


def pixel_limit(fmt: str) -> int:
    """The most pixels an image in this format may have."""
    return IMAGE_MAX_PIXELS if fmt in REDUCED_DECODE_FORMATS else IMAGE_MAX_PIXELS_FULL_DECODE


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def image_too_large(file: BinaryIO) -> bool:
    """Whether an image's header announces more pixels than its format may have (see exceeded_pixel_limit)."""
    return exceeded_pixel_limit(file) is not None


def exceeded_pixel_limit(file: BinaryIO) -> int | None:
    """The pixel limit an image's header announces it is over, read without decoding any pixel; else None.

    None when Pillow cannot read the header: the decoder then refuses the file with its own message.
    """
    position = file.tell()
    try:
        with warnings.catch_warnings():
            # Pillow warns from its own (higher) limit and raises at twice that; ours is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                limit = pixel_limit(image.format or "")
                return limit if image.width * image.height > limit else None
    except Image.DecompressionBombError:
        return IMAGE_MAX_PIXELS
    except (OSError, ValueError, SyntaxError, EOFError):
        return None
    finally:
        file.seek(position)
