"""What a file really is, read from its first bytes rather than from its name.

The one sniffer: uploads (diagnostics, garage photos) and the `diagnose` CLI all ask it, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

SNIFF_BYTES = 16
DASHBOARD = "dashboard"
ENGINE_SOUND = "engine_sound"


@dataclass(frozen=True, slots=True)
class MediaKind:
    content_type: str
    extension: str

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_audio(self) -> bool:
        return self.content_type.startswith("audio/")

    @property
    def model_kind(self) -> str:
        """Which model reads this kind of file: ``dashboard`` for photos, ``engine_sound`` for recordings."""
        return DASHBOARD if self.is_image else ENGINE_SOUND


JPEG = MediaKind("image/jpeg", "jpg")
PNG = MediaKind("image/png", "png")
WEBP = MediaKind("image/webp", "webp")
WAV = MediaKind("audio/wav", "wav")
MP3 = MediaKind("audio/mpeg", "mp3")
AAC = MediaKind("audio/aac", "aac")
OGG = MediaKind("audio/ogg", "ogg")
FLAC = MediaKind("audio/flac", "flac")
MP4_AUDIO = MediaKind("audio/mp4", "m4a")
PDF = MediaKind("application/pdf", "pdf")


def sniff(head: bytes) -> MediaKind | None:
    """The kind of file these leading bytes start, among the formats we accept; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head[4:8] == b"ftyp":
        # Phones record AAC in an MP4 container (M4A, 3GP); the brand does not change how it decodes.
        return MP4_AUDIO
    if head.startswith(b"ID3"):
        return MP3
    if len(head) >= 2 and head[0] == 0xFF:
        # Both are frame syncs of eleven set bits; ADTS (raw AAC) has layer bits 00, MP3 never does.
        if head[1] & 0xF6 == 0xF0:
            return AAC
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
            return MP3
    return None


def sniff_file(file: BinaryIO) -> MediaKind | None:
    """Sniff an open file without moving its position."""
    position = file.tell()
    try:
        return sniff(file.read(SNIFF_BYTES))
    finally:
        file.seek(position)
