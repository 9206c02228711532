"""Decoding of user recordings into a mono float waveform, with the limits the product promises."""

from __future__ import annotations

import math
import pathlib
from typing import BinaryIO

import torch
from torchcodec.decoders import AudioDecoder

from mlops.ml.errors import MediaError

MIN_DURATION_S = 0.5
MAX_DURATION_S = 60.0
# AAC and MP3 encoders pad a few frames of priming and trailing silence, so a 60 s phone recording can decode
# to 60.05 s; without this slack we would reject the very clips the limit is meant to allow.
CODEC_PADDING_S = 0.25
# A header that promises much more audio than the stream holds means the upload was cut short. MP3 headers
# without a Xing/VBRI table only estimate the duration, hence the generous ratio.
TRUNCATION_RATIO = 0.85
# Uploads pass through a size-checking validator first; this only stops a pathological file-like object.
MAX_INPUT_BYTES = 200 * 1024 * 1024

TRUNCATED = "The recording is truncated: it holds less audio than its header announces."

AudioSource = bytes | pathlib.Path | BinaryIO


def _as_decoder_source(data: AudioSource) -> bytes | str:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif isinstance(data, pathlib.Path):
        if not data.is_file():
            raise MediaError(f"No audio file at {data}.")
        return str(data)
    elif hasattr(data, "read"):
        # Reading into memory keeps us independent of whether the object can seek (Django's uploaded
        # files can, a socket cannot); the size cap keeps that safe. A seekable stream is put back where
        # it was, so a validator and the analysis can both read the same upload.
        seekable = getattr(data, "seekable", lambda: False)()
        start = data.tell() if seekable else 0
        raw = data.read(MAX_INPUT_BYTES + 1)
        if seekable:
            data.seek(start)
        if not isinstance(raw, bytes | bytearray):
            raise MediaError("The audio stream must be opened in binary mode.")
        if len(raw) > MAX_INPUT_BYTES:
            raise MediaError("The recording is too large.")
        raw = bytes(raw)
    else:
        raise MediaError(f"Cannot read audio from a {type(data).__name__}.")
    if not raw:
        raise MediaError("The recording is empty.")
    return raw


def _wav_is_truncated(source: bytes | str) -> bool:
    """Whether a WAV holds fewer bytes than its RIFF header declares: an upload cut short.

    The decoder derives a WAV's duration from the bytes present, so a cut WAV would just decode as a shorter
    clip; only the RIFF size can tell. Other containers are judged by the decoder itself.
    """
    if isinstance(source, bytes):
        head, size = source[:12], len(source)
    else:
        path = pathlib.Path(source)
        with path.open("rb") as file:
            head = file.read(12)
        size = path.stat().st_size
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    declared = int.from_bytes(head[4:8], "little")
    # Recorders that stream cannot know the length in advance and write 0 or the maximum instead.
    if declared in (0, 0xFFFFFFFF):
        return False
    # One byte of slack: a writer may count the pad byte after an odd-sized chunk without writing it.
    return declared + 8 > size + 1


def _open(data: AudioSource) -> AudioDecoder:
    source = _as_decoder_source(data)
    if _wav_is_truncated(source):
        raise MediaError(TRUNCATED)
    try:
        decoder = AudioDecoder(source)
    except (RuntimeError, ValueError) as exc:
        # torchcodec reports "not a media file", "no audio stream" and "unsupported codec" alike as
        # RuntimeError/ValueError; the caller only needs to know it is not a recording we can use.
        raise MediaError("The file is not a supported audio recording.") from exc
    if not decoder.metadata.sample_rate:
        raise MediaError("The recording has no sample rate.")
    return decoder


def _check_duration(seconds: float) -> None:
    if not math.isfinite(seconds) or seconds < MIN_DURATION_S:
        raise MediaError(f"The recording is too short: it must last at least {MIN_DURATION_S:g} s.")
    if seconds > MAX_DURATION_S + CODEC_PADDING_S:
        raise MediaError(f"The recording is too long: it must last at most {MAX_DURATION_S:g} s.")


def probe_duration(data: AudioSource) -> float:
    """Return the duration announced by the container header, without decoding the audio.

    Cheap enough for an upload validator; it does not prove the stream is intact (``load_audio`` does).
    Raises MediaError when the file is not audio or announces no duration.
    """
    decoder = _open(data)
    seconds = decoder.metadata.duration_seconds_from_header
    if seconds is None:
        raise MediaError("The recording does not announce its duration.")
    return float(seconds)


def load_audio(data: bytes | pathlib.Path | BinaryIO) -> tuple[torch.Tensor, int]:
    """Decode a WAV, M4A/AAC, MP3, OGG or FLAC recording into a mono float32 waveform and its sample rate.

    The waveform is 1-D, with values in [-1, 1] at the file's own sample rate. A file object is read from
    its current position and, if seekable, left there. Raises MediaError for undecodable, truncated or
    unsupported input and for a duration outside 0.5-60 s.
    """
    decoder = _open(data)
    header_s = decoder.metadata.duration_seconds_from_header
    if header_s is not None:
        # Refuse an over-long file before spending time decoding it.
        _check_duration(float(header_s))
    try:
        samples = decoder.get_all_samples()
    except (RuntimeError, ValueError) as exc:
        raise MediaError("The recording is damaged or truncated and cannot be decoded.") from exc
    waveform = samples.data
    if waveform.ndim != 2 or waveform.shape[-1] == 0:
        raise MediaError("The recording holds no audio samples.")
    rate = int(samples.sample_rate)
    seconds = waveform.shape[-1] / rate
    if header_s is not None and header_s > 0 and seconds < TRUNCATION_RATIO * float(header_s) - CODEC_PADDING_S:
        raise MediaError(TRUNCATED)
    _check_duration(seconds)
    mono = waveform.to(torch.float32).mean(dim=0)
    if not torch.isfinite(mono).all():
        raise MediaError("The recording contains invalid samples.")
    return mono.contiguous(), rate
