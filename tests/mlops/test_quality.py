"""The measurements behind the retake hints, on media made to fail each check (and on ones that pass)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from diagnostics.models import RETAKE_INSTRUCTIONS, QualityHint
from mlops.ml import quality
from tests.diagnostics.media_factory import dashboard_photo

RATE = 16_000
TIME = np.arange(RATE * 4) / RATE


def _photo(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_a_sharp_dashboard_photo_passes() -> None:
    assert quality.image_quality(_photo(dashboard_photo("oil_pressure", "battery"))).hint is None


def test_a_blurred_dashboard_photo_is_blurred() -> None:
    blurred = _photo(dashboard_photo("oil_pressure")).filter(ImageFilter.GaussianBlur(8))
    assert quality.image_quality(blurred).hint == quality.BLURRED


def test_a_washed_out_photo_is_overexposed_and_a_tiny_one_too_small() -> None:
    washed = Image.new("RGB", (1200, 900), (252, 252, 250)).filter(ImageFilter.GaussianBlur(3))
    assert quality.image_quality(washed).hint == quality.OVEREXPOSED
    assert quality.image_quality(_photo(dashboard_photo("oil_pressure")).resize((160, 120))).hint == quality.TOO_SMALL


def test_a_steady_engine_hum_passes() -> None:
    hum = sum(0.1 / k * np.sin(2 * np.pi * 30 * k * TIME) for k in range(1, 8))
    assert quality.audio_quality(hum, RATE).hint is None


def test_each_failed_recording_gets_its_hint() -> None:
    rng = np.random.default_rng(0)
    spectrum = np.fft.rfft(rng.standard_normal(TIME.size))
    spectrum[np.fft.rfftfreq(TIME.size, 1 / RATE) > 150] *= 0.02
    gusts = 0.5 + 0.5 * np.abs(np.sin(2 * np.pi * 0.7 * TIME))
    wind = np.fft.irfft(spectrum, TIME.size) * gusts
    voice = sum(np.sin(2 * np.pi * 150 * k * TIME) / k for k in range(2, 20))
    syllables = np.clip(np.sin(2 * np.pi * 4 * TIME), 0, None) ** 2

    assert quality.audio_quality(np.zeros(TIME.size), RATE).hint == quality.TOO_QUIET
    assert quality.audio_quality(0.2 * np.sin(2 * np.pi * 100 * TIME[: RATE // 2]), RATE).hint == quality.TOO_SHORT
    assert quality.audio_quality(np.clip(3 * np.sin(2 * np.pi * 120 * TIME), -1, 1), RATE).hint == quality.CLIPPED
    assert quality.audio_quality(0.3 * wind / np.abs(wind).max(), RATE).hint == quality.WIND
    assert quality.audio_quality(0.3 * voice * syllables / np.abs(voice).max(), RATE).hint == quality.SPEECH


def test_every_code_is_catalogued_with_a_retake_instruction() -> None:
    assert set(quality.IMAGE_HINTS + quality.AUDIO_HINTS) == set(QualityHint.values) == set(RETAKE_INSTRUCTIONS)
