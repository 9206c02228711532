"""Training-time augmentation: make one car's recordings look like many phones in many engine bays.

The held-back later chunks of the same recordings, and users' phones, differ from our training chunks in
level, microphone colour, background and engine speed; each augmentation below imitates one of those.
"""

from __future__ import annotations

import math

import torch
import torchaudio.functional as AF

from mlops.ml.engine.synth import at_level, coloured_noise


def _u(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=gen))


def _chance(gen: torch.Generator, p: float) -> bool:
    return float(torch.rand((), generator=gen)) < p


def crop(gen: torch.Generator, x: torch.Tensor, n: int) -> torch.Tensor:
    """A random n-sample slice: a small time shift of the window against the engine cycle."""
    if x.shape[0] <= n:
        return x.repeat(math.ceil(n / x.shape[0]))[:n]
    start = int(torch.randint(0, x.shape[0] - n + 1, (), generator=gen))
    return x[start : start + n]


def change_speed(gen: torch.Generator, x: torch.Tensor, max_change: float) -> torch.Tensor:
    """Play faster or slower by up to ``max_change``: pitch and rhythm move together, as with engine RPM."""
    # Rates of ~100 keep the resampling kernel tiny; 1% steps are fine enough.
    new = round(100 * (1.0 + _u(gen, -max_change, max_change)))
    if new == 100:
        return x
    return AF.resample(x, 100, new, lowpass_filter_width=8)


def level_and_clip(gen: torch.Generator, x: torch.Tensor, clip_chance: float) -> torch.Tensor:
    """Record at a random level; sometimes too hot, so the recorder clips."""
    if _chance(gen, clip_chance):
        x = at_level(x, _u(gen, -14.0, -4.0))
        return x.clamp(-1.0, 1.0)
    return at_level(x, _u(gen, -45.0, -8.0))


def add_at_snr(x: torch.Tensor, other: torch.Tensor, snr_db: float) -> torch.Tensor:
    """Mix ``other`` under ``x`` so that x is ``snr_db`` louder."""
    x_level = 10.0 * torch.log10(x.pow(2).mean().clamp_min(1e-20))
    return x + at_level(other, float(x_level) - snr_db)


def engine_sample(
    gen: torch.Generator, pair: torch.Tensor, backgrounds: torch.Tensor, window: int, sr: int
) -> torch.Tensor:
    """One augmented engine window from two consecutive chunks and a pool of non-engine sounds."""
    x = pair
    if _chance(gen, 0.7):
        x = change_speed(gen, x, 0.06)
    x = crop(gen, x, window)
    if _chance(gen, 0.5):
        x = -x
    x = level_and_clip(gen, x, clip_chance=0.1)
    if _chance(gen, 0.5):
        x = add_at_snr(x, coloured_noise(gen, window, sr, _u(gen, 0.0, 2.0)), _u(gen, 15.0, 45.0))
    if _chance(gen, 0.25):
        # Someone talks, or the radio plays, while the engine runs: the answer is still the engine.
        other = crop(gen, backgrounds[int(torch.randint(0, backgrounds.shape[0], (), generator=gen))], window)
        if other.pow(2).mean() > 1e-10:
            x = add_at_snr(x, other, _u(gen, 6.0, 25.0))
    return x


def negative_sample(gen: torch.Generator, pool: torch.Tensor, window: int, sr: int) -> torch.Tensor:
    """One augmented non-engine window from the pool."""
    x = crop(gen, pool[int(torch.randint(0, pool.shape[0], (), generator=gen))], window)
    if _chance(gen, 0.2):
        other = crop(gen, pool[int(torch.randint(0, pool.shape[0], (), generator=gen))], window)
        x = x + other * _u(gen, 0.2, 1.0)
    if _chance(gen, 0.3):
        x = x * 10.0 ** (_u(gen, -10.0, 10.0) / 20.0)
    if _chance(gen, 0.05):
        x = at_level(x, _u(gen, -14.0, -4.0)).clamp(-1.0, 1.0)
    if _chance(gen, 0.3) and x.pow(2).mean() > 1e-10:
        x = add_at_snr(x, coloured_noise(gen, window, sr, _u(gen, 0.0, 2.0)), _u(gen, 10.0, 40.0))
    return x


def spectral(
    gen: torch.Generator,
    logmel: torch.Tensor,
    top_db: float,
    eq_db: float = 6.0,
    band_limit_chance: float = 0.12,
) -> torch.Tensor:
    """Microphone colour, band limits and SpecAugment masks on a batch of log-mel windows (b, 1, m, t)."""
    b, _, m, t = logmel.shape
    out = logmel.clone()
    pos = torch.linspace(-1.0, 1.0, m)
    for i in range(b):
        if _chance(gen, 0.8):
            # A smooth random tilt and bump across the mel axis, up to about eq_db: another microphone,
            # placed elsewhere in the engine bay.
            tilt = _u(gen, -eq_db, eq_db) * pos
            bump = _u(gen, -0.6 * eq_db, 0.6 * eq_db) * torch.cos(math.pi * pos * _u(gen, 0.5, 2.0))
            out[i, 0] += (tilt + bump).unsqueeze(1)
        if _chance(gen, band_limit_chance):
            # A narrow-band phone codec: a soft roll-off above a cutoff somewhere in the upper half.
            cutoff = int(_u(gen, 0.55, 0.9) * m)
            slope = _u(gen, 1.0, 6.0)
            out[i, 0, cutoff:] -= slope * torch.arange(1, m - cutoff + 1, dtype=out.dtype).unsqueeze(1)
        if _chance(gen, 0.5):
            width = int(_u(gen, 1, 8))
            start = int(_u(gen, 0, m - width))
            out[i, 0, start : start + width] = out[i, 0].mean()
        if _chance(gen, 0.5):
            width = int(_u(gen, 1, 20))
            start = int(_u(gen, 0, t - width))
            out[i, 0, :, start : start + width] = out[i, 0].mean()
        floor = out[i].amax() - top_db
        out[i] = torch.maximum(out[i], floor)
    return out
