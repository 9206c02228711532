"""Write the sample media of the README's diagnostics example: ``python samples/make_samples.py``.

Both are made by our own code, so they can be shipped and remade at will:
- ``dashboard.jpg``: the oil-pressure and battery symbols of ``catalog.symbols``, lit in their standard
  colours on a dark instrument panel, saved as a phone would save a JPEG;
- ``engine.wav``: four seconds of an idle-like hum (30 and 90 Hz with a little noise), 16 kHz mono.

The output is deterministic: running the script again writes the same bytes.
"""

from __future__ import annotations

import io
import math
import random
import sys
import wave
from pathlib import Path

from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from anywhere: catalog.symbols needs no Django set-up

from catalog.symbols import COLOUR_RGB, STANDARD_COLOURS, render_symbol  # noqa: E402

PANEL_SIZE = (1280, 960)
SYMBOL_SIZE = 120
LIGHTS = ("oil_pressure", "battery")


def dashboard_jpeg(codes: tuple[str, ...] = LIGHTS) -> bytes:
    """``codes`` lit side by side across the middle of a dark panel, slightly soft, as a JPEG."""
    panel = Image.new("RGB", PANEL_SIZE, (14, 16, 20))
    step = PANEL_SIZE[0] // (len(codes) + 1)
    top = PANEL_SIZE[1] // 2 - SYMBOL_SIZE // 2
    for i, code in enumerate(codes, start=1):
        symbol = render_symbol(code, size=SYMBOL_SIZE, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
        panel.paste(symbol, (i * step - SYMBOL_SIZE // 2, top), symbol)
    buffer = io.BytesIO()
    panel.filter(ImageFilter.GaussianBlur(0.8)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def idle_hum_wav(seconds: float = 4.0, *, seed: int = 7, rate: int = 16_000) -> bytes:
    """An idle-like harmonic hum with a little noise, as 16-bit mono WAV."""
    rng = random.Random(seed)  # noqa: S311 (noise for a sample recording, not a secret)
    frames = bytearray()
    for n in range(round(rate * seconds)):
        t = n / rate
        value = 0.3 * math.sin(2 * math.pi * 30 * t) + 0.2 * math.sin(2 * math.pi * 90 * t) + rng.gauss(0, 0.05)
        frames += int(max(-1.0, min(1.0, value)) * 32767).to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def main() -> None:
    for name, data in (("dashboard.jpg", dashboard_jpeg()), ("engine.wav", idle_hum_wav())):
        (HERE / name).write_bytes(data)
        print(f"wrote samples/{name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
