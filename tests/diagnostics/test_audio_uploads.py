"""Recordings at POST /api/v1/diagnostics: every format phones send is accepted, and a file that would decode to
gigabytes is refused from its header alone, before anything is stored."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from rest_framework.test import APIClient

from accounts.models import User
from cardoc.models import AuditEvent
from diagnostics.models import DiagnosticRecord
from mlops.ml.engine import encode_audio
from tests.diagnostics.conftest import stored_files
from tests.diagnostics.media_factory import upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/diagnostics"


def hum(seconds: float, rate: int) -> torch.Tensor:
    t = torch.arange(round(seconds * rate)) / rate
    return 0.3 * torch.sin(2 * math.pi * 120 * t) + 0.1 * torch.sin(2 * math.pi * 840 * t)


def flac_announcing(seconds: float, rate: int, layout: str) -> bytes:
    """Silence as FLAC: a few kilobytes that announce ``seconds`` of audio at ``rate`` in ``layout``."""
    buffer = io.BytesIO()
    channels = av.AudioLayout(layout).nb_channels
    with av.open(buffer, mode="w", format="flac") as out:
        stream = out.add_stream("flac", rate=rate, layout=layout)
        block = np.zeros((1, channels * 4608), dtype=np.int16)
        for start in range(0, round(seconds * rate), 4608):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout=layout)
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "rate", "stored"),
    [
        ("flac", 44100, "flac"),
        ("mp3", 44100, "mp3"),
        ("m4a", 48000, "m4a"),
        ("ogg", 22050, "ogg"),
        ("opus", 48000, "ogg"),
    ],
)
def test_it_accepts_each_format_a_phone_sends(
    fmt: str, rate: int, stored: str, driver: User, client_for: Callable[[User], APIClient], private_media: Path
) -> None:
    data = encode_audio(hum(3.0, rate), rate, fmt)

    response = client_for(driver).post(
        URL, {"diagnostic_type": "engine_sound", "audio": upload(f"engine.{fmt}", data)}, format="multipart"
    )

    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    record = DiagnosticRecord.objects.get()
    assert [p.name for p in stored_files(private_media)] == [f"{record.pk}.{stored}"]


@pytest.mark.parametrize(
    ("rate", "layout", "message"),
    [(384000, "7.1", "384 kHz"), (96000, "stereo", "96 kHz"), (44100, "5.1", "6 channels")],
)
def test_a_recording_that_would_decode_to_gigabytes_is_refused_from_its_header(
    rate: int,
    layout: str,
    message: str,
    driver: User,
    client_for: Callable[[User], APIClient],
    private_media: Path,
) -> None:
    # Issue 14, defect 12: 33 KB of FLAC announcing 60 s at 384 kHz in 8 channels (about 1.5 GB decoded).
    data = flac_announcing(60.0 if rate == 384000 else 2.0, rate, layout)

    response = client_for(driver).post(
        URL, {"diagnostic_type": "engine_sound", "audio": upload("engine.flac", data)}, format="multipart"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["fields"]["audio"][0]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []
    assert not AuditEvent.objects.filter(action="diagnostic").exists()


def test_a_truncated_ogg_is_refused(driver: User, client_for: Callable[[User], APIClient], private_media: Path) -> None:
    data = encode_audio(hum(4.0, 22050), 22050, "ogg")

    response = client_for(driver).post(
        URL,
        {"diagnostic_type": "engine_sound", "audio": upload("engine.ogg", data[: len(data) * 3 // 4])},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "truncated" in response.json()["error"]["fields"]["audio"][0]
    assert not DiagnosticRecord.objects.exists()
    assert stored_files(private_media) == []
