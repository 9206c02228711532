"""Decoding user images safely: the only way photos enter the dashboard recogniser."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from mlops.ml.errors import MediaError

MAX_PIXELS = 40_000_000
# Pillow's JPEG opener also takes MPO, the JPEG-with-previews that many phones write.
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP")


def open_image(data: bytes | Path | BinaryIO) -> Image.Image:
    """Decodes a JPEG, PNG or WebP into an upright RGB image, or raises MediaError.

    Transparent areas become black: a cut-out icon reads as a symbol lit on a dark panel.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        source: BinaryIO | Path = io.BytesIO(bytes(data))
    elif isinstance(data, str | os.PathLike):
        source = Path(data)
        if not source.is_file():
            raise MediaError(f"no such image file: {source}")
    else:
        source = data
    try:
        # Pillow only warns between its own limit and twice that; we want a hard error at ours.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=SUPPORTED_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    limit = MAX_PIXELS // 1_000_000
                    raise MediaError(f"image is {image.width}x{image.height}, over the {limit} megapixel limit")
                image.load()
                upright = ImageOps.exif_transpose(image)
                return _to_rgb(upright)
    except MediaError:
        raise
    except UnidentifiedImageError as exc:
        # Pillow's message names the object it read, which for a stored upload is a path on our server.
        raise MediaError("cannot decode image: not a JPEG, PNG or WebP image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaError(f"cannot decode image: {exc}") from exc
    except (
        OSError,
        SyntaxError,
        EOFError,
        ValueError,
        TypeError,
    ) as exc:
        # Pillow's own wording ("26 bytes not processed") is shown to drivers; the cause stays chained.
        raise MediaError("cannot decode image: the file is damaged or cut short") from exc


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image.copy()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        flat.alpha_composite(rgba)
        return flat.convert("RGB")
    return image.convert("RGB")
