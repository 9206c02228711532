"""Why a photo or a recording may have shown nothing: measurements, not guesses.

Each check measures one property of the decoded media and names a retake hint when it is out of range. The
thresholds sit well away from what a usable dashboard photo (a dark panel with lit symbols) or an engine
recording (a steady, tonal hum) measures, so a hint is given only for media that plainly fail. The
diagnostics pipeline shows a hint only when the models found nothing.

Codes (catalogued with their texts as ``diagnostics.models.QualityHint``):
- photo: ``too_small``, ``too_dark``, ``no_panel``, ``overexposed``, ``blurred``
- recording: ``too_short``, ``too_quiet``, ``clipped``, ``wind``, ``speech``
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

TOO_SMALL = "too_small"
TOO_DARK = "too_dark"
NO_PANEL = "no_panel"
OVEREXPOSED = "overexposed"
BLURRED = "blurred"
TOO_SHORT = "too_short"
TOO_QUIET = "too_quiet"
CLIPPED = "clipped"
WIND = "wind"
SPEECH = "speech"
IMAGE_HINTS = (TOO_SMALL, TOO_DARK, NO_PANEL, OVEREXPOSED, BLURRED)
AUDIO_HINTS = (TOO_SHORT, TOO_QUIET, CLIPPED, WIND, SPEECH)

# --- Photos ---
MEASURE_SIDE = 512  # measured on a copy this wide at most: the figures barely move, the cost drops 10x
MIN_SIDE_PX = 240  # a symbol in a smaller photo is a few pixels across
DARK_LIT = 60.0  # even the brightest 0.1% of the picture is near black in every channel: nothing is lit
BRIGHT_MEDIAN = 175.0  # a dashboard is a dark panel; a mostly bright picture is something else, or washed out
WHITE = 250.0
WHITE_SHARE = 0.25
# A bright picture with crisp edges (icons on paper, a screen, a white wall) is in focus but shows no panel;
# a bright picture without them is washed out. Laplacian variance of the 0-255 luminance.
SHARP_EDGES = 150.0
BLUR_EDGES = 8.0  # below this on a lit picture, no symbol's outline survives


@dataclass(frozen=True, slots=True)
class ImageQuality:
    width: int
    height: int
    mean_luma: float
    median_luma: float
    lit_level: float
    white_share: float
    sharpness: float
    hint: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rgb(image: Image.Image) -> np.ndarray:
    copy = image.convert("RGB")
    if max(copy.size) > MEASURE_SIDE:
        copy.thumbnail((MEASURE_SIDE, MEASURE_SIDE))
    return np.asarray(copy, dtype=np.float32)


def _laplacian_variance(luma: np.ndarray) -> float:
    if luma.shape[0] < 3 or luma.shape[1] < 3:
        return 0.0
    centre = luma[1:-1, 1:-1]
    lap = luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4 * centre
    return float(lap.var())


def image_quality(image: Image.Image, *, original_size: tuple[int, int] | None = None) -> ImageQuality:
    """Measure a decoded photo and name the first hint that applies (None: nothing wrong we can measure)."""
    width, height = original_size or image.size
    rgb = _rgb(image)
    luma = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    mean, median = float(luma.mean()), float(np.median(luma))
    # The brightest channel: a lit red symbol is dim in luminance (76 of 255) but at full scale in red.
    lit = float(np.percentile(rgb.max(axis=2), 99.9))
    white = float((luma >= WHITE).mean())
    sharpness = _laplacian_variance(luma)
    hint: str | None = None
    if min(width, height) < MIN_SIDE_PX:
        hint = TOO_SMALL
    elif lit < DARK_LIT:
        hint = TOO_DARK
    elif median >= BRIGHT_MEDIAN or white >= WHITE_SHARE:
        hint = NO_PANEL if sharpness >= SHARP_EDGES else OVEREXPOSED
    elif sharpness < BLUR_EDGES:
        hint = BLURRED
    return ImageQuality(
        width=width,
        height=height,
        mean_luma=round(mean, 1),
        median_luma=round(median, 1),
        lit_level=round(lit, 1),
        white_share=round(white, 3),
        sharpness=round(sharpness, 1),
        hint=hint,
    )


# --- Recordings ---
MIN_DURATION_S = 1.0  # the sound model listens in 1 s windows
QUIET_DBFS = -50.0  # a phone a metre from a running engine records around -30 dBFS
CLIP_LEVEL = 0.999
CLIP_SHARE = 0.01  # 1% of samples at full scale: the microphone was overloaded
FRAME_S = 0.01
WIND_BELOW_HZ = 200.0
WIND_LOW_SHARE = 0.7  # wind buffeting a microphone puts most of its energy below 200 Hz...
WIND_FLAT_BELOW_HZ = 150.0
WIND_FLATNESS = 0.1  # ...as noise (a smooth spectrum, ~0.2+), where an engine's low end is tonal harmonics (~0.01)
WIND_GUSTS_DB = 4.0  # ...and comes in gusts
SPEECH_BAND_HZ = (300.0, 3400.0)
SPEECH_BAND_SHARE = 0.6
SPEECH_SYLLABLES_HZ = (2.0, 8.0)
SPEECH_MODULATION_SHARE = 0.35  # share of the loudness changes at the rate of syllables
SPEECH_DEPTH_DB = 6.0  # speech rises and falls by far more than an idling engine


@dataclass(frozen=True, slots=True)
class AudioQuality:
    duration_s: float
    rms_dbfs: float
    clipped_share: float
    low_share: float
    low_flatness: float
    speech_band_share: float
    syllable_modulation: float
    loudness_spread_db: float
    hint: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _spectral_flatness(power: np.ndarray) -> float:
    power = power[power > 0]
    if power.size == 0:
        return 0.0
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


def _welch(x: np.ndarray, sample_rate: int, segment_s: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """The averaged power spectrum of half-overlapping windowed segments: noise comes out smooth, tones as peaks."""
    size = max(16, int(segment_s * sample_rate))
    if x.size < size:
        size = x.size
    step = max(1, size // 2)
    window = np.hanning(size)
    segments = [x[i : i + size] * window for i in range(0, x.size - size + 1, step)]
    power = np.mean([np.abs(np.fft.rfft(seg)) ** 2 for seg in segments], axis=0)
    return np.fft.rfftfreq(size, 1 / sample_rate), power


def audio_quality(samples: np.ndarray, sample_rate: int) -> AudioQuality:
    """Measure a mono recording in [-1, 1] and name the first hint that applies (None: nothing measurable)."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    duration = x.size / sample_rate if sample_rate else 0.0
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    dbfs = 20 * np.log10(rms) if rms > 0 else -120.0
    clipped = float((np.abs(x) >= CLIP_LEVEL).mean()) if x.size else 0.0

    freqs, spectrum = _welch(x - x.mean(), sample_rate) if x.size >= 16 else (np.zeros(1), np.zeros(1))
    total = float(spectrum[freqs >= 20].sum()) or 1.0
    low = (freqs >= 20) & (freqs < WIND_BELOW_HZ)
    low_share = float(spectrum[low].sum()) / total
    low_flatness = _spectral_flatness(spectrum[(freqs >= 20) & (freqs < WIND_FLAT_BELOW_HZ)])
    band = (freqs >= SPEECH_BAND_HZ[0]) & (freqs < SPEECH_BAND_HZ[1])
    band_share = float(spectrum[band].sum()) / total

    frame = max(1, int(FRAME_S * sample_rate))
    frames = x[: x.size // frame * frame].reshape(-1, frame) if x.size >= frame else np.zeros((1, 1))
    loudness = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-10)
    spread = float(np.percentile(loudness, 90) - np.percentile(loudness, 10)) if loudness.size > 1 else 0.0
    modulation = 0.0
    if loudness.size >= 50:
        envelope = np.abs(np.fft.rfft(loudness - loudness.mean())) ** 2
        rates = np.fft.rfftfreq(loudness.size, FRAME_S)
        moving = float(envelope[rates >= 0.5].sum()) or 1.0
        syllables = (rates >= SPEECH_SYLLABLES_HZ[0]) & (rates <= SPEECH_SYLLABLES_HZ[1])
        modulation = float(envelope[syllables].sum()) / moving

    hint: str | None = None
    if duration < MIN_DURATION_S:
        hint = TOO_SHORT
    elif dbfs < QUIET_DBFS:
        hint = TOO_QUIET
    elif clipped >= CLIP_SHARE:
        hint = CLIPPED
    elif low_share >= WIND_LOW_SHARE and low_flatness >= WIND_FLATNESS and spread >= WIND_GUSTS_DB:
        hint = WIND
    elif band_share >= SPEECH_BAND_SHARE and modulation >= SPEECH_MODULATION_SHARE and spread >= SPEECH_DEPTH_DB:
        hint = SPEECH
    return AudioQuality(
        duration_s=round(duration, 3),
        rms_dbfs=round(float(dbfs), 1),
        clipped_share=round(clipped, 4),
        low_share=round(low_share, 3),
        low_flatness=round(low_flatness, 3),
        speech_band_share=round(band_share, 3),
        syllable_modulation=round(modulation, 3),
        loudness_spread_db=round(spread, 1),
        hint=hint,
    )
