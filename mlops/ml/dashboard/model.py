"""The crop classifier: a small CNN that names the tell-tale in a candidate box, or calls it background."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

BACKGROUND = "background"


def _conv(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SymbolNet(nn.Module):
    """Four stride-2 stages on a small RGB crop: ~100 crops classified in a few ms on two CPU threads."""

    def __init__(self, num_classes: int, channels: Sequence[int] = (16, 32, 64, 128), dropout: float = 0.1) -> None:
        super().__init__()
        c0, c1, c2, c3 = channels
        self.features = nn.Sequential(
            *_conv(3, c0, 2),
            *_conv(c0, c1, 2),
            *_conv(c1, c1),
            *_conv(c1, c2, 2),
            *_conv(c2, c2),
            *_conv(c2, c3, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(c3, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
