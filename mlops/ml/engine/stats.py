"""Models over summary statistics of one log-mel window: the baseline and the richer model we ship.

- ``mean``: each band's mean level, with the window's overall level removed (64 numbers). With logistic
  regression on top this is the baseline that issue 11 measured beside the CNN.
- ``rich``: the same means, each band's spread over time, its mean frame-to-frame change, and a modulation
  spectrum of eight band groups (how their envelopes pulse from 1 to 50 Hz: engine firing, ticking, grinding).

Both run inside ``StatsNet``, an ``nn.Module`` from log-mel windows to logits, so the classifier treats it like
any other network and the standardisation travels in its state_dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import Tensor, nn

FEATURE_SETS = ("mean", "rich")
MOD_GROUPS = 8
# Modulation-frequency bin edges in Hz for a 10 ms frame hop; log-spaced, as pulsing is heard in ratios.
MOD_EDGES_HZ = (1.0, 2.0, 3.5, 5.5, 8.0, 12.0, 17.0, 24.0, 33.0, 50.1)


FRAMES = 101  # a 1 s window at a 10 ms hop: what StatsNet's fixed bases are built for


@dataclass(frozen=True)
class ModulationBasis:
    """A Hann-windowed DFT restricted to the bins that the modulation bands use, and the band averages.

    The spectrum is two matrix products (cos and sin parts) rather than ``torch.fft.rfft``: the ONNX exporter
    cannot express an FFT, and only 49 of the 51 bins of a 101-frame window fall in a band, so a plain MatMul is
    also no slower. ``bands`` averages the magnitudes of each band's bins (a band with no bin, as in very
    short windows, is a column of zeros, so it contributes zeros rather than NaN).
    """

    cos: Tensor  # (frames, bins)
    sin: Tensor  # (frames, bins)
    bands: Tensor  # (bins, bands)


@lru_cache(maxsize=8)
def modulation_basis(frames: int, frame_rate: float = 100.0) -> ModulationBasis:
    # Built in float64 and rounded once, so the bases are the same on every machine and for every caller.
    n = torch.arange(frames, dtype=torch.float64)
    freqs = torch.arange(frames // 2 + 1, dtype=torch.float64) * frame_rate / frames
    edges = torch.tensor(MOD_EDGES_HZ, dtype=torch.float64)
    band_of = torch.bucketize(freqs, edges, right=True) - 1  # bin -> band index; -1 or len(bands) when outside
    used = (band_of >= 0) & (band_of < len(MOD_EDGES_HZ) - 1)
    k = torch.nonzero(used).squeeze(1).to(torch.float64)
    # torch.hann_window's default is the periodic window, which is what the v2 weights were trained with.
    hann = torch.hann_window(frames, dtype=torch.float64)
    angle = 2 * torch.pi * n[:, None] * k[None, :] / frames
    bands = torch.zeros(int(used.sum()), len(MOD_EDGES_HZ) - 1, dtype=torch.float64)
    bands[torch.arange(bands.shape[0]), band_of[used]] = 1.0
    bands = bands / bands.sum(dim=0, keepdim=True).clamp_min(1.0)
    return ModulationBasis(
        cos=(hann[:, None] * torch.cos(angle)).float(),
        sin=(hann[:, None] * torch.sin(angle)).float(),
        bands=bands.float(),
    )


def window_statistics(
    logmel_db: Tensor, feature_set: str, frame_rate: float = 100.0, basis: ModulationBasis | None = None
) -> Tensor:
    """(batch, 1, mels, frames) dB -> (batch, features).

    ``basis`` is the modulation DFT for this many frames; StatsNet passes the copy it holds as buffers, so that
    a traced or exported graph carries it as constants.
    """
    x = logmel_db.squeeze(1)
    mean = x.mean(dim=-1)
    level = mean.mean(dim=-1, keepdim=True)
    if feature_set == "mean":
        return mean - level
    if feature_set != "rich":
        raise ValueError(f"Unknown feature set {feature_set!r}.")
    spread = x.std(dim=-1)
    change = (x[..., 1:] - x[..., :-1]).abs().mean(dim=-1)
    b, m, t = x.shape
    if basis is None:
        basis = modulation_basis(t, frame_rate)
    groups = x[:, : m - m % MOD_GROUPS].reshape(b, MOD_GROUPS, -1, t).mean(dim=2)
    envelope = groups - groups.mean(dim=-1, keepdim=True)
    real = envelope @ basis.cos.to(x.dtype)
    imag = envelope @ basis.sin.to(x.dtype)
    spectrum = torch.sqrt(real * real + imag * imag)
    modulation = torch.log1p(spectrum @ basis.bands.to(x.dtype)).reshape(b, -1)
    return torch.cat([mean - level, spread, change, modulation], dim=1)


def feature_count(feature_set: str, n_mels: int, frames: int = FRAMES) -> int:
    return int(window_statistics(torch.zeros(1, 1, n_mels, frames), feature_set).shape[1])


class StatsNet(nn.Module):
    """Log-mel window -> statistics -> standardised -> logistic regression (hidden=0) or a one-layer MLP."""

    def __init__(self, n_classes: int, n_mels: int, feature_set: str = "rich", hidden: int = 0, dropout: float = 0.0):
        super().__init__()
        self.feature_set = feature_set
        n = feature_count(feature_set, n_mels)
        self.register_buffer("center", torch.zeros(n))
        self.register_buffer("scale", torch.ones(n))
        # Not persistent: fixed by the window length, so the shipped state_dicts stay as they are.
        basis = modulation_basis(FRAMES)
        self.register_buffer("mod_cos", basis.cos.clone(), persistent=False)
        self.register_buffer("mod_sin", basis.sin.clone(), persistent=False)
        self.register_buffer("mod_bands", basis.bands.clone(), persistent=False)
        if hidden:
            self.head: nn.Module = nn.Sequential(
                nn.Dropout(dropout), nn.Linear(n, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)
            )
        else:
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(n, n_classes))

    def statistics(self, logmel_db: Tensor) -> Tensor:
        basis: ModulationBasis | None = None
        # While tracing (the ONNX export) the frame count is the example's, FRAMES; a window of another length
        # (a caller's own framing) gets bases of its own size.
        if torch.jit.is_tracing() or logmel_db.shape[-1] == FRAMES:
            basis = ModulationBasis(cos=self.mod_cos, sin=self.mod_sin, bands=self.mod_bands)
        return (window_statistics(logmel_db, self.feature_set, basis=basis) - self.center) / self.scale

    def fit_standardisation(self, statistics: Tensor) -> None:
        self.center.copy_(statistics.mean(dim=0))
        self.scale.copy_(statistics.std(dim=0).clamp_min(1e-4))

    def forward_statistics(self, standardised: Tensor) -> Tensor:
        return self.head(standardised)

    def forward(self, logmel_db: Tensor) -> Tensor:
        return self.head(self.statistics(logmel_db))
