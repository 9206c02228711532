"""A second opinion on a crop's code: its colour-agnostic ink shape, matched against a bank of templates.

The held-out-source runs showed a plain nearest-template match beating the CNN on clean icons of a style it
had not seen (chr, skafos): the CNN learns colour and texture cues of the styles it trained on, while a
shape match only asks "which drawing does this silhouette look like?". So the recogniser asks both. The
ink image is how far each pixel is from the crop's own background (its border), in any colour and either
polarity, so an amber lamp on a black panel, a red one on grey and a dark print on white give the same
shape. The bank holds our drawings (catalog/symbols.py) and word lamps, each rendered through the same crop
geometry as a proposal, at a few stroke weights and aspects. It is stored with the model (templates.pt),
so a later change to the drawings cannot change a shipped model's answers.

The template match only re-ranks codes: whether a crop is a lamp at all stays the CNN's decision (a shape
match has no notion of "background"), so the combined probability of code c is
    p(c) = (1 - p_bg) * p_cnn(c) * exp(g * cos(c)) / sum_k p_cnn(k) * exp(g * cos(k))
where cos(c) is the best cosine between the crop's ink and a template of c, and the gain g is stored in
config.json.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFilter

INK_SIDE = 24  # the descriptor is a 24 x 24 ink image
_BORDER = 2  # crop pixels that estimate its background
_INK_FLOOR = 24.0  # channel difference below this is background noise, glow or JPEG ringing
_BLUR = 0.7  # in descriptor pixels: tolerates a pixel of misalignment and small stroke differences
_HOG_CELLS = 6  # the orientation half: 6 x 6 cells ...
_HOG_BINS = 8  # ... of 8 orientations


def ink_images(crops: np.ndarray) -> np.ndarray:
    """N x H x W ink in [0, 1] from N x H x W x 3 uint8 crops: how far each pixel is from the crop's border."""
    x = crops.astype(np.float32)
    n = x.shape[0]
    border = np.concatenate(
        [
            x[:, :_BORDER].reshape(n, -1, 3),
            x[:, -_BORDER:].reshape(n, -1, 3),
            x[:, :, :_BORDER].reshape(n, -1, 3),
            x[:, :, -_BORDER:].reshape(n, -1, 3),
        ],
        axis=1,
    )
    background = np.median(border, axis=1)[:, None, None, :]
    far = np.abs(x - background)
    # Explicit channel maxima: numpy's reduction over a short last axis is many times slower.
    diff = np.maximum(np.maximum(far[..., 0], far[..., 1]), far[..., 2]) - _INK_FLOOR
    np.maximum(diff, 0, out=diff)
    # Each crop's ink is scaled to its own strong strokes, so a dim lamp and a bright one look alike.
    top = np.percentile(diff.reshape(n, -1), 98, axis=1)[:, None, None]
    return np.asarray(np.minimum(diff / np.maximum(top, 1.0), 1.0), dtype=np.float32)


def ink_descriptors(crops: np.ndarray) -> np.ndarray:
    """Unit-norm descriptors of N x H x W x 3 uint8 crops (H = W, a multiple of INK_SIDE and _HOG_CELLS).

    Two halves of equal weight: the blurred ink image itself (where the strokes are), and a histogram of
    its edge orientations per cell (which way they run). The second is what makes an outline and a filled
    drawing of one symbol, or a thin and a bold one, look alike: their edges run the same way.
    """
    ink = ink_images(crops)
    halves = np.concatenate([_unit(_ink_image(ink)), _unit(_orientations(ink))], axis=1)
    # float32 throughout: a float64 descriptor would make every match convert the whole bank first.
    return (halves * np.float32(np.sqrt(0.5))).astype(np.float32, copy=False)


def _unit(flat: np.ndarray) -> np.ndarray:
    flat = flat - flat.mean(axis=1, keepdims=True)
    return np.asarray(flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6), dtype=np.float32)


def _ink_image(ink: np.ndarray) -> np.ndarray:
    n, h = ink.shape[:2]
    k = h // INK_SIDE
    small = ink[:, : k * INK_SIDE, : k * INK_SIDE].reshape(n, INK_SIDE, k, INK_SIDE, k).mean(axis=(2, 4))
    return _blur(small).reshape(n, -1)


def _blur(ink: np.ndarray) -> np.ndarray:
    radius = 2
    t = np.arange(-radius, radius + 1, dtype=np.float32)
    kernel = np.exp(-(t**2) / (2 * _BLUR**2))
    kernel /= kernel.sum()
    pad = np.pad(ink, ((0, 0), (radius, radius), (radius, radius)), mode="edge")
    rows = sum(kernel[i] * pad[:, i : i + ink.shape[1], :] for i in range(2 * radius + 1))
    return np.asarray(sum(kernel[i] * rows[:, :, i : i + ink.shape[2]] for i in range(2 * radius + 1)))


def _orientations(ink: np.ndarray) -> np.ndarray:
    """A HOG-like descriptor: per cell, gradient magnitude by (unsigned) orientation, soft-binned."""
    n, h = ink.shape[:2]
    gy, gx = np.gradient(ink, axis=(1, 2))
    magnitude = np.hypot(gx, gy)
    position = (np.arctan2(gy, gx) % np.pi) * (_HOG_BINS / np.pi)
    low = np.floor(position).astype(np.int64)
    frac = position - low
    low %= _HOG_BINS
    high = (low + 1) % _HOG_BINS
    c = h // _HOG_CELLS
    rows = np.minimum(np.arange(h) // c, _HOG_CELLS - 1)
    cell = rows[:, None] * _HOG_CELLS + rows[None, :]  # which cell each pixel votes in
    base = (np.arange(n)[:, None, None] * _HOG_CELLS**2 + cell[None]) * _HOG_BINS
    size = n * _HOG_CELLS**2 * _HOG_BINS
    # Two weighted bincounts are far cheaper than scattering votes with np.add.at or one pass per bin.
    cells = np.bincount((base + low).ravel(), (magnitude * (1 - frac)).ravel(), minlength=size)
    cells += np.bincount((base + high).ravel(), (magnitude * frac).ravel(), minlength=size)
    return np.sqrt(cells).reshape(n, -1).astype(np.float32)


def render_template(rgba: Image.Image, size: int, margin: float, *, height: int = 64) -> np.ndarray:
    """A template as a proposal's crop would show it: lit on black, centred, with the crop margin."""
    k = height / max(rgba.size)
    icon = rgba.resize((max(1, round(rgba.width * k)), max(1, round(rgba.height * k))), Image.Resampling.LANCZOS)
    side = round(max(icon.size) * (1 + 2 * margin))
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 255))
    canvas.alpha_composite(icon, ((side - icon.width) // 2, (side - icon.height) // 2))
    return np.asarray(canvas.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))


def template_variants(rgba: Image.Image) -> list[Image.Image]:
    """The template as drawn, bolder, thinner, wider, narrower, and cut out of a lit badge: makers differ in
    exactly these."""
    bold = rgba.filter(ImageFilter.MaxFilter(5))
    thin = rgba.filter(ImageFilter.MinFilter(3))
    wide = rgba.resize((round(rgba.width * 1.18), rgba.height), Image.Resampling.LANCZOS)
    narrow = rgba.resize((max(1, round(rgba.width * 0.85)), rgba.height), Image.Resampling.LANCZOS)
    return [rgba, bold, thin, wide, narrow, _badge(rgba)]


def _badge(rgba: Image.Image) -> Image.Image:
    """The symbol cut out of a lit rounded square, as some makers draw the seatbelt, slip or ECO lights."""
    pad = round(max(rgba.size) * 0.14)
    badge = Image.new("L", (rgba.width + 2 * pad, rgba.height + 2 * pad), 0)
    radius = round(min(badge.size) * 0.15)
    ImageDraw.Draw(badge).rounded_rectangle((0, 0, badge.width - 1, badge.height - 1), radius=radius, fill=255)
    badge.paste(0, (pad, pad), rgba.getchannel("A"))
    out = Image.new("RGBA", badge.size, (255, 255, 255, 0))
    out.putalpha(badge)
    return out


@dataclass(frozen=True, slots=True)
class TemplateBank:
    """Ink descriptors of the templates, and the class index (into the model's classes) of each."""

    descriptors: np.ndarray  # M x INK_SIDE**2, float32
    labels: np.ndarray  # M, int64

    @classmethod
    def build(
        cls, templates: Sequence[tuple[str, Image.Image]], classes: Sequence[str], size: int, margin: float
    ) -> TemplateBank:
        index = {c: i for i, c in enumerate(classes)}
        crops: list[np.ndarray] = []
        labels: list[int] = []
        for code, rgba in templates:
            for variant in template_variants(rgba):
                crops.append(render_template(variant, size, margin))
                labels.append(index[code])
        return cls._sorted(ink_descriptors(np.stack(crops)), np.asarray(labels, dtype=np.int64))

    @classmethod
    def _sorted(cls, descriptors: np.ndarray, labels: np.ndarray) -> TemplateBank:
        """The bank ordered by class, so each class's best match is one reduceat over a contiguous run."""
        order = np.argsort(labels, kind="stable")
        return cls(np.ascontiguousarray(descriptors[order], dtype=np.float32), labels[order])

    def similarities(self, crops: np.ndarray, num_classes: int) -> np.ndarray:
        """N x num_classes: each class's best cosine to the crops' ink (-1 for classes without templates)."""
        sims = ink_descriptors(crops) @ self.descriptors.T
        starts = np.concatenate([[0], np.flatnonzero(np.diff(self.labels)) + 1])
        out = np.full((len(crops), num_classes), -1.0, dtype=np.float32)
        out[:, self.labels[starts]] = np.maximum.reduceat(sims, starts, axis=1)
        return out

    def state(self) -> dict[str, torch.Tensor]:
        return {"descriptors": torch.from_numpy(self.descriptors), "labels": torch.from_numpy(self.labels)}

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor]) -> TemplateBank:
        return cls._sorted(state["descriptors"].numpy(), state["labels"].numpy().astype(np.int64))


def combine(cnn: np.ndarray, similarity: np.ndarray, *, gain: float) -> np.ndarray:
    """CNN probabilities (background first) with the codes re-ranked by the template match; rows sum to 1.

    A product of experts: p(code) is proportional to p_cnn(code) * exp(gain * cosine(code)), within the CNN's
    own share for "some lamp". Mixing the two linearly was tried and measured worse (MODEL_CARD.md): a product
    lets a clear shape match overrule a CNN that is sure of the wrong code only where the CNN's margin is small.
    """
    if gain <= 0:
        return cnn
    lamp = 1.0 - cnn[:, :1]
    z = np.log(np.maximum(cnn[:, 1:], 1e-12)) + gain * similarity[:, 1:]
    z = np.exp(z - z.max(axis=1, keepdims=True))
    codes = z / z.sum(axis=1, keepdims=True)
    return np.concatenate([cnn[:, :1], lamp * codes], axis=1).astype(np.float32)
