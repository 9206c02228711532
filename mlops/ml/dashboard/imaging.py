"""Decoding user images safely: the only way photos enter the dashboard recogniser.

A phone photo is decoded once, and at reduced size: no tell-tale needs more than about DECODE_SIDE pixels
across the frame, and a 40 MP photo decoded in full costs a quarter of a second and hundreds of MB. JPEGs are
decoded straight to 1/2, 1/4 or 1/8 scale by libjpeg (draft mode); other formats are shrunk by box
averaging before any colour conversion or rotation makes full-size copies.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from cardoc.uploads import IMAGE_MAX_PIXELS, IMAGE_MAX_PIXELS_FULL_DECODE, pixel_limit
from mlops.ml.errors import MediaError

# One rule for the upload check and the decoder (cardoc.uploads): PNG and WebP can only be decoded at full
# size (no DCT scaling): 16 MP costs 340 ms of CPU and 64 MB, 8 MP half that (a tablet screenshot is 5.6 MP),
# and no phone camera writes PNG: a bigger one is refused.
MAX_PIXELS = IMAGE_MAX_PIXELS
MAX_PIXELS_FULL_DECODE = IMAGE_MAX_PIXELS_FULL_DECODE
DECODE_SIDE = 1600  # the longer side of the decoded copy that detection works on
# Pillow's JPEG opener also takes MPO, the JPEG-with-previews that many phones write.
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP")
_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA", "I", "F")
_TRANSPOSED = (5, 6, 7, 8)  # EXIF orientations that swap width and height

Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO


@dataclass(frozen=True, slots=True)
class Photo:
    """An upright RGB copy of a photo for detection, and the size of the upright original it stands for."""

    image: Image.Image
    original_size: tuple[int, int]

    @property
    def scale(self) -> float:
        """Original pixels per pixel of the copy."""
        return self.original_size[0] / self.image.width


@dataclass(frozen=True, slots=True)
class ImageHeader:
    width: int  # upright, after the EXIF orientation
    height: int
    format: str


def _source(data: Source) -> BinaryIO | Path:
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data))
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise MediaError(f"no such image file: {path}")
        return path
    return data


def open_photo(data: Source, *, max_side: int | None = DECODE_SIDE) -> Photo:
    """Decodes a JPEG, PNG or WebP into an upright RGB copy at most max_side across, or raises MediaError.

    Transparent areas become black: a cut-out icon reads as a symbol lit on a dark panel.
    """
    with _decoding(data) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)
        if max_side and max(width, height) > max_side:
            if image.format in ("JPEG", "MPO"):
                k = max_side / max(width, height)
                # libjpeg picks the smallest DCT scale that still gives at least the requested size.
                image.draft("RGB", (max(1, int(width * k)), max(1, int(height * k))))
            image.load()
            image = _shrink(image, max_side)
        else:
            image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = _to_rgb(upright)
    size = (height, width) if orientation in _TRANSPOSED else (width, height)
    return Photo(rgb, size)


def open_image(data: Source) -> Image.Image:
    """The whole photo at full resolution, upright and RGB (training and tools; the service uses open_photo)."""
    return open_photo(data, max_side=None).image


def read_header(data: Source) -> ImageHeader:
    """What an upload claims to be, checked cheaply without decoding it at full size; raises MediaError.

    The upload check runs in the request, so it must not cost what the worker's decode costs: PNG chunks
    are checked against their CRCs, a JPEG is decoded at 1/8 scale (every byte of its entropy-coded data is
    still read, so a cut-short file fails), and a WebP's RIFF length must match the bytes present.
    """
    if not isinstance(data, bytes | bytearray | memoryview | str | os.PathLike):
        # Pillow's PNG verify() closes the file it reads; an upload must stay open for storing, so it reads a
        # copy of the (compressed, at most 15 MB) bytes, and the caller's position is left as it was.
        position = data.tell()
        data, _ = data.read(), data.seek(position)
    with _decoding(data) as image:
        width, height = image.size
        fmt = image.format or ""
        if fmt == "PNG":
            # verify() must come straight after open; a PNG's rare eXIf orientation is the worker's business.
            image.verify()
            return ImageHeader(width, height, fmt)
        orientation = image.getexif().get(0x0112, 1)
        if fmt in ("JPEG", "MPO"):
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
        else:
            _check_riff_length(image)
    if orientation in _TRANSPOSED:
        width, height = height, width
    return ImageHeader(width, height, fmt)


def _check_riff_length(image: Image.Image) -> None:
    fp = image.fp  # type: ignore[attr-defined]
    position = fp.tell()
    fp.seek(0)
    head = fp.read(12)
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(position)
    if len(head) < 12 or head[:4] != b"RIFF" or struct.unpack("<I", head[4:8])[0] + 8 > size:
        raise MediaError("cannot decode image: the file is damaged or cut short")


class _decoding:
    """Opens an image under our limits and turns every decoder failure into a MediaError."""

    def __init__(self, data: Source) -> None:
        self.source = _source(data)
        self.image: Image.Image | None = None
        self.warnings = warnings.catch_warnings()

    def __enter__(self) -> Image.Image:
        self.warnings.__enter__()
        # Pillow only warns between its own limit and twice that; we want a hard error at ours.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            self.image = Image.open(self.source, formats=SUPPORTED_FORMATS)
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        cap = pixel_limit(self.image.format or "")
        if self.image.width * self.image.height > cap:
            limit = cap // 1_000_000
            size = f"{self.image.width}x{self.image.height}"
            self.__exit__(None, None, None)
            raise MediaError(f"image is {size}, over the {limit} megapixel limit")
        return self.image

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.image is not None:
            self.image.close()
            self.image = None
        self.warnings.__exit__(None, None, None)
        if exc is None or isinstance(exc, MediaError):
            return
        if isinstance(exc, UnidentifiedImageError):
            # Pillow's message names the object it read, which for a stored upload is a path on our server.
            raise MediaError("cannot decode image: not a JPEG, PNG or WebP image") from exc
        if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
            raise MediaError(f"cannot decode image: {exc}") from exc
        if isinstance(exc, OSError | SyntaxError | EOFError | ValueError | TypeError | struct.error):
            # Pillow's own wording ("26 bytes not processed") is shown to drivers; the cause stays chained.
            raise MediaError("cannot decode image: the file is damaged or cut short") from exc


def _shrink(image: Image.Image, max_side: int) -> Image.Image:
    """image shrunk so its longer side is at most max_side, without a full-size copy in another mode."""
    factor = -(-max(image.size) // max_side)
    if factor <= 1:
        return image
    if image.mode in _REDUCIBLE_MODES:
        return image.reduce(factor)
    # Palette and bit images cannot be averaged in their own mode; nearest keeps them small until then.
    size = (max(1, image.width // factor), max(1, image.height // factor))
    return image.resize(size, Image.Resampling.NEAREST)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image.copy()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        flat.alpha_composite(rgba)
        return flat.convert("RGB")
    if image.mode in ("I", "I;16", "F"):
        # 16-bit greyscale PNGs: scale to 8 bits rather than clip at 255.
        return image.point(lambda v: v / 256).convert("L").convert("RGB")
    return image.convert("RGB")
