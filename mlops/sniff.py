"""Tell a photo from a recording by its first bytes, never by the file name."""

from __future__ import annotations

DASHBOARD = "dashboard"
ENGINE_SOUND = "engine_sound"


def sniff_kind(head: bytes) -> str | None:
    """``dashboard`` for JPEG/PNG/WebP, ``engine_sound`` for WAV/FLAC/OGG/MP3/M4A, else None."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return DASHBOARD
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ENGINE_SOUND
    if head.startswith((b"fLaC", b"OggS", b"ID3")) or head[4:8] == b"ftyp":
        return ENGINE_SOUND
    # An MP3 without an ID3 tag starts straight with a frame sync: eleven set bits.
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return ENGINE_SOUND
    return None
