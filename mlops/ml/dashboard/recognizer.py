"""Inference: find the lit tell-tales on a photo of a dashboard."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mlops.ml.dashboard.candidates import crops_for, on_paper, propose_working, working_copy
from mlops.ml.dashboard.imaging import Photo
from mlops.ml.dashboard.model import BACKGROUND, SymbolNet
from mlops.ml.dashboard.templates import TemplateBank, combine

CONFIG_FORMAT = 1
TEMPLATES_FILE = "templates.pt"  # the ink-template bank, where a version has one (v3 on)


@dataclass(frozen=True, slots=True)
class LightDetection:
    code: str
    confidence: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the original image's pixels


@dataclass(frozen=True, slots=True)
class RecognizerConfig:
    """What config.json holds: everything needed to rebuild the model and use it as it was validated."""

    classes: tuple[str, ...]
    input_size: int
    crop_margin: float
    channels: tuple[int, ...]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    temperature: float
    threshold: float
    nms_iou: float
    format: int = CONFIG_FORMAT
    # v3: how strongly the ink-template match (templates.pt) re-ranks the CNN's codes; 0 (v1, v2): the CNN alone.
    template_gain: float = 0.0
    # v3 on: drop small detections on a bright, grey surround (paper, a wall), where no lamp is lit; v1, v2: off.
    context_rule: bool = False

    @classmethod
    def from_json(cls, text: str) -> RecognizerConfig:
        raw = json.loads(text)
        if raw.get("format") != CONFIG_FORMAT:
            raise ValueError(f"unsupported dashboard config format: {raw.get('format')!r}")
        config = cls(
            classes=tuple(raw["classes"]),
            input_size=int(raw["input_size"]),
            crop_margin=float(raw["crop_margin"]),
            channels=tuple(int(c) for c in raw["channels"]),
            mean=tuple(float(v) for v in raw["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in raw["std"]),  # type: ignore[arg-type]
            temperature=float(raw["temperature"]),
            threshold=float(raw["threshold"]),
            nms_iou=float(raw["nms_iou"]),
            template_gain=float(raw.get("template_gain", 0.0)),
            context_rule=bool(raw.get("context_rule", False)),
        )
        if config.classes[0] != BACKGROUND or config.temperature <= 0:
            raise ValueError("config.json: classes must start with 'background' and temperature be positive")
        if config.template_gain < 0:
            raise ValueError("config.json: template_gain must not be negative")
        return config

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


class DashboardRecognizer:
    """Candidate boxes from classical image analysis, named by a small CNN, thresholded after calibration."""

    def __init__(self, model: SymbolNet, config: RecognizerConfig, templates: TemplateBank | None = None) -> None:
        self.model = model.eval()
        self.config = config
        self.templates = templates
        if config.template_gain > 0 and templates is None:
            raise ValueError("this dashboard model weighs a template match, but has no template bank")
        self._mean = torch.tensor(config.mean).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(config.std).view(1, 3, 1, 1) * 255

    @classmethod
    def load(cls, artifact_dir: Path) -> DashboardRecognizer:
        artifact_dir = Path(artifact_dir)
        config = RecognizerConfig.from_json((artifact_dir / "config.json").read_text(encoding="utf-8"))
        model = SymbolNet(len(config.classes), config.channels)
        state = torch.load(artifact_dir / "weights.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        bank_file = artifact_dir / TEMPLATES_FILE
        bank = None
        if bank_file.is_file():
            bank = TemplateBank.from_state(torch.load(bank_file, map_location="cpu", weights_only=True))
        return cls(model, config, bank)

    def tensor(self, crops: Sequence[Image.Image]) -> torch.Tensor:
        """Normalised NCHW float batch from RGB crops of the input size."""
        batch = torch.from_numpy(np.stack([np.asarray(c, dtype=np.uint8) for c in crops]))
        return (batch.permute(0, 3, 1, 2).float() - self._mean) / self._std

    def classify(self, crops: Sequence[Image.Image]) -> np.ndarray:
        """Calibrated class probabilities, one row per crop."""
        if not crops:
            return np.zeros((0, len(self.config.classes)), dtype=np.float32)
        with torch.inference_mode():
            logits = self.model(self.tensor(crops))
            probs = torch.softmax(logits / self.config.temperature, dim=1).numpy()
        if self.templates is None or self.config.template_gain <= 0:
            return probs
        # Only crops the CNN thinks are more likely a lamp than not are matched: elsewhere background stays the
        # most likely class whatever the match says, and most proposals on a cluster photo are background.
        lamps = np.flatnonzero(probs[:, 0] < 0.5)
        if len(lamps):
            arrays = np.stack([np.asarray(crops[int(i)], dtype=np.uint8) for i in lamps])
            similarity = self.templates.similarities(arrays, len(self.config.classes))
            probs[lamps] = combine(probs[lamps], similarity, gain=self.config.template_gain)
        return probs

    def decide(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each crop's code, its confidence, and whether it is reported, from classify()'s probabilities."""
        cls = probs.argmax(axis=1)
        conf = probs[np.arange(len(cls)), cls]
        return cls, conf, (cls != 0) & (conf >= self.config.threshold)

    def detect(self, image: Image.Image | Photo) -> list[LightDetection]:
        """The lit tell-tales on image, most confident first; [] when nothing is confidently a tell-tale.

        A Photo (a reduced decode) gives boxes in the pixels of the original it stands for.
        """
        if isinstance(image, Photo):
            original, image = image.original_size, image.image
        else:
            original = image.size
        image = image.convert("RGB") if image.mode != "RGB" else image
        work, scale = working_copy(image)
        boxes, whole_frame = propose_working(work)
        if len(boxes) == 0:
            return []
        crops = crops_for(image, work, scale, boxes, self.config.input_size, self.config.crop_margin)
        cls, conf, keep = self.decide(self.classify(crops))
        # The whole frame, when proposed, is last and only a fallback; the other boxes are judged together.
        n = len(boxes) - 1 if whole_frame else len(boxes)
        if self.config.context_rule:
            # Judged only where the classifier already said yes: a few boxes, not the ~90 proposals.
            rgb = np.asarray(work)
            for i in np.flatnonzero(keep[:n]):
                keep[i] = not on_paper(rgb, tuple(boxes[i]))
        to_original = scale * original[0] / image.width
        found = [
            LightDetection(self.config.classes[c], float(p), _clip(b * to_original, original))
            for b, c, p in zip(boxes[:n][keep[:n]], cls[:n][keep[:n]], conf[:n][keep[:n]], strict=True)
        ]
        found = suppress_overlaps(found, self.config.nms_iou)
        if not found and whole_frame and keep[-1]:
            # The whole frame is a close-up's last resort: one symbol too big or too plain to stand out.
            found = [LightDetection(self.config.classes[cls[-1]], float(conf[-1]), (0, 0, *original))]
        return found


def _clip(box: np.ndarray, size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    return (max(0, x0), max(0, y0), min(size[0], x1), min(size[1], y1))


def _area(box: Sequence[float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _intersection(a: Sequence[float], b: Sequence[float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _covered(a: Sequence[float], b: Sequence[float]) -> float:
    """How much of the smaller box lies inside the other."""
    smaller = min(_area(a), _area(b))
    return _intersection(a, b) / smaller if smaller > 0 else 0.0


def suppress_overlaps(found: list[LightDetection], iou: float) -> list[LightDetection]:
    """Greedy non-maximum suppression that also drops boxes nested in a kept one.

    A symbol is proposed at several merge levels, so the same light often comes back as the whole symbol and
    as a part of it. One symbol is one detection, and when a part won, a larger box of the same code around
    it lends the detection its extent: that box holds the rest of the symbol.
    """
    kept: list[LightDetection] = []
    for det in sorted(found, key=lambda d: -d.confidence):
        clash = next((i for i, k in enumerate(kept) if _same_light(det.box, k.box, iou)), None)
        if clash is None:
            kept.append(det)
            continue
        k = kept[clash]
        if det.code == k.code and _area(det.box) > _area(k.box) and _covered(det.box, k.box) > 0.9:
            kept[clash] = LightDetection(k.code, k.confidence, det.box)
    return kept


def _same_light(a: Sequence[float], b: Sequence[float], iou: float) -> bool:
    return box_iou(a, b) > iou or _covered(a, b) > 0.7
