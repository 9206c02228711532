"""Inference: turn a waveform into a timeline of window verdicts and one overall verdict."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mlops.ml.engine.features import FeatureConfig, LogMel, split_windows, to_model_rate, vote_weights
from mlops.ml.engine.model import EngineSoundNet
from mlops.ml.engine.stats import StatsNet
from mlops.ml.errors import MediaError

UNKNOWN = "unknown"
NORMAL = "normal_idle"
# Format 1: the first CNN (engine_sound v1). Format 2 adds the statistics models and close second codes.
CONFIG_FORMAT = 2
SUPPORTED_FORMATS = (1, 2)


@dataclass(frozen=True, slots=True)
class SoundWindow:
    """The verdict for one analysis window of the clip."""

    code: str
    confidence: float
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A code the clip may be, with its probability over the whole clip."""

    code: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Finding:
    """A code heard over a span of the clip, with its probability over that span."""

    code: str
    confidence: float
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class SoundVerdict:
    """The verdict for a whole clip, with the per-window timeline it was drawn from.

    ``candidates`` lists the codes the whole clip may be, best first: the verdict's own code (when it is not
    "unknown") and any other code close enough to it that naming only one would be a false certainty.
    ``findings`` lists every code heard, each over its span: the candidates, and any code that holds a stretch
    of the clip on its own (a fault heard after some healthy idle, which the whole clip's mean averages away).
    """

    code: str  # a taxonomy code or "unknown"
    confidence: float
    windows: tuple[SoundWindow, ...]
    candidates: tuple[Candidate, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Calibration:
    """Post-hoc settings fitted on held-out data after training."""

    temperature: float = 1.0
    # A window or clip whose best engine code is less probable than this is reported as "unknown".
    threshold: float = 0.5
    # A second code is returned beside the first when its clip probability is at least this share of the
    # first's (and at least ``second_min``). 1.0 turns it off (format 1 models).
    second_ratio: float = 1.0
    second_min: float = 0.2
    # "best": name the best code when its own probability reaches the threshold (format 1).
    # "engine_mass": name the best code when the probability that the sound is one of the codes at all
    # (1 - P(unknown)) reaches the threshold; whether it is a known sound and which one are separate questions,
    # and a fault split between two close codes is still a fault (both are then returned as candidates).
    rule: str = "best"
    # A stretch of the clip is a finding of its own when this many consecutive windows (0.5 s apart, so 3 is
    # 2 s of sound) name one code after smoothing, and the stretch as a whole passes the clip's rule.
    span_windows: int = 3


class EngineSoundClassifier:
    """A trained engine-sound model with its feature settings and calibration; thread-safe for inference."""

    def __init__(
        self,
        model: EngineSoundNet | StatsNet,
        classes: tuple[str, ...],
        features: FeatureConfig,
        calibration: Calibration,
    ) -> None:
        if UNKNOWN not in classes:
            raise ValueError(f'The class list must contain "{UNKNOWN}".')
        self.model = model.eval()
        self.classes = classes
        self.features = features
        self.calibration = calibration
        self.logmel = LogMel(features).eval()
        self._unknown = classes.index(UNKNOWN)

    @classmethod
    def load(cls, artifact_dir: Path) -> EngineSoundClassifier:
        """Load ``config.json`` and ``weights.pt`` (a plain state_dict) from an artifact directory."""
        config = json.loads((artifact_dir / "config.json").read_text())
        if config.get("format") not in SUPPORTED_FORMATS:
            raise ValueError(f"Unsupported engine-sound config format: {config.get('format')!r}.")
        classes = tuple(config["classes"])
        model = build_model(config, len(classes))
        state = torch.load(artifact_dir / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return cls(
            model=model,
            classes=classes,
            features=FeatureConfig.from_dict(config["features"]),
            calibration=Calibration(**config["calibration"]),
        )

    @torch.inference_mode()
    def window_probabilities(self, audio: torch.Tensor) -> torch.Tensor:
        """Calibrated class probabilities for conditioned windows (n, window_samples) -> (n, classes)."""
        logits = self.model(self.logmel(audio))
        return torch.softmax(logits / self.calibration.temperature, dim=-1)

    @torch.inference_mode()
    def classify(self, waveform: torch.Tensor, sample_rate: int) -> SoundVerdict:
        """Classify a mono or (channels, samples) waveform at any sample rate."""
        if waveform.numel() == 0:
            raise MediaError("The recording holds no audio samples.")
        if not torch.isfinite(waveform).all():
            raise MediaError("The recording contains invalid samples.")
        audio = to_model_rate(waveform, sample_rate, self.features)
        windows = split_windows(audio, self.features)
        silent, weights = vote_weights(windows, self.features)
        probs = torch.zeros(windows.audio.shape[0], len(self.classes))
        probs[:, self._unknown] = 1.0
        if (~silent).any():
            probs[~silent] = self.window_probabilities(windows.audio[~silent])

        timeline = []
        for i, p in enumerate(probs):
            code, confidence = self._decide(p)
            timeline.append(SoundWindow(code, confidence, windows.starts_s[i], windows.ends_s[i]))

        if silent.all():
            return SoundVerdict(UNKNOWN, 1.0, tuple(timeline))
        # Silent windows say nothing about the engine, so only audible ones vote (see vote_weights).
        code, confidence, candidates = self.decide_clip(probs, weights)
        spans = list(zip(windows.starts_s, windows.ends_s, strict=True))
        findings = self.findings(probs, weights, spans, candidates)
        return SoundVerdict(code, confidence, tuple(timeline), candidates, findings)

    def findings(
        self,
        probs: torch.Tensor,
        weights: torch.Tensor,
        spans: list[tuple[float, float]],
        candidates: tuple[Candidate, ...],
    ) -> tuple[Finding, ...]:
        """Every code heard over a stretch of the clip, with that stretch's span and probability.

        Each window is labelled by the window rule; a label differing from both neighbours is smoothed away
        (one window is 1 s, too short to tell a fault from a passing noise). A run of ``span_windows`` or
        more windows with one code is a finding when the run's mean probabilities, judged by the clip's own
        rule, name that code. The clip's candidates are findings too, over the windows that named them.
        One finding per code. Once a fault holds a stretch of its own, ``normal_idle`` is dropped: a fault heard
        after healthy idle is the fault, and the healthy part is no finding.
        """
        # The timeline's own labels (silent windows are "unknown" there); only windows that vote in the clip
        # verdict can make a stretch.
        timeline = [self._decide(p)[0] for p in probs]
        labels = [code if float(w) > 0 else UNKNOWN for code, w in zip(timeline, weights, strict=True)]
        smoothed = list(labels)
        for i in range(1, len(labels) - 1):
            if labels[i - 1] == labels[i + 1] != labels[i]:
                smoothed[i] = labels[i - 1]
        found: dict[str, Finding] = {}

        def add(code: str, confidence: float, start: float, end: float) -> None:
            old = found.get(code)
            if old is not None:
                confidence, start, end = max(confidence, old.confidence), min(start, old.start_s), max(end, old.end_s)
            found[code] = Finding(code, round(confidence, 4), round(start, 4), round(end, 4))

        start = 0
        for i in range(1, len(smoothed) + 1):
            if i < len(smoothed) and smoothed[i] == smoothed[start]:
                continue
            code = smoothed[start]
            if code != UNKNOWN and i - start >= self.calibration.span_windows:
                run = slice(start, i)
                run_weights = weights[run].clamp_min(0.0)
                mean = (probs[run] * run_weights.unsqueeze(1)).sum(dim=0) / run_weights.sum().clamp_min(1e-9)
                if self._decide(mean)[0] == code:
                    add(code, float(mean[self.classes.index(code)]), spans[start][0], spans[i - 1][1])
            start = i
        stretches = set(found)
        for candidate in candidates:
            named = [spans[i] for i, label in enumerate(timeline) if label == candidate.code]
            # A close second code may lead in no single window: it was heard over the whole clip.
            lo, hi = (min(a for a, _ in named), max(b for _, b in named)) if named else (spans[0][0], spans[-1][1])
            add(candidate.code, candidate.confidence, lo, hi)
        if stretches - {NORMAL}:
            found.pop(NORMAL, None)
        return tuple(sorted(found.values(), key=lambda f: (-f.confidence, f.start_s)))

    def decide_clip(self, probs: torch.Tensor, weights: torch.Tensor) -> tuple[str, float, tuple[Candidate, ...]]:
        """The whole clip's verdict from its windows' probabilities: every audible window votes.

        Training's evaluation calls this too, so the figures it reports are the rule that serves.
        """
        mean = (probs * weights.unsqueeze(1)).sum(dim=0) / weights.sum().clamp_min(1e-9)
        code, confidence = self._decide(mean)
        return code, confidence, self._candidates(mean, code)

    def _candidates(self, mean: torch.Tensor, code: str) -> tuple[Candidate, ...]:
        engine = [(float(mean[i]), c) for i, c in enumerate(self.classes) if c != UNKNOWN]
        engine.sort(reverse=True)
        (best_p, best), (second_p, second) = engine[0], engine[1]
        close = second_p >= self.calibration.second_ratio * best_p and second_p >= self.calibration.second_min
        if code == UNKNOWN:
            # An abstention names nothing: "unknown" is the answer, not a hint at two faults.
            return ()
        chosen = [Candidate(best, round(best_p, 4))]
        if close:
            chosen.append(Candidate(second, round(second_p, 4)))
        return tuple(chosen)

    def _decide(self, p: torch.Tensor) -> tuple[str, float]:
        """Pick the best engine code, or "unknown" when it is not probable enough.

        The confidence of an "unknown" answer is the probability that the sound is none of the codes.
        """
        engine = p.clone()
        engine[self._unknown] = -1.0
        best = int(engine.argmax())
        best_p = float(p[best])
        if self.calibration.rule == "engine_mass":
            unknown_p = float(p[self._unknown])
            if 1.0 - unknown_p >= self.calibration.threshold:
                return self.classes[best], round(best_p, 4)
            return UNKNOWN, round(unknown_p, 4)
        if best_p >= self.calibration.threshold and best_p >= float(p[self._unknown]):
            return self.classes[best], round(best_p, 4)
        return UNKNOWN, round(1.0 - best_p, 4)


def build_model(config: dict[str, Any], n_classes: int) -> EngineSoundNet | StatsNet:
    model_cfg = config.get("model", {})
    if model_cfg.get("arch") == "StatsNet":
        return StatsNet(
            n_classes=n_classes,
            n_mels=int(config["features"]["n_mels"]),
            feature_set=str(model_cfg["feature_set"]),
            hidden=int(model_cfg.get("hidden", 0)),
        )
    return EngineSoundNet(
        n_classes=n_classes,
        channels=tuple(model_cfg.get("channels", (16, 24, 32, 64))),
        dropout=float(model_cfg.get("dropout", 0.5)),
    )
