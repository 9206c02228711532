"""Kept for callers above cardoc that import the sniffer from here; the one sniffer lives in ``cardoc.sniff``.

It moved down so that the directory (below mlops) checks garage photos with the very same code.
"""

from __future__ import annotations

from cardoc.sniff import (
    AAC,
    DASHBOARD,
    ENGINE_SOUND,
    FLAC,
    JPEG,
    MP3,
    MP4_AUDIO,
    OGG,
    PNG,
    SNIFF_BYTES,
    WAV,
    WEBP,
    MediaKind,
    sniff,
    sniff_file,
)

__all__ = [
    "AAC",
    "DASHBOARD",
    "ENGINE_SOUND",
    "FLAC",
    "JPEG",
    "MP3",
    "MP4_AUDIO",
    "OGG",
    "PNG",
    "SNIFF_BYTES",
    "WAV",
    "WEBP",
    "MediaKind",
    "sniff",
    "sniff_file",
]
