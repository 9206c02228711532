"""Findings over time: every code heard over a stretch of a recording, with its span and confidence.

The first tests drive ``EngineSoundClassifier.findings`` with window probabilities made by hand, under the
shipped v2 decision rule. The next ones train the project's recipe on generated engines (see
``generated_engine``) and ask it about generated clips and mixtures it never heard: data-free, and honest
about what they prove (the recipe and the rules, not the shipped weights on real cars). The last ones use real
Avanza chunks joined together, through the shipped model, and skip where the data is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from mlops.ml.engine import UNKNOWN, EngineSoundClassifier, load_audio
from mlops.ml.engine.classifier import Candidate
from tests.mlops.generated_engine import GENERATED, RATE, engine_like, trained_classifier
from tests.mlops.test_engine_core import formant_speech, melody

REPO = Path(__file__).resolve().parents[2]
V2 = REPO / "mlops" / "artifacts" / "engine_sound-v2"
DATA_DIR = Path(os.environ.get("CARDOC_DATA_DIR", REPO.parent / "shared" / "data"))
needs_recordings = pytest.mark.skipif(not (DATA_DIR / "engine").is_dir(), reason="the real recordings are not present")


@pytest.fixture(scope="module")
def v2() -> EngineSoundClassifier:
    torch.set_num_threads(1)
    return EngineSoundClassifier.load(V2)


@pytest.fixture(scope="module")
def generated() -> EngineSoundClassifier:
    torch.set_num_threads(1)
    return trained_classifier(seed=0)


def _windows(v2: EngineSoundClassifier, *parts: tuple[str, int]) -> tuple[torch.Tensor, list[tuple[float, float]]]:
    """Window probabilities for runs of (code, windows): each window sure of its code (0.95, the rest unknown)."""
    codes = [code for code, count in parts for _ in range(count)]
    probs = torch.zeros(len(codes), len(v2.classes))
    for i, code in enumerate(codes):
        probs[i, v2.classes.index(code)] = 0.95 if code != UNKNOWN else 1.0
        probs[i, v2.classes.index(UNKNOWN)] += 0.05 if code != UNKNOWN else 0.0
    spans = [(0.5 * i, 0.5 * i + 1.0) for i in range(len(codes))]
    return probs, spans


def _codes(findings: tuple) -> list[str]:  # type: ignore[type-arg]
    return [f.code for f in findings]


# The rule, on probabilities made by hand


def test_a_fault_after_healthy_idle_is_the_finding_over_its_own_span(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("normal_idle", 5), ("water_pump", 6))
    _, _, candidates = v2.decide_clip(probs, torch.ones(len(spans)))

    findings = v2.findings(probs, torch.ones(len(spans)), spans, candidates)

    assert _codes(findings) == ["water_pump"]
    (pump,) = findings
    assert (pump.start_s, pump.end_s) == (2.5, 6.0)
    assert pump.confidence == pytest.approx(0.95)


def test_two_faults_in_one_recording_are_both_findings_each_with_its_span(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("water_pump", 4), ("alternator", 6))

    findings = v2.findings(probs, torch.ones(len(spans)), spans, ())

    assert {f.code: (f.start_s, f.end_s) for f in findings} == {"water_pump": (0.0, 2.5), "alternator": (2.0, 5.5)}


def test_a_whole_healthy_recording_is_one_normal_idle_finding(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("normal_idle", 9))
    _, _, candidates = v2.decide_clip(probs, torch.ones(9))

    assert [(f.code, f.start_s, f.end_s) for f in v2.findings(probs, torch.ones(9), spans, candidates)] == [
        ("normal_idle", 0.0, 5.0)
    ]


@pytest.mark.parametrize(
    "parts",
    [
        (("normal_idle", 4), ("water_pump", 1), ("normal_idle", 4)),  # one window: a passing noise
        (("normal_idle", 4), ("water_pump", 2), ("normal_idle", 4)),  # 1.5 s: shorter than a stretch
        (("unknown", 3), ("exhaust_leak", 2), ("unknown", 3)),
    ],
    ids=["one-window", "two-windows", "two-windows-in-noise"],
)
def test_a_fault_in_too_few_windows_is_no_finding(
    v2: EngineSoundClassifier, parts: tuple[tuple[str, int], ...]
) -> None:
    probs, spans = _windows(v2, *parts)
    _, _, candidates = v2.decide_clip(probs, torch.ones(len(spans)))

    assert not set(_codes(v2.findings(probs, torch.ones(len(spans)), spans, candidates))) - {"normal_idle"}


def test_a_stretch_the_clip_rule_would_refuse_is_no_finding(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("normal_idle", 4), ("water_pump", 4))
    # The pump's windows each lean to it, but as a stretch P(unknown) is 0.3: the v2 rule abstains above 0.1.
    probs[4:, v2.classes.index("water_pump")] = 0.4
    probs[4:, v2.classes.index("alternator")] = 0.3
    probs[4:, v2.classes.index(UNKNOWN)] = 0.3

    findings = v2.findings(probs, torch.ones(8), spans, ())

    assert "water_pump" not in _codes(findings)


def test_a_close_second_code_with_no_window_of_its_own_spans_the_clip(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("water_pump", 5))
    candidates = (Candidate("water_pump", 0.55), Candidate("alternator", 0.4))

    findings = {f.code: f for f in v2.findings(probs, torch.ones(5), spans, candidates)}

    assert set(findings) == {"water_pump", "alternator"}
    assert (findings["alternator"].start_s, findings["alternator"].end_s) == (0.0, 3.0)
    assert findings["alternator"].confidence == 0.4
    # The pump holds a stretch: its confidence is the stretch's, not the clip mean's.
    assert findings["water_pump"].confidence == pytest.approx(0.95)


def test_silent_windows_never_make_a_finding(v2: EngineSoundClassifier) -> None:
    probs, spans = _windows(v2, ("water_pump", 6))
    weights = torch.zeros(6)

    assert v2.findings(probs, weights, spans, ()) == ()


# The recipe, trained on generated engines in the test


@pytest.mark.parametrize("code", GENERATED)
@pytest.mark.parametrize("seed", [9001, 9002])
def test_a_known_class_is_not_unknown_on_a_clean_generated_example_of_it(
    generated: EngineSoundClassifier, code: str, seed: int
) -> None:
    verdict = generated.classify(engine_like(code, 5.0, seed), RATE)

    assert verdict.code == code
    assert _codes(verdict.findings) == [code]
    assert verdict.findings[0].confidence >= 0.5


@pytest.mark.parametrize(
    "waveform",
    [
        torch.zeros(5 * RATE),
        0.05 * torch.randn(5 * RATE, generator=torch.Generator().manual_seed(3)),
        melody(6.0, RATE),
        formant_speech(6.0, RATE),
    ],
    ids=["silence", "white-noise", "melody", "speech"],
)
def test_the_same_model_still_refuses_what_is_not_an_engine(
    generated: EngineSoundClassifier, waveform: torch.Tensor
) -> None:
    # Without this, a model that names a code for everything would pass the test above.
    verdict = generated.classify(waveform, RATE)

    assert verdict.code == UNKNOWN
    assert verdict.findings == ()


def test_three_seconds_of_idle_then_a_failing_water_pump_reports_the_pump_with_its_span(
    generated: EngineSoundClassifier,
) -> None:
    mixture = torch.cat([engine_like("normal_idle", 3.0, 9101), engine_like("water_pump", 3.0, 9102)])

    verdict = generated.classify(mixture, RATE)

    assert _codes(verdict.findings) == ["water_pump"]
    (pump,) = verdict.findings
    # The window that starts at 2.5 s holds half a second of pump; no window wholly before 3 s is the pump.
    assert 2.0 <= pump.start_s <= 3.0
    assert pump.end_s == pytest.approx(6.0)


def test_a_recording_with_two_faults_reports_both(generated: EngineSoundClassifier) -> None:
    mixture = torch.cat([engine_like("water_pump", 3.0, 9201), engine_like("alternator", 3.0, 9202)])

    findings = {f.code: f for f in generated.classify(mixture, RATE).findings}

    assert set(findings) == {"water_pump", "alternator"}
    assert findings["water_pump"].start_s == 0.0 and findings["water_pump"].end_s <= 4.0
    assert findings["alternator"].start_s >= 2.0 and findings["alternator"].end_s == pytest.approx(6.0)


# Real Avanza chunks joined together, through the shipped model


def _chunks(code: str, first: int, count: int) -> torch.Tensor:
    paths = sorted((DATA_DIR / "engine" / code).glob("avanza_*.wav"))[first : first + count]
    return torch.cat([load_audio(p)[0] for p in paths])


@needs_recordings
@pytest.mark.parametrize("fault", ["water_pump", "idler_pulley", "alternator"])
def test_real_idle_then_a_real_fault_reports_the_fault_after_the_idle(v2: EngineSoundClassifier, fault: str) -> None:
    recording = torch.cat([_chunks("normal_idle", 40, 3), _chunks(fault, 10, 3)])

    findings = {f.code: f for f in v2.classify(recording, RATE).findings}

    assert fault in findings
    assert "normal_idle" not in findings
    assert findings[fault].start_s >= 2.0
    assert findings[fault].end_s == pytest.approx(6.0)
