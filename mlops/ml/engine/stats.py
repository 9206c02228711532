"""Models over summary statistics of one log-mel window: the baseline and the richer model we ship.

- ``mean``: each band's mean level, with the window's overall level removed (64 numbers). With logistic
  regression on top this is the baseline that issue 11 measured beside the CNN.
- ``rich``: the same means, each band's spread over time, its mean frame-to-frame change, and a modulation
  spectrum of eight band groups (how their envelopes pulse from 1 to 50 Hz: engine firing, ticking, grinding).

Both run inside ``StatsNet``, an ``nn.Module`` from log-mel windows to logits, so the classifier treats it like
any other network and the standardisation travels in its state_dict.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import Tensor, nn

FEATURE_SETS = ("mean", "rich")
MOD_GROUPS = 8
# Modulation-frequency bin edges in Hz for a 10 ms frame hop; log-spaced, as pulsing is heard in ratios.
MOD_EDGES_HZ = (1.0, 2.0, 3.5, 5.5, 8.0, 12.0, 17.0, 24.0, 33.0, 50.1)


def window_statistics(logmel_db: Tensor, feature_set: str, frame_rate: float = 100.0) -> Tensor:
    """(batch, 1, mels, frames) dB -> (batch, features)."""
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
    groups = x[:, : m - m % MOD_GROUPS].reshape(b, MOD_GROUPS, -1, t).mean(dim=2)
    envelope = groups - groups.mean(dim=-1, keepdim=True)
    spectrum = torch.fft.rfft(envelope * torch.hann_window(t, dtype=x.dtype), dim=-1).abs()
    freqs = torch.fft.rfftfreq(t, 1.0 / frame_rate)
    bands = []
    for lo, hi in pairwise(MOD_EDGES_HZ):
        mask = (freqs >= lo) & (freqs < hi)
        # An empty band (very short windows) contributes zeros rather than NaN.
        bands.append(spectrum[..., mask].mean(dim=-1) if mask.any() else spectrum[..., 0] * 0)
    modulation = torch.log1p(torch.stack(bands, dim=-1)).reshape(b, -1)
    return torch.cat([mean - level, spread, change, modulation], dim=1)


def feature_count(feature_set: str, n_mels: int, frames: int = 101) -> int:
    return int(window_statistics(torch.zeros(1, 1, n_mels, frames), feature_set).shape[1])


class StatsNet(nn.Module):
    """Log-mel window -> statistics -> standardised -> logistic regression (hidden=0) or a one-layer MLP."""

    def __init__(self, n_classes: int, n_mels: int, feature_set: str = "rich", hidden: int = 0, dropout: float = 0.0):
        super().__init__()
        self.feature_set = feature_set
        n = feature_count(feature_set, n_mels)
        self.register_buffer("center", torch.zeros(n))
        self.register_buffer("scale", torch.ones(n))
        if hidden:
            self.head: nn.Module = nn.Sequential(
                nn.Dropout(dropout), nn.Linear(n, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)
            )
        else:
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(n, n_classes))

    def statistics(self, logmel_db: Tensor) -> Tensor:
        return (window_statistics(logmel_db, self.feature_set) - self.center) / self.scale

    def fit_standardisation(self, statistics: Tensor) -> None:
        self.center.copy_(statistics.mean(dim=0))
        self.scale.copy_(statistics.std(dim=0).clamp_min(1e-4))

    def forward_statistics(self, standardised: Tensor) -> Tensor:
        return self.head(standardised)

    def forward(self, logmel_db: Tensor) -> Tensor:
        return self.head(self.statistics(logmel_db))
