"""The engine-sound model v2 (``mlops/artifacts/engine_sound-v2``): its artefact, its abstention and its verdicts.

The first tests need nothing but the bundled artefact; those marked ``needs_recordings`` use the real data
and skip where it is absent. The shipped weights were fitted on every real recording, so tests on real audio
are regression checks of the shipped model, not accuracy claims (metrics.json holds the held-out figures).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
import torch
import torchaudio.functional as AF

from mlops.artifacts import artifact_sha256
from mlops.ml.engine import UNKNOWN, EngineSoundClassifier, encode_audio, load_audio
from mlops.ml.engine.classifier import Calibration
from mlops.ml.engine.corpus import CLASSES, OFFERED_CODES
from tests.mlops.test_engine_core import formant_speech, melody

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "mlops" / "artifacts" / "engine_sound-v2"
DATA_DIR = Path(os.environ.get("CARDOC_DATA_DIR", REPO.parent / "shared" / "data"))
needs_recordings = pytest.mark.skipif(
    not (DATA_DIR / "engine_multi").is_dir(), reason="the real recordings are not present"
)


@pytest.fixture(scope="module")
def classifier() -> EngineSoundClassifier:
    torch.set_num_threads(1)
    return EngineSoundClassifier.load(ARTIFACTS)


def chunks(code: str, first: int, count: int) -> torch.Tensor:
    paths = sorted((DATA_DIR / "engine" / code).glob("avanza_*.wav"))[first : first + count]
    return torch.cat([load_audio(p)[0] for p in paths])


# The artefact


def test_the_artefact_is_complete_and_checksummed() -> None:
    config = json.loads((ARTIFACTS / "config.json").read_text())

    assert (ARTIFACTS / "SHA256").read_text().strip() == artifact_sha256(ARTIFACTS)
    assert config["kind"] == "engine_sound"
    assert config["trained_at"]
    # The decision rule travels with the weights: v2 abstains on P(unknown), v1 on its best code.
    assert config["calibration"]["rule"] == "engine_mass"
    assert tuple(config["classes"]) == CLASSES
    assert {"exhaust_leak", "brake_grinding", "water_pump"} <= set(config["classes"])
    assert (ARTIFACTS / "weights.pt").stat().st_size < 1024 * 1024
    assert (ARTIFACTS / "confusion.png").stat().st_size > 1000


def test_metrics_carry_the_headline_confusion_in_the_shared_shape() -> None:
    # The admin heatmap reads exactly this: labels, an int matrix with rows true and columns predicted.
    metrics = json.loads((ARTIFACTS / "metrics.json").read_text())
    confusion = metrics["confusion"]
    labels, matrix = confusion["labels"], confusion["matrix"]

    assert labels == list(CLASSES)
    assert len(matrix) == len(labels)
    assert all(len(row) == len(labels) and all(isinstance(v, int) for v in row) for row in matrix)
    total = sum(map(sum, matrix))
    assert total == metrics["headline_windows"]
    assert metrics["accuracy"] == pytest.approx(sum(matrix[i][i] for i in range(len(labels))) / total, abs=1e-4)
    # The baseline was measured on the same split, beside the model.
    assert 0 <= metrics["baseline_accuracy"] <= 1
    assert metrics["validation"]["leaks"] == []


# Abstention


@pytest.mark.parametrize(
    "waveform",
    [
        torch.zeros(5 * 16000),
        1e-4 * torch.randn(5 * 16000, generator=torch.Generator().manual_seed(1)),
        0.05 * torch.randn(5 * 16000, generator=torch.Generator().manual_seed(2)),
        melody(6.0, 16000),
        formant_speech(6.0, 16000),
    ],
    ids=["silence", "near-silence", "white-noise", "melody", "speech"],
)
def test_it_answers_unknown_for_sounds_that_are_not_an_engine(
    classifier: EngineSoundClassifier, waveform: torch.Tensor
) -> None:
    verdict = classifier.classify(waveform, 16000)

    assert verdict.code == UNKNOWN
    assert verdict.candidates == ()
    assert 0.0 <= verdict.confidence <= 1.0


def test_it_answers_unknown_for_speech_recorded_by_a_phone_at_44k(classifier: EngineSoundClassifier) -> None:
    speech = AF.resample(formant_speech(4.0, 16000), 16000, 44100)
    waveform, rate = load_audio(encode_audio(torch.stack([speech, 0.8 * speech]), 44100, "m4a"))

    assert classifier.classify(waveform, rate).code == UNKNOWN


# Whole-clip verdicts and close second codes


def test_the_clip_verdict_names_a_close_second_code_with_its_confidence() -> None:
    model = EngineSoundClassifier.load(ARTIFACTS)
    index = {code: i for i, code in enumerate(model.classes)}
    probs = torch.zeros(4, len(model.classes))
    # Two windows sound like a water pump, two like an alternator: the clip is one of the two.
    probs[:2, index["water_pump"]], probs[:2, index["alternator"]] = 0.6, 0.35
    probs[2:, index["water_pump"]], probs[2:, index["alternator"]] = 0.4, 0.55
    probs[:, index[UNKNOWN]] = 1 - probs.sum(dim=1)

    code, confidence, candidates = model.decide_clip(probs, torch.ones(4))

    assert code == "water_pump"
    assert [(c.code, c.confidence) for c in candidates] == [("water_pump", 0.5), ("alternator", 0.45)]
    assert confidence == 0.5


def test_a_clear_clip_names_one_code_and_an_abstention_names_none() -> None:
    model = EngineSoundClassifier.load(ARTIFACTS)
    index = {code: i for i, code in enumerate(model.classes)}
    clear = torch.zeros(3, len(model.classes))
    clear[:, index["exhaust_leak"]], clear[:, index["water_pump"]], clear[:, index[UNKNOWN]] = 0.9, 0.05, 0.05
    refused = torch.zeros(3, len(model.classes))
    refused[:, index["exhaust_leak"]], refused[:, index[UNKNOWN]] = 0.02, 0.98

    assert [c.code for c in model.decide_clip(clear, torch.ones(3))[2]] == ["exhaust_leak"]
    assert model.decide_clip(refused, torch.ones(3))[0] == UNKNOWN
    assert model.decide_clip(refused, torch.ones(3))[2] == ()


def test_the_verdict_weighs_the_whole_clip_not_its_loudest_window() -> None:
    model = EngineSoundClassifier.load(ARTIFACTS)
    index = {code: i for i, code in enumerate(model.classes)}
    probs = torch.zeros(5, len(model.classes))
    # One window is sure of idler_pulley; four are nearly as sure of alternator.
    probs[0, index["idler_pulley"]] = 0.99
    probs[1:, index["alternator"]] = 0.92
    probs[:, index[UNKNOWN]] = 1 - probs.sum(dim=1)

    assert model.decide_clip(probs, torch.ones(5))[0] == "alternator"


def test_an_old_model_keeps_its_own_decision_rule() -> None:
    assert Calibration().rule == "best"
    v1 = EngineSoundClassifier.load(REPO / "mlops" / "artifacts" / "engine_sound")
    assert v1.calibration.rule == "best"
    assert v1.classify(torch.zeros(16000), 16000).code == UNKNOWN


# Real recordings (regression checks on the shipped weights)


@needs_recordings
@pytest.mark.parametrize("code", ["normal_idle", "ac_compressor", "idler_pulley", "alternator", "worn_bearing"])
def test_a_clean_phone_recording_of_a_known_avanza_fault_is_named_not_refused(
    classifier: EngineSoundClassifier, code: str
) -> None:
    # Five seconds of the real recording, resampled to 44.1 kHz stereo and sent as a phone's M4A.
    clip = AF.resample(chunks(code, 10, 5), 16000, 44100)
    waveform, rate = load_audio(encode_audio(torch.stack([clip, clip]), 44100, "m4a"))

    verdict = classifier.classify(waveform, rate)

    assert verdict.code == code
    assert verdict.confidence >= 0.3


@needs_recordings
@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("exhaust_leak", "yeomyeom_hole_in_muffler_02.wav"),
        ("brake_grinding", "yeomyeom_bad_brake_pad_04.wav"),
        ("water_pump", "yeomyeom_failing_water_pump_02.wav"),
    ],
)
def test_a_multi_car_fault_recording_is_not_refused(classifier: EngineSoundClassifier, code: str, name: str) -> None:
    waveform, rate = load_audio(DATA_DIR / "engine_multi" / code / name)

    verdict = classifier.classify(waveform, rate)

    assert verdict.code != UNKNOWN
    assert code in [c.code for c in verdict.candidates]


def test_every_offered_code_is_a_catalog_code() -> None:
    seed = json.loads((REPO / "catalog" / "seed" / "catalog.json").read_text())
    assert set(OFFERED_CODES) <= {row["code"] for row in seed["engine_sounds"]}


def test_a_ten_second_clip_gives_a_timeline_of_every_window(classifier: EngineSoundClassifier) -> None:
    t = torch.arange(10 * 16000) / 16000
    verdict = classifier.classify(0.2 * torch.sin(2 * math.pi * 90 * t), 16000)

    assert len(verdict.windows) == 19
    assert verdict.windows[0].start_s == 0.0
    assert verdict.windows[-1].end_s == pytest.approx(10.0)
