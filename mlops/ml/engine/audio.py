"""Decoding of user recordings into a mono float waveform, with the limits the product promises.

PyAV (the ``av`` wheel, which bundles its own FFmpeg libraries) reads every container we accept, so no system
``ffmpeg`` is needed. Two entry points share one set of checks:

- ``probe_audio`` is for the upload request: it reads the header, budgets the decode, demuxes every packet
  (cheap: nothing is decoded) to prove the stream is whole, and decodes only the first packets to prove the
  codec works;
- ``load_audio`` is for the worker: it decodes the whole stream once, frame by frame, mixing down to mono as it
  goes, so memory stays at one mono float per sample whatever the file's channel count.
"""

from __future__ import annotations

import io
import math
import pathlib
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import av
import numpy as np
import torch
from av.audio.stream import AudioStream
from av.container import InputContainer

from mlops.ml.errors import MediaError

MIN_DURATION_S = 0.5
MAX_DURATION_S = 60.0
# Phones record at 8-48 kHz, mono or stereo. Anything beyond is refused before decoding: a 33 KB FLAC of
# 60 s at 384 kHz and 8 channels would otherwise decode to 1.5 GB of samples.
MAX_SAMPLE_RATE = 48_000
MAX_CHANNELS = 2
# AAC and MP3 encoders pad a few frames of priming and trailing silence, so a 60 s phone recording can decode
# to 60.05 s; without this slack we would reject the very clips the limit is meant to allow.
CODEC_PADDING_S = 0.25
# A header that promises more audio than the stream holds means the upload was cut short. MP3 headers without
# a Xing/VBRI table, and raw ADTS AAC, only estimate the duration from the bit rate, hence the generous ratio
# for those two; every other container we accept states its length exactly.
TRUNCATION_RATIO = 0.85
ESTIMATED_LENGTH_FORMATS = frozenset({"mp3", "aac"})
# Uploads pass through a size-checking validator first; this only stops a pathological file-like object.
MAX_INPUT_BYTES = 200 * 1024 * 1024
# The request decodes this much audio to prove the codec can read the stream; the worker decodes the rest.
PROBE_DECODE_S = 1.0

TRUNCATED = "The recording is truncated: it holds less audio than its header announces."
NOT_AUDIO = "The file is not a supported audio recording."
DAMAGED = "The recording is damaged or truncated and cannot be decoded."

AudioSource = bytes | pathlib.Path | BinaryIO


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What an upload's container says about its audio, checked against our limits."""

    sample_rate: int
    channels: int
    codec: str
    header_s: float | None  # the duration the container announces, when it announces one
    duration_s: float  # the duration its packets (probe) or its decoded samples (load) actually hold


def _as_source(data: AudioSource) -> bytes | pathlib.Path:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif isinstance(data, pathlib.Path):
        if not data.is_file():
            raise MediaError(f"No audio file at {data}.")
        return data
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


def _wav_is_truncated(source: bytes | pathlib.Path) -> bool:
    """Whether a WAV holds fewer bytes than its RIFF header declares: an upload cut short.

    The demuxer derives a WAV's duration from the bytes present, so a cut WAV would just decode as a shorter
    clip; only the RIFF size can tell. Other containers are judged by their own headers.
    """
    head = _head(source, 12)
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    declared = int.from_bytes(head[4:8], "little")
    # Recorders that stream cannot know the length in advance and write 0 or the maximum instead.
    if declared in (0, 0xFFFFFFFF):
        return False
    # One byte of slack: a writer may count the pad byte after an odd-sized chunk without writing it.
    return declared + 8 > size + 1


def _head(source: bytes | pathlib.Path, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[:size]
    with source.open("rb") as file:
        return file.read(size)


def _tail(source: bytes | pathlib.Path, size: int) -> bytes:
    if isinstance(source, bytes):
        return source[-size:]
    with source.open("rb") as file:
        file.seek(max(0, source.stat().st_size - size))
        return file.read()


def _ogg_is_truncated(source: bytes | pathlib.Path) -> bool:
    """Whether an OGG file lacks its closing page: an upload cut short.

    OGG carries no total length; the demuxer takes the duration from the last page present, so a cut file
    looks like a shorter whole one. Every writer ends a stream with a page flagged end-of-stream, and that
    page must end exactly where the file does.
    """
    if _head(source, 4) != b"OggS":
        return False
    # A page is at most 27 + 255 + 255 * 255 bytes long.
    tail = _tail(source, 27 + 255 + 255 * 255)
    at = tail.rfind(b"OggS")
    while at >= 0:
        if len(tail) - at >= 27:
            segments = tail[at + 26]
            table = tail[at + 27 : at + 27 + segments]
            if len(table) == segments and at + 27 + segments + sum(table) == len(tail):
                return not tail[at + 5] & 0x04
        # "OggS" inside a packet's payload; look further back for the real page start.
        at = tail.rfind(b"OggS", 0, at)
    return True


def _open(source: bytes | pathlib.Path) -> InputContainer:
    if _wav_is_truncated(source) or _ogg_is_truncated(source):
        raise MediaError(TRUNCATED)
    try:
        return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), mode="r")
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        # FFmpeg reports "invalid data", "no such demuxer" and the like alike; the caller only needs to know
        # that this is not a recording we can use.
        raise MediaError(NOT_AUDIO) from exc


def _stream(container: InputContainer) -> AudioStream:
    if not container.streams.audio:
        raise MediaError("The file holds no audio.")
    return container.streams.audio[0]


def _header_seconds(container: InputContainer, stream: AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _check_budget(stream: AudioStream) -> tuple[int, int]:
    """The stream's rate and channel count, refused above our limits before a single sample is decoded."""
    context = stream.codec_context
    rate, channels = int(context.sample_rate or 0), int(context.channels or 0)
    if rate <= 0:
        raise MediaError("The recording has no sample rate.")
    if channels <= 0:
        raise MediaError("The recording has no audio channels.")
    if rate > MAX_SAMPLE_RATE:
        raise MediaError(
            f"The recording's sample rate is {rate / 1000:g} kHz; please record at {MAX_SAMPLE_RATE // 1000} kHz "
            "or less."
        )
    if channels > MAX_CHANNELS:
        raise MediaError(f"The recording has {channels} channels; please send a mono or stereo recording.")
    return rate, channels


def _check_duration(seconds: float) -> None:
    if not math.isfinite(seconds) or seconds < MIN_DURATION_S:
        raise MediaError(f"The recording is too short: it must last at least {MIN_DURATION_S:g} s.")
    if seconds > MAX_DURATION_S + CODEC_PADDING_S:
        raise MediaError(f"The recording is too long: it must last at most {MAX_DURATION_S:g} s.")


def _mp3_has_length_table(source: bytes | pathlib.Path) -> bool:
    """Whether an MP3's first frame carries a Xing/Info or VBRI table, which states the exact frame count."""
    head = _head(source, 10)
    start = 0
    if head[:3] == b"ID3" and len(head) == 10:
        # The ID3v2 size is "syncsafe": seven bits per byte.
        start = 10 + sum((head[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
    frame = _head(source, start + 200)[start:]
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def _check_complete(
    seconds: float, header_s: float | None, container: InputContainer, source: bytes | pathlib.Path
) -> None:
    if header_s is None or header_s <= 0:
        return
    estimated = container.format.name in ESTIMATED_LENGTH_FORMATS
    if estimated and container.format.name == "mp3" and _mp3_has_length_table(source):
        estimated = False
    ratio = TRUNCATION_RATIO if estimated else 1.0
    if seconds < ratio * header_s - CODEC_PADDING_S:
        raise MediaError(TRUNCATED)


def _to_mono(frame: av.AudioFrame) -> np.ndarray:
    """One decoded frame as mono float32 in [-1, 1], whatever its sample format."""
    array = frame.to_ndarray()
    channels = max(1, frame.layout.nb_channels)
    if not frame.format.is_planar:
        # Packed formats interleave the channels in one row.
        array = array.reshape(-1, channels).T
    kind = array.dtype
    if kind == np.uint8:
        samples = (array.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(kind, np.integer):
        samples = array.astype(np.float32) / float(np.iinfo(kind).max + 1)
    else:
        samples = array.astype(np.float32)
    return samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]


def _inspect(container: InputContainer) -> tuple[AudioStream, int, int, float | None]:
    stream = _stream(container)
    rate, channels = _check_budget(stream)
    header_s = _header_seconds(container, stream)
    if header_s is not None:
        # Refuse an over-long file before spending time on it.
        _check_duration(header_s)
    return stream, rate, channels, header_s


def probe_audio(data: AudioSource) -> AudioInfo:
    """Check an upload without decoding it in full: header, limits, every packet present, the codec works.

    Cheap enough for the upload request; the worker's ``load_audio`` then decodes it once. Raises MediaError
    for anything the worker would refuse for its container, length, rate or channel count.
    """
    source = _as_source(data)
    with _open(source) as container:
        stream, rate, channels, header_s = _inspect(container)
        codec = stream.codec_context.name
        end = Fraction(0)
        decoded = 0
        try:
            for packet in container.demux(stream):
                if packet.pts is not None and packet.duration and packet.time_base is not None:
                    end = max(end, (packet.pts + packet.duration) * packet.time_base)
                if packet.size and decoded < PROBE_DECODE_S * rate:
                    decoded += sum(frame.samples for frame in packet.decode())
        except (av.FFmpegError, ValueError) as exc:
            raise MediaError(DAMAGED) from exc
        if decoded == 0:
            raise MediaError("The recording holds no audio samples.")
        seconds = float(end) if end > 0 else (header_s or 0.0)
        _check_complete(seconds, header_s, container, source)
    _check_duration(seconds)
    # Packets run on past the audio by the encoder's padding (up to a frame of 1,152 samples for MP3); the
    # header, where there is one, knows where the audio itself ends.
    heard = min(seconds, header_s) if header_s else seconds
    _check_duration(heard)
    return AudioInfo(rate, channels, codec, header_s, heard)


def probe_duration(data: AudioSource) -> float:
    """The duration that the container header announces, in seconds, without decoding the audio.

    Raises MediaError when the file is not audio, is outside our rate or channel limits, or announces no
    duration. It does not check the length limits (``probe_audio`` and ``load_audio`` do).
    """
    with _open(_as_source(data)) as container:
        stream = _stream(container)
        _check_budget(stream)
        seconds = _header_seconds(container, stream)
    if seconds is None:
        raise MediaError("The recording does not announce its duration.")
    return seconds


def load_audio(data: AudioSource) -> tuple[torch.Tensor, int]:
    """Decode a WAV, M4A/AAC, MP3, OGG or FLAC recording into a mono float32 waveform and its sample rate.

    The waveform is 1-D, with values in [-1, 1] at the file's own sample rate. A file object is read from
    its current position and, if seekable, left there. Raises MediaError for undecodable, truncated or
    unsupported input, for a duration outside 0.5-60 s, and above 48 kHz or 2 channels.
    """
    source = _as_source(data)
    with _open(source) as container:
        stream, rate, _, header_s = _inspect(container)
        # A header may lie about the length; decoding stops as soon as the samples pass the limit.
        budget = math.ceil((MAX_DURATION_S + CODEC_PADDING_S) * rate)
        pieces: list[np.ndarray] = []
        total = 0
        try:
            for frame in container.decode(stream):
                if frame.sample_rate != rate:
                    raise MediaError("The recording changes its sample rate part-way; please send another file.")
                mono = _to_mono(frame)
                pieces.append(mono)
                total += mono.shape[0]
                if total > budget:
                    raise MediaError(f"The recording is too long: it must last at most {MAX_DURATION_S:g} s.")
        except (av.FFmpegError, ValueError) as exc:
            if isinstance(exc, MediaError):
                raise
            raise MediaError(DAMAGED) from exc
        if total == 0:
            raise MediaError("The recording holds no audio samples.")
        seconds = total / rate
        _check_complete(seconds, header_s, container, source)
    _check_duration(seconds)
    mono = torch.from_numpy(np.concatenate(pieces))
    if not torch.isfinite(mono).all():
        raise MediaError("The recording contains invalid samples.")
    return mono.contiguous(), rate


# Encoders for the formats phones send, by container; the OGG default is Vorbis (FFmpeg's own encoder needs
# two channels, so mono is sent as two equal channels) and "opus" is Opus in OGG, as messaging apps send it.
_ENCODERS: dict[str, tuple[str, str]] = {
    "wav": ("wav", "pcm_s16le"),
    "flac": ("flac", "flac"),
    "ogg": ("ogg", "vorbis"),
    "opus": ("ogg", "libopus"),
    "mp3": ("mp3", "libmp3lame"),
    "m4a": ("ipod", "aac"),
}
ENCODE_FORMATS = tuple(_ENCODERS)


def encode_audio(waveform: torch.Tensor, sample_rate: int, fmt: str) -> bytes:
    """Encode a (samples,) or (channels, samples) float waveform in [-1, 1] as a file of format ``fmt``.

    For test media and benchmarks: PyAV writes every format we accept, so neither needs an ``ffmpeg`` binary.
    """
    container_format, codec = _ENCODERS[fmt]
    samples = waveform.detach().to(torch.float32).clamp(-1.0, 1.0)
    if samples.ndim == 1:
        samples = samples.unsqueeze(0)
    if codec == "vorbis" and samples.shape[0] == 1:
        samples = samples.repeat(2, 1)
    array = samples.numpy()
    layout = "mono" if array.shape[0] == 1 else "stereo"
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as out:
        # FFmpeg marks its native Vorbis encoder experimental; it is the one the wheel ships.
        options = {"strict": "experimental"} if codec == "vorbis" else {}
        stream = out.add_stream(codec, rate=sample_rate, layout=layout, options=options)
        sample_format = stream.codec_context.codec.audio_formats[0].name
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, array.shape[1], frame_size):
            block = np.ascontiguousarray(array[:, start : start + frame_size])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = start
            if sample_format != "fltp":
                frame = av.AudioResampler(format=sample_format, layout=layout, rate=sample_rate).resample(frame)[0]
                frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
