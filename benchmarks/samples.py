"""Synthetic test media shared by the benchmark scripts (no Django, no torch)."""

from __future__ import annotations

import io
import math
import random
import wave


def idle_hum_wav(seconds: float, *, seed: int, rate: int = 16_000) -> bytes:
    """An idle-like harmonic hum (30 and 90 Hz) with noise, as 16-bit mono WAV."""
    rng = random.Random(seed)
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
