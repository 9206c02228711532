"""Test media made on the fly (images with Pillow, recordings with the standard-library wave module), and
the real engine recordings where this machine has them.

The bundled models give a known answer for each: lit symbols drawn on a dark panel are recognised, a blank
panel holds no light, silence and pure tones are an ``unknown`` sound, a recorded fault is that fault.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

import pytest
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


PANEL_SIZE = (1280, 960)
SYMBOL_SIZE = 120
RECORDINGS = Path("/work/shared/data/engine")

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.is_dir(), reason="the real engine recordings are not on this machine"
)


def symbol_tiles(count: int, size: tuple[int, int] = PANEL_SIZE) -> list[tuple[int, int, int, int]]:
    """Where dashboard_photo draws each of ``count`` symbols, left to right, as (x0, y0, x1, y1)."""
    step = size[0] // (count + 1)
    top = size[1] // 2 - SYMBOL_SIZE // 2
    return [
        (i * step - SYMBOL_SIZE // 2, top, i * step + SYMBOL_SIZE // 2, top + SYMBOL_SIZE) for i in range(1, count + 1)
    ]


def dashboard_photo(*codes: str, size: tuple[int, int] = PANEL_SIZE) -> bytes:
    """Lit symbols, drawn in their standard colours, on a dark instrument panel, saved as a phone JPEG."""
    panel = Image.new("RGB", size, (14, 16, 20))
    for code, (x0, y0, _, _) in zip(codes, symbol_tiles(len(codes), size), strict=True):
        symbol = render_symbol(code, size=SYMBOL_SIZE, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
        panel.paste(symbol, (x0, y0), symbol)
    buffer = io.BytesIO()
    panel.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def silence_wav(seconds: float = 2.0, *, rate: int = 16_000) -> bytes:
    """Digital silence: every window is below the classifier's silence floor, so the verdict is unknown."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return buffer.getvalue()


def real_recording(code: str, *, after_silence_s: float = 0.0) -> bytes:
    """The middle one-second chunk of the real recording of ``code``, optionally after some silence.

    The leading silence gives the clip windows where nothing is heard, so a test can see that the span
    of the finding starts where the sound does. Use with ``needs_recordings``.
    """
    chunks = sorted((RECORDINGS / code).glob("*.wav"))
    with wave.open(str(chunks[len(chunks) // 2])) as source:
        params = source.getparams()
        frames = source.readframes(params.nframes)
    lead = b"\0" * int(params.framerate * after_silence_s) * params.sampwidth * params.nchannels
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setparams(params)
        out.writeframes(lead + frames)
    return buffer.getvalue()
