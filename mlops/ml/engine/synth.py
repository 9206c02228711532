"""Procedural non-engine sounds: the negatives that teach the model to answer "unknown".

Users will upload silence, talk over the engine, or record the radio. We have no such recordings, so we
synthesise them: near-silence, coloured noise, tones, formant-synthesised speech and babble, and simple
music. Every generator draws from one ``torch.Generator`` so a seed reproduces the same sounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torchaudio.functional as AF

Generator = Callable[[torch.Generator, int, int], torch.Tensor]

# (F1, F2, F3) in Hz for adult vowels; enough spread to cover i, e, a, o, u and the schwa.
VOWEL_FORMANTS: tuple[tuple[float, float, float], ...] = (
    (270, 2290, 3010),
    (390, 1990, 2550),
    (530, 1840, 2480),
    (660, 1720, 2410),
    (730, 1090, 2440),
    (570, 840, 2410),
    (440, 1020, 2240),
    (300, 870, 2240),
    (500, 1500, 2500),
)


def _u(gen: torch.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=gen))


def _i(gen: torch.Generator, lo: int, hi: int) -> int:
    """An integer in [lo, hi]."""
    return int(torch.randint(lo, hi + 1, (), generator=gen))


def _pick(gen: torch.Generator, items: Sequence[float]) -> float:
    return items[_i(gen, 0, len(items) - 1)]


def at_level(x: torch.Tensor, dbfs: float) -> torch.Tensor:
    """Scale to an RMS level in dBFS."""
    rms = x.pow(2).mean().sqrt().clamp_min(1e-12)
    return x * (10.0 ** (dbfs / 20.0) / rms)


def coloured_noise(gen: torch.Generator, n: int, sr: int, exponent: float) -> torch.Tensor:
    """Noise with power falling as 1/f**exponent: 0 white, 1 pink, 2 brown."""
    spec = torch.fft.rfft(torch.randn(n, generator=gen))
    freqs = torch.fft.rfftfreq(n, 1.0 / sr).clamp_min(20.0)
    spec = spec * freqs.pow(-exponent / 2.0)
    return at_level(torch.fft.irfft(spec, n=n), -20.0)


def _bandpass_noise(gen: torch.Generator, n: int, sr: int, lo: float, hi: float) -> torch.Tensor:
    spec = torch.fft.rfft(torch.randn(n, generator=gen))
    freqs = torch.fft.rfftfreq(n, 1.0 / sr)
    spec = spec * ((freqs >= lo) & (freqs <= hi)).float()
    return at_level(torch.fft.irfft(spec, n=n), -20.0)


def _smooth_curve(gen: torch.Generator, n: int, points: int, lo: float, hi: float) -> torch.Tensor:
    """A slowly varying random curve, for intonation, tempo drift or noise modulation."""
    knots = lo + (hi - lo) * torch.rand(points, generator=gen)
    return torch.nn.functional.interpolate(knots.view(1, 1, -1), size=n, mode="linear", align_corners=True)[0, 0]


# Partial amplitudes change slowly, so they are computed every _CONTROL samples and interpolated: the
# formant arithmetic then costs 1/32 of what it would per sample, which keeps the negative pool quick.
_CONTROL = 32


def _control(x: torch.Tensor) -> torch.Tensor:
    """A per-sample curve decimated to the control rate the amplitude callbacks work at."""
    return x[..., ::_CONTROL]


def _harmonic_sum(
    f0: torch.Tensor, sr: int, amplitude: Callable[[torch.Tensor, int], torch.Tensor], max_k: int
) -> torch.Tensor:
    """Additive synthesis: sum_k amplitude(k*f0, k) * sin(k*phase), dropping partials above Nyquist.

    ``amplitude`` receives the partial's frequency at the control rate (see ``_control``).
    """
    n = f0.shape[0]
    phase = 2.0 * math.pi * torch.cumsum(f0, dim=0) / sr
    f0_c = _control(f0)
    nyquist = 0.45 * sr
    amps, ks = [], []
    for k in range(1, max_k + 1):
        fk = k * f0_c
        if float(fk.min()) > nyquist:
            break
        amps.append(torch.broadcast_to(amplitude(fk, k), fk.shape) * (fk < nyquist).float())
        ks.append(k)
    if not ks:
        return torch.zeros(n)
    curves = torch.nn.functional.interpolate(torch.stack(amps).unsqueeze(0), size=n, mode="linear", align_corners=True)[
        0
    ]
    # sin(k*phase) by the Chebyshev recurrence sin(k x) = 2 cos(x) sin((k-1) x) - sin((k-2) x): two
    # multiply-adds per partial instead of a sine, and exact enough over 80 partials in float64.
    phase = phase.to(torch.float64)
    two_cos = 2.0 * torch.cos(phase)
    previous, current = torch.zeros_like(phase), torch.sin(phase)
    out = torch.zeros_like(phase)
    for k in range(1, ks[-1] + 1):
        if k > 1:
            previous, current = current, two_cos * current - previous
        out += curves[k - 1].to(torch.float64) * current
    return out.to(f0.dtype)


def silence(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """Digital silence, a quiet room, or a microphone's hiss and mains hum."""
    kind = _i(gen, 0, 3)
    if kind == 0:
        return torch.zeros(n)
    x = coloured_noise(gen, n, sr, _u(gen, 0.0, 2.0))
    if kind == 3:
        t = torch.arange(n) / sr
        mains = _pick(gen, (50.0, 60.0))
        hum = sum(torch.sin(2 * math.pi * mains * h * t + _u(gen, 0, 6.3)) / h for h in (1, 2, 3, 5))
        x = x + at_level(hum, _u(gen, -30.0, -15.0))
    return at_level(x, _u(gen, -90.0, -50.0))


def noise(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """Steady or gusting noise: wind, rain, a fan, traffic far away."""
    kind = _i(gen, 0, 2)
    if kind == 0:
        x = coloured_noise(gen, n, sr, _u(gen, 0.0, 2.5))
    elif kind == 1:
        lo = _u(gen, 50.0, 2000.0)
        x = _bandpass_noise(gen, n, sr, lo, min(lo * _u(gen, 1.5, 8.0), 0.49 * sr))
    else:
        x = coloured_noise(gen, n, sr, _u(gen, 1.0, 2.5)) * _smooth_curve(gen, n, _i(gen, 3, 12), 0.1, 1.0)
    return at_level(x, _u(gen, -45.0, -10.0))


def tones(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """Sines, chords of sines, sweeps, square waves and beeping alarms."""
    t = torch.arange(n) / sr
    kind = _i(gen, 0, 4)
    if kind == 0:
        x = sum(torch.sin(2 * math.pi * _u(gen, 60.0, 5000.0) * t) for _ in range(_i(gen, 1, 3)))
    elif kind == 1:
        f = torch.exp(torch.linspace(math.log(_u(gen, 50.0, 3000.0)), math.log(_u(gen, 50.0, 6000.0)), n))
        x = torch.sin(2 * math.pi * torch.cumsum(f, 0) / sr)
    elif kind == 2:
        f0 = torch.full((n,), _u(gen, 80.0, 1500.0))
        odd_only = _i(gen, 0, 1) == 1
        x = _harmonic_sum(f0, sr, lambda fk, k: torch.tensor(0.0 if odd_only and k % 2 == 0 else 1.0 / k), 60)
    elif kind == 3:
        period = _u(gen, 0.15, 1.0)
        gate = ((t % period) < period * _u(gen, 0.2, 0.7)).float()
        x = torch.sin(2 * math.pi * _u(gen, 400.0, 4000.0) * t) * gate
    else:
        x = torch.sin(2 * math.pi * _u(gen, 600.0, 1000.0) * t) + torch.sin(2 * math.pi * _u(gen, 1200, 1700) * t)
        x = x * ((t % 0.2) < 0.1).float()
    return at_level(x, _u(gen, -40.0, -8.0))


def _voice(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """One talker: voiced syllables with moving formants, pauses and fricatives."""
    base_f0 = _u(gen, 85.0, 260.0)
    f0 = base_f0 * _smooth_curve(gen, n, _i(gen, 4, 10), 0.8, 1.25) * torch.linspace(1.1, 0.9, n)
    f0 = f0 * (1.0 + 0.01 * torch.randn(n, generator=gen).cumsum(0).clamp(-3, 3) / 3.0)

    # Syllables: voiced stretches of 80-300 ms, each gliding towards a new vowel, with short gaps.
    voiced = torch.zeros(n)
    formants = torch.zeros(3, n)
    pos = _i(gen, 0, sr // 10)
    current = torch.tensor(_pick_vowel(gen))
    fricatives = torch.zeros(n)
    while pos < n:
        length = int(sr * _u(gen, 0.08, 0.3))
        gap = int(sr * _u(gen, 0.02, 0.2))
        end = min(n, pos + length)
        target = torch.tensor(_pick_vowel(gen))
        glide = torch.linspace(0.0, 1.0, end - pos).unsqueeze(0)
        formants[:, pos:end] = current.unsqueeze(1) * (1 - glide) + target.unsqueeze(1) * glide
        envelope = torch.sin(torch.linspace(0.0, math.pi, end - pos)).clamp_min(0.0).sqrt()
        voiced[pos:end] = envelope
        current = target
        if _u(gen, 0, 1) < 0.4 and gap > sr // 50:
            fend = min(n, end + gap)
            fricatives[end:fend] = torch.hann_window(fend - end, periodic=False) * _u(gen, 0.2, 0.6)
        pos = end + gap
    formants[:, voiced == 0] = 500.0
    formants_c = _control(formants)

    tilt = _u(gen, 1.0, 1.6)
    bandwidths = (80.0, 100.0, 140.0)

    def amplitude(fk: torch.Tensor, k: int) -> torch.Tensor:
        env = torch.zeros_like(fk)
        for j, bw in enumerate(bandwidths):
            env = env + (1.0 / (j + 1)) / (1.0 + ((fk - formants_c[j]) / bw).pow(2))
        return env / (k**tilt) * 4.0

    x = _harmonic_sum(f0, sr, amplitude, 80) * voiced
    hiss = _bandpass_noise(gen, n, sr, _u(gen, 2500.0, 4500.0), 0.49 * sr) * fricatives
    breath = coloured_noise(gen, n, sr, 1.0) * voiced * _u(gen, 0.0, 0.15)
    return x / x.abs().max().clamp_min(1e-6) + 0.5 * hiss + breath


def _pick_vowel(gen: torch.Generator) -> tuple[float, float, float]:
    scale = _u(gen, 0.9, 1.2)  # shorter vocal tracts (women, children) raise every formant
    f1, f2, f3 = VOWEL_FORMANTS[_i(gen, 0, len(VOWEL_FORMANTS) - 1)]
    return (f1 * scale, f2 * scale, f3 * scale)


def speech(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """A talker, or a few talking at once (babble), sometimes over room noise."""
    talkers = 1 if _u(gen, 0, 1) < 0.6 else _i(gen, 2, 6)
    x = sum(at_level(_voice(gen, n, sr), _u(gen, -26.0, -20.0)) for _ in range(talkers))
    if _u(gen, 0, 1) < 0.5:
        x = x + at_level(coloured_noise(gen, n, sr, _u(gen, 0.5, 2.0)), _u(gen, -60.0, -35.0))
    return at_level(x, _u(gen, -40.0, -10.0))


def _note_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _instrument_note(gen: torch.Generator, n: int, sr: int, hz: float, kind: int) -> torch.Tensor:
    t = torch.arange(n) / sr
    f0 = torch.full((n,), hz)
    if kind == 0:  # plucked or struck string: bright attack, upper partials die first
        decay = _u(gen, 1.5, 6.0)
        t_c = _control(t)
        x = _harmonic_sum(f0, sr, lambda fk, k: torch.exp(-decay * k**0.7 * t_c) / k, 30)
    elif kind == 1:  # organ or pad: steady partials, soft attack and release
        x = _harmonic_sum(f0, sr, lambda fk, k: torch.tensor(1.0 / k if k in (1, 2, 3, 4, 6, 8) else 0.0), 8)
        x = x * (1 - torch.exp(-t / 0.02))
    elif kind == 2:  # flute-like sine with vibrato
        vib = 1 + 0.006 * torch.sin(2 * math.pi * _u(gen, 4.0, 6.5) * t)
        x = _harmonic_sum(f0 * vib, sr, lambda fk, k: torch.tensor(1.0 / k**2), 4) * (1 - torch.exp(-t / 0.05))
    else:  # brass or synth lead: saw-like
        x = _harmonic_sum(f0, sr, lambda fk, k: torch.tensor(1.0 / k), 40) * (1 - torch.exp(-t / 0.01))
    release = torch.ones(n)
    tail = min(n, int(0.03 * sr))
    release[n - tail :] = torch.linspace(1.0, 0.0, tail)
    return x * release


def _drums(gen: torch.Generator, n: int, sr: int, beat: int) -> torch.Tensor:
    out = torch.zeros(n)
    step = max(1, beat // 2)
    for i, start in enumerate(range(_i(gen, 0, step), n, step)):
        length = min(n - start, int(0.25 * sr))
        t = torch.arange(length) / sr
        if i % 4 == 0:
            sweep = 50.0 + 100.0 * torch.exp(-t / 0.03)
            hit = torch.sin(2 * math.pi * torch.cumsum(sweep, 0) / sr) * torch.exp(-t / 0.08)
        elif i % 4 == 2:
            body = torch.sin(2 * math.pi * 190.0 * t) * 0.5
            hit = (torch.randn(length, generator=gen) * 0.8 + body) * torch.exp(-t / 0.05)
        else:
            hiss = _bandpass_noise(gen, length, sr, 6000.0, 0.49 * sr) if length > 16 else torch.zeros(length)
            hit = hiss * torch.exp(-t / 0.015) * 0.3
        out[start : start + length] += hit
    return out


def music(gen: torch.Generator, n: int, sr: int) -> torch.Tensor:
    """A melody, chords, a bass line and drums in a random key and tempo, in random combinations."""
    beat = int(sr * 60.0 / _u(gen, 70.0, 170.0))
    root = _i(gen, 45, 60)
    scale = (0, 2, 4, 5, 7, 9, 11) if _u(gen, 0, 1) < 0.6 else (0, 2, 3, 5, 7, 8, 10)
    parts = _i(gen, 1, 7)  # a bit mask: melody, chords, drums
    x = torch.zeros(n)
    if parts & 1:
        kind = _i(gen, 0, 3)
        pos = 0
        while pos < n:
            length = min(n - pos, beat * _i(gen, 1, 2) // _i(gen, 1, 2))
            if length < 32:
                break
            degree = _i(gen, 0, 13)
            midi = root + 12 + scale[degree % 7] + 12 * (degree // 7)
            x[pos : pos + length] += _instrument_note(gen, length, sr, _note_hz(midi), kind)
            pos += length
    if parts & 2:
        kind = _i(gen, 0, 3)
        pos = 0
        while pos < n:
            length = min(n - pos, beat * _i(gen, 2, 4))
            if length < 32:
                break
            degree = _i(gen, 0, 6)
            for third in (0, 2, 4):
                d = degree + third
                midi = root + scale[d % 7] + 12 * (d // 7)
                x[pos : pos + length] += 0.5 * _instrument_note(gen, length, sr, _note_hz(midi), kind)
            x[pos : pos + length] += 0.6 * _instrument_note(gen, length, sr, _note_hz(root - 12 + scale[degree]), 0)
            pos += length
    if parts & 4 or not parts & 3:
        x = x + 0.7 * x.abs().max().clamp_min(0.3) * _drums(gen, n, sr, beat)
    return at_level(x, _u(gen, -35.0, -8.0))


def reverberate(gen: torch.Generator, x: torch.Tensor, sr: int) -> torch.Tensor:
    """Convolve with a synthetic room: exponentially decaying noise after a direct path."""
    rt60 = _u(gen, 0.1, 0.8)
    length = int(sr * rt60)
    t = torch.arange(length) / sr
    ir = torch.randn(length, generator=gen) * torch.exp(-6.9 * t / rt60) * _u(gen, 0.05, 0.4)
    ir[0] = 1.0
    wet = AF.fftconvolve(x, ir)[: x.shape[0]]
    return at_level(wet, float(20 * torch.log10(x.pow(2).mean().sqrt().clamp_min(1e-12))))


CATEGORIES: dict[str, Generator] = {
    "silence": silence,
    "noise": noise,
    "tones": tones,
    "speech": speech,
    "music": music,
}


def negative(gen: torch.Generator, n: int, sr: int, category: str | None = None) -> tuple[torch.Tensor, str]:
    """One non-engine sound, from a named category or a random one, sometimes in a reverberant room."""
    names = list(CATEGORIES)
    name = category if category is not None else names[_i(gen, 0, len(names) - 1)]
    x = CATEGORIES[name](gen, n, sr)
    if name != "silence" and _u(gen, 0, 1) < 0.4:
        x = reverberate(gen, x, sr)
    return x.to(torch.float32), name
