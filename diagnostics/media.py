"""What an uploaded file really is, read from its first bytes rather than from its name."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

IMAGE_MAX_BYTES = 15 * 1024 * 1024
AUDIO_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
SNIFF_BYTES = 16


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


JPEG = MediaKind("image/jpeg", "jpg")
PNG = MediaKind("image/png", "png")
WEBP = MediaKind("image/webp", "webp")
WAV = MediaKind("audio/wav", "wav")
MP3 = MediaKind("audio/mpeg", "mp3")
AAC = MediaKind("audio/aac", "aac")
OGG = MediaKind("audio/ogg", "ogg")
FLAC = MediaKind("audio/flac", "flac")
MP4_AUDIO = MediaKind("audio/mp4", "m4a")


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


def image_too_large(file: BinaryIO) -> bool:
    """Whether an image's header announces more than IMAGE_MAX_PIXELS, read without decoding any pixel.

    False when Pillow cannot read the header: the decoder then refuses the file with its own message.
    """
    position = file.tell()
    try:
        with warnings.catch_warnings():
            # Pillow warns from its own (higher) limit and raises at twice that; ours is stricter.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                return image.width * image.height > IMAGE_MAX_PIXELS
    except Image.DecompressionBombError:
        return True
    except (OSError, ValueError, SyntaxError, EOFError):
        return False
    finally:
        file.seek(position)


def wav_is_truncated(file: BinaryIO, size: int) -> bool:
    """Whether a WAV file holds fewer bytes than its RIFF header declares: an upload cut short.

    Decoders play PCM up to wherever the bytes stop, so a cut WAV just decodes as a shorter clip; only the
    header can tell. Other containers are left to the decoder.
    """
    position = file.tell()
    try:
        head = file.read(12)
    finally:
        file.seek(position)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    declared = int.from_bytes(head[4:8], "little")
    # Recorders that stream cannot know the length in advance and write 0 or the maximum instead.
    if declared in (0, 0xFFFFFFFF):
        return False
    # One byte of slack: a writer may count the pad byte after an odd-sized chunk without writing it.
    return declared + 8 > size + 1
