"""Limits every uploaded image meets before anything decodes it (what a file is: ``cardoc.sniff``).

Shared by the drivers' dashboard photos (diagnostics) and the garages' photos (directory).
"""

from __future__ import annotations

import warnings
from typing import BinaryIO

from PIL import Image

IMAGE_MAX_BYTES = 15 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def image_too_large(file: BinaryIO) -> bool:
    """Whether an image's header announces more than IMAGE_MAX_PIXELS, read without decoding any pixel.

    False when Pillow cannot read the header: the decoder then refuses the file with its own message.
    """
    position = file.tell()
    try:
        with warnings.catch_warnings():
            # Pillow warns from its own (higher) limit and raises at twice that; ours is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                return image.width * image.height > IMAGE_MAX_PIXELS
    except Image.DecompressionBombError:
        return True
    except (OSError, ValueError, SyntaxError, EOFError):
        return False
    finally:
        file.seek(position)
