"""Test media made on the fly: images with Pillow, recordings with the standard-library wave module."""

from __future__ import annotations

import io
import math
import struct
import wave

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFilter

from catalog.symbols import COLOUR_RGB, STANDARD_COLOURS, render_symbol


def image_bytes(
    size: tuple[int, int] = (320, 200),
    *,
    fmt: str = "PNG",
    colour: tuple[int, int, int] = (20, 20, 24),
    mode: str = "RGB",
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour if mode == "RGB" else 0).save(buffer, format=fmt)
    return buffer.getvalue()


def wav_bytes(seconds: float = 1.0, *, rate: int = 16_000, frequency: float = 220.0) -> bytes:
    frames = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def photo(name: str = "dashboard.png", data: bytes | None = None) -> SimpleUploadedFile:
    return upload(name, data if data is not None else image_bytes(), "image/png")


def recording(name: str = "engine.wav", data: bytes | None = None) -> SimpleUploadedFile:
    return upload(name, data if data is not None else wav_bytes(), "audio/wav")


def dashboard_photo(*codes: str, size: tuple[int, int] = (1280, 960)) -> bytes:
    """Lit symbols, drawn in their standard colours, on a dark instrument panel, saved as a phone JPEG."""
    panel = Image.new("RGB", size, (14, 16, 20))
    step = size[0] // (len(codes) + 1)
    for i, code in enumerate(codes, start=1):
        symbol = render_symbol(code, size=120, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
        panel.paste(symbol, (i * step - 60, size[1] // 2 - 60), symbol)
    buffer = io.BytesIO()
    panel.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
