"""Waveform conditioning and log-mel features, shared by training and inference so they cannot drift apart."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torchaudio.functional as AF
from torch import nn
from torchaudio import transforms as T


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Everything that turns a waveform into model input; stored in config.json beside the weights."""

    sample_rate: int = 16000
    window_s: float = 1.0
    hop_s: float = 0.5
    n_fft: int = 512
    hop_length: int = 160
    n_mels: int = 64
    f_min: float = 20.0
    f_max: float = 8000.0
    top_db: float = 80.0
    # Phones record the same engine anywhere from -45 to -10 dBFS, so every window is brought to one RMS
    # level; the cap stops near-silence being blown up into loud noise.
    target_rms: float = 0.1
    max_gain_db: float = 40.0
    # Below this a window carries no usable sound: it is reported as "unknown" without asking the model.
    silence_dbfs: float = -60.0
    # Samples at or above this magnitude are treated as clipped by the recorder.
    clip_level: float = 0.999

    @property
    def window_samples(self) -> int:
        return round(self.window_s * self.sample_rate)

    @property
    def hop_samples(self) -> int:
        return round(self.hop_s * self.sample_rate)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class Windows:
    """A clip cut into analysis windows, each conditioned independently."""

    audio: torch.Tensor  # (n, window_samples), DC removed and loudness normalised
    starts_s: tuple[float, ...]
    ends_s: tuple[float, ...]
    level_dbfs: torch.Tensor  # (n,) RMS level before normalisation
    clipped_fraction: torch.Tensor  # (n,) share of samples the recorder clipped
    audible_fraction: torch.Tensor  # (n,) share of the window's 10 ms frames above the silence level


def to_model_rate(waveform: torch.Tensor, sample_rate: int, cfg: FeatureConfig) -> torch.Tensor:
    """Mix down to mono and resample to the model's rate."""
    if waveform.ndim == 2:
        waveform = waveform.mean(dim=0)
    if waveform.ndim != 1:
        raise ValueError(f"Expected a 1-D or (channels, samples) waveform, got shape {tuple(waveform.shape)}.")
    waveform = waveform.to(torch.float32)
    if sample_rate != cfg.sample_rate:
        waveform = AF.resample(waveform, sample_rate, cfg.sample_rate)
    return waveform


def rms_dbfs(audio: torch.Tensor) -> torch.Tensor:
    """RMS level of each row in dB relative to full scale."""
    rms = audio.pow(2).mean(dim=-1).sqrt()
    return 20.0 * torch.log10(rms.clamp_min(1e-10))


def condition(audio: torch.Tensor, cfg: FeatureConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Remove DC and normalise the loudness of each row; returns the audio and its level before gain.

    We work in float and never clip back to [-1, 1], so normalisation cannot add distortion; clipping that
    the recorder already did is measured separately and handled by augmentation and window weighting.
    """
    audio = audio - audio.mean(dim=-1, keepdim=True)
    level = rms_dbfs(audio)
    gain_db = (20.0 * math.log10(cfg.target_rms) - level).clamp(max=cfg.max_gain_db)
    gain = torch.pow(10.0, gain_db / 20.0).unsqueeze(-1)
    return audio * gain, level


def split_windows(waveform: torch.Tensor, cfg: FeatureConfig) -> Windows:
    """Cut a model-rate mono waveform into overlapping windows that together cover the whole clip.

    A clip shorter than one window is looped to fill it, which keeps its spectrum (zero padding would add
    silence the model never saw). The last window is aligned to the clip's end so no tail is left out.
    """
    n = waveform.shape[-1]
    if n == 0:
        raise ValueError("The waveform is empty.")
    win, hop = cfg.window_samples, cfg.hop_samples
    if n <= win:
        repeats = math.ceil(win / n)
        frames = waveform.repeat(repeats)[:win].unsqueeze(0)
        starts = [0]
        spans = [(0.0, n / cfg.sample_rate)]
    else:
        starts = list(range(0, n - win + 1, hop))
        if starts[-1] + win < n:
            starts.append(n - win)
        frames = torch.stack([waveform[s : s + win] for s in starts])
        spans = [(s / cfg.sample_rate, (s + win) / cfg.sample_rate) for s in starts]
    clipped = (frames.abs() >= cfg.clip_level).float().mean(dim=-1)
    frame = max(1, cfg.sample_rate // 100)
    usable = frames[:, : frames.shape[1] // frame * frame].reshape(frames.shape[0], -1, frame)
    audible = (rms_dbfs(usable - usable.mean(dim=-1, keepdim=True)) >= cfg.silence_dbfs).float().mean(dim=-1)
    audio, level = condition(frames, cfg)
    return Windows(
        audio=audio,
        starts_s=tuple(round(a, 4) for a, _ in spans),
        ends_s=tuple(round(b, 4) for _, b in spans),
        level_dbfs=level,
        clipped_fraction=clipped,
        audible_fraction=audible,
    )


# A window this much sound or more is whole; one that is partly digital silence (a recording's first moments,
# a gap) has statistics that no engine has, so it votes only when the clip has no whole window.
WHOLE_WINDOW = 0.9


def vote_weights(windows: Windows, cfg: FeatureConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Which windows are silent (never asked), and how much each other window counts in the clip's verdict.

    Windows the recorder clipped hard count for less: clipping smears energy across the spectrum.
    """
    silent = windows.level_dbfs < cfg.silence_dbfs
    weights = (1.0 - 2.0 * windows.clipped_fraction).clamp(0.25, 1.0) * (~silent).float()
    whole = windows.audible_fraction >= WHOLE_WINDOW
    if (whole & ~silent).any():
        weights = weights * whole.float()
    return silent, weights


class LogMel(nn.Module):
    """Log-mel spectrogram in dB: (batch, samples) -> (batch, 1, n_mels, frames)."""

    def __init__(self, cfg: FeatureConfig) -> None:
        super().__init__()
        self.mel = T.MelSpectrogram(
            sample_rate=cfg.sample_rate,
            n_fft=cfg.n_fft,
            hop_length=cfg.hop_length,
            n_mels=cfg.n_mels,
            f_min=cfg.f_min,
            f_max=cfg.f_max,
            power=2.0,
        )
        # top_db is applied per window below, not by AmplitudeToDB, which would clamp against the loudest
        # window of the whole batch and so make one window's features depend on its neighbours.
        self.to_db = T.AmplitudeToDB(stype="power", top_db=None)
        self.top_db = cfg.top_db

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        db = self.to_db(self.mel(audio))
        floor = db.amax(dim=(-2, -1), keepdim=True) - self.top_db
        return torch.maximum(db, floor).unsqueeze(1)
