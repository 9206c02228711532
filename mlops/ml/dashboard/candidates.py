"""Classical candidate finding: where on a photo could a lit tell-tale be?

Tell-tales are LEDs behind tinted glass: on a photo they are bright or saturated marks on a darker panel. We
threshold brightness against the local panel level, find connected marks, and merge neighbouring marks into
symbol-sized boxes at a few merge distances, because one symbol is often several marks (the brackets of
"(!)", the words of "RCTA OFF"). Deciding which boxes hold a symbol is the classifier's job: training and
inference both take their crops from here, so the classifier learns exactly the boxes it will be shown.

Close-ups need more: a symbol that fills the frame has no darker panel around it, and on a plain light
background it is not brighter than anything. So two colour-agnostic proposals join the lit marks: whatever
differs from a uniform border (the symbol on its plain background, light or dark), and the whole frame.
Both rest on the frame showing ONE symbol. When the ink on a plain border (or on a light page) is several
separate symbols, as on a printed chart or a screenshot of a table of icons, the frame is no close-up and
neither box is proposed: naming the whole frame as one code would be a guess about a picture of many.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

WORK_SIDE = 640  # candidates are found on a copy whose longer side is at most this
_BLOCK = 16  # the panel level is estimated on blocks of this many working pixels
_PANEL_REACH = 2  # ... as the darkest block mean within this many blocks
_DELTA = 0.14  # how much brighter than the panel a lit pixel must be
_MIN_VALUE = 0.3
_WHITE_VALUE = 0.58  # an unsaturated pixel must be this bright to count as a white tell-tale
_MIN_SATURATION = 0.35
_COLOUR_VALUE = 0.4  # the coloured mask: at least this bright ...
_COLOUR_SATURATION = 0.5  # ... and at least this saturated
_MERGE_LEVELS = (0.0, 0.2, 0.45, 0.8)  # gap allowed between marks, as a share of the larger one
_MAX_MARKS = 60
_MIN_FILL = 0.09  # marks covering less of their box than this are lines and rings, not symbol parts
MAX_CANDIDATES = 96
_MIN_SIDE = 7  # working pixels
_MAX_ASPECT = 5.0
_BORDER_SPREAD = 28  # border pixels this close (max channel difference) to their median make a plain frame
_FOREGROUND_DELTA = 60  # ... and pixels this far from it are the foreground of a close-up
# The context rule (v3 on): a lit tell-tale in a whole-cluster photo sits on the dark dial face behind smoked
# glass. A small mark whose surroundings are bright and grey is printed on paper or a wall, not lit.
CONTEXT_MAX_AREA = 0.15  # boxes covering at least this share of the frame are close-ups: any background goes
_RING_INNER = 0.25  # the ring around a box starts this many box sides out (past the lamp's own glow) ...
_RING_OUTER = 0.75  # ... and ends this many out
_PAPER_VALUE = 0.6  # a ring whose median brightness is at least this ...
_PAPER_SATURATION = 0.25  # ... and median saturation at most this is paper-like
# Several symbols, not a close-up: parts of one symbol (the brackets of "(!)", the letters and lines of a word
# lamp) lie within a fraction of their own size of each other; icons on a chart or a table stand apart.
_PAGE_MERGE = 0.2  # ink marks whose gap is at most this x the larger one's side belong to one symbol
_PEER_SIDE = 0.5  # a group at least this share of the largest group's side is a symbol of its own, not a caption
_PEER_MIN = 0.03  # ... and at least this share of the frame's longer side (dust and JPEG specks are not symbols)
_MAX_PAGE_MARKS = 240
_MANY_SYMBOLS = 3  # this many such groups make the frame a page of symbols

Box = tuple[float, float, float, float]


def working_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """The image shrunk by a whole factor so its longer side is at most WORK_SIDE, and that factor."""
    factor = -(-max(image.size) // WORK_SIDE)
    if factor <= 1:
        return image, 1.0
    # Box-averaging by a whole factor is four times faster than a bilinear resize, and as clean.
    work = image.reduce(factor)
    return work, image.width / work.width


def lit_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels that look like part of a lit symbol: bright or saturated, and brighter than the nearby panel."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Explicit channel maxima: numpy's reduction over a short last axis is twenty times slower.
    value = np.maximum(np.maximum(r, g), b)
    low = np.minimum(np.minimum(r, g), b)
    h, w = value.shape
    bh, bw = -(-h // _BLOCK), -(-w // _BLOCK)
    # Integer arithmetic on a block view keeps this to a few milliseconds on a 640 x 480 copy.
    v = np.pad(value, ((0, bh * _BLOCK - h), (0, bw * _BLOCK - w)), mode="edge").reshape(bh, _BLOCK, bw, _BLOCK)
    need = np.maximum(_panel_level(v) + _DELTA * 255, _MIN_VALUE * 255).astype(np.int16)
    bright = (v >= need[:, None, :, None]).reshape(bh * _BLOCK, bw * _BLOCK)[:h, :w]
    v16, low16 = value.astype(np.int16), low.astype(np.int16)
    colourful = (v16 - low16) * 100 >= round(_MIN_SATURATION * 100) * v16
    return bright & (colourful | (value >= round(_WHITE_VALUE * 255)))


def _panel_level(blocks: np.ndarray) -> np.ndarray:
    """The brightness of the panel around each block: the darkest block mean within reach."""
    means = blocks.mean(axis=(1, 3), dtype=np.float32)
    bh, bw = means.shape
    r = _PANEL_REACH
    ext = np.pad(means, r, mode="edge")
    low = means.copy()
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            np.minimum(low, ext[dy : dy + bh, dx : dx + bw], out=low)
    return low


def mark_boxes(mask: np.ndarray) -> np.ndarray:
    """Bounding boxes (x0, y0, x1, y1, pixels) of the 8-connected marks in mask, largest first.

    Works on row runs rather than pixels, so it stays fast in numpy without scipy.
    """
    h, w = mask.shape
    padded = np.zeros((h, w + 2), dtype=bool)
    padded[:, 1:-1] = mask
    rows, starts = np.nonzero(padded[:, 1:] & ~padded[:, :-1])
    _, ends = np.nonzero(~padded[:, 1:] & padded[:, :-1])
    n = rows.size
    if n == 0:
        return np.zeros((0, 5), dtype=np.int64)
    stride = w + 2
    start_key = rows * stride + starts
    end_key = rows * stride + ends
    # Runs a (row y) and b (row y + 1) touch, diagonals included, when b.start <= a.end and b.end >= a.start.
    lo = np.searchsorted(end_key, (rows + 1) * stride + starts, side="left")
    hi = np.searchsorted(start_key, (rows + 1) * stride + ends, side="right")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), counts)
    offsets = np.arange(a.size) - np.repeat(np.cumsum(counts) - counts, counts)
    b = np.repeat(lo, counts) + offsets
    labels = np.arange(n)
    if a.size:
        while True:
            low = np.minimum(labels[a], labels[b])
            new = labels.copy()
            np.minimum.at(new, a, low)
            np.minimum.at(new, b, low)
            new = new[new]  # pointer jumping: follow each label to its own label
            new = new[new]
            if np.array_equal(new, labels):
                break
            labels = new
    roots, comp = np.unique(labels, return_inverse=True)
    m = roots.size
    x0 = np.full(m, w, dtype=np.int64)
    y0 = np.full(m, h, dtype=np.int64)
    x1 = np.zeros(m, dtype=np.int64)
    y1 = np.zeros(m, dtype=np.int64)
    pixels = np.zeros(m, dtype=np.int64)
    np.minimum.at(x0, comp, starts)
    np.minimum.at(y0, comp, rows)
    np.maximum.at(x1, comp, ends)
    np.maximum.at(y1, comp, rows + 1)
    np.add.at(pixels, comp, ends - starts)
    out = np.stack([x0, y0, x1, y1, pixels], axis=1)
    return out[np.argsort(-pixels, kind="stable")]


def _or_pool(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    m = np.pad(mask, ((0, h % 2), (0, w % 2)))
    return m[0::2, 0::2] | m[1::2, 0::2] | m[0::2, 1::2] | m[1::2, 1::2]


def _merge(boxes: np.ndarray, ratio: float) -> np.ndarray:
    """Single-linkage grouping: boxes whose gap is at most ratio x the larger box's longer side."""
    n = len(boxes)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    gx = np.maximum(
        0, np.maximum(boxes[:, None, 0], boxes[None, :, 0]) - np.minimum(boxes[:, None, 2], boxes[None, :, 2])
    )
    gy = np.maximum(
        0, np.maximum(boxes[:, None, 1], boxes[None, :, 1]) - np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    )
    linked = np.maximum(gx, gy) <= ratio * np.maximum(side[:, None], side[None, :])
    group = np.arange(n)
    while True:
        new = np.where(linked, group[None, :], n).min(axis=1)
        new = np.minimum(new, group)
        if np.array_equal(new, group):
            break
        group = new[new]
    _, member = np.unique(group, return_inverse=True)
    k = int(member.max()) + 1
    lo = np.full((k, 2), np.inf)
    hi = np.full((k, 2), -np.inf)
    np.minimum.at(lo, member, boxes[:, :2])
    np.maximum.at(hi, member, boxes[:, 2:4])
    return np.concatenate([lo, hi], axis=1)


def propose_working(work: Image.Image) -> tuple[np.ndarray, bool]:
    """Candidate boxes (x0, y0, x1, y1) on the working copy, and whether the last one is the whole frame.

    It is, unless the frame shows several separate symbols (see close_up_boxes).
    """
    marks, close = propose_parts(work)
    return np.concatenate([marks, close]), len(close) > 0


def propose_parts(work: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Boxes around lit marks, and the close-up boxes (the plain-border foreground, then the whole frame;
    none on a frame of several separate symbols).

    Marks come from two masks, grouped separately: lit (brighter than the panel, any colour, white
    included) and coloured (saturated and not dark, whatever is around it). On a bright or grey panel the
    lit mask joins a lamp to the bezel and the page around it; the coloured mask still sees the red or
    amber lamp on its own.
    """
    rgb = np.asarray(work if work.mode == "RGB" else work.convert("RGB"))
    found = [_grouped(lit_mask(rgb), work), _grouped(colour_mask(rgb), work)]
    boxes = np.unique(np.concatenate(found), axis=0)
    boxes = _keep_symbol_sized(boxes, work)
    close, symbols = close_ups(rgb)
    if len(symbols):
        # On a page of separate symbols, a box around several of them (or the paper between them, which the
        # lit mask sees as bright) is no symbol.
        boxes = boxes[_spanned(boxes, symbols) < 2]
    # Smaller boxes first: when there are too many, the huge merged ones are the least likely symbols.
    order = np.argsort((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), kind="stable")
    return boxes[order[: MAX_CANDIDATES - 2]], close


def _spanned(boxes: np.ndarray, symbols: np.ndarray) -> np.ndarray:
    """How many of the symbols' centres each box holds."""
    cx, cy = (symbols[:, 0] + symbols[:, 2]) / 2, (symbols[:, 1] + symbols[:, 3]) / 2
    inside = (
        (boxes[:, None, 0] <= cx[None])
        & (cx[None] <= boxes[:, None, 2])
        & (boxes[:, None, 1] <= cy[None])
        & (cy[None] <= boxes[:, None, 3])
    )
    return inside.sum(axis=1)


def colour_mask(rgb: np.ndarray) -> np.ndarray:
    """Saturated pixels that are not dark: the lamps of every colour but white, on any panel."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = np.maximum(np.maximum(r, g), b).astype(np.int16)
    low = np.minimum(np.minimum(r, g), b).astype(np.int16)
    return (value >= round(_COLOUR_VALUE * 255)) & ((value - low) * 100 >= round(_COLOUR_SATURATION * 100) * value)


def _grouped(mask: np.ndarray, work: Image.Image) -> np.ndarray:
    # Labelling a 2 x 2 OR-pooled mask is four times cheaper and bridges one-pixel cracks in thin strokes,
    # for a box precision of one working pixel.
    marks = mark_boxes(_or_pool(mask))
    marks[:, :4] *= 2
    marks[:, 4] *= 4
    marks[:, 2] = np.minimum(marks[:, 2], work.width)
    marks[:, 3] = np.minimum(marks[:, 3], work.height)
    # Specks of sensor noise are not marks; the largest marks are the ones worth grouping.
    marks = marks[(marks[:, 4] >= 6) & (np.maximum(marks[:, 2] - marks[:, 0], marks[:, 3] - marks[:, 1]) >= 3)]
    marks = marks[:_MAX_MARKS]
    if len(marks) == 0:
        return np.zeros((0, 4))
    box = marks[:, :4].astype(np.float64)
    w, h = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    # Gauge rings, needles and trim lines have huge, nearly empty boxes that would swallow every symbol
    # near them, so sparse marks stay on their own instead of joining groups.
    sparse = (marks[:, 4] < _MIN_FILL * w * h) & (np.maximum(w, h) > 12)
    found: list[np.ndarray] = [box[sparse]]
    level = box[~sparse]
    for ratio in _MERGE_LEVELS:
        if len(level) == 0:
            break
        level = _merge(level, ratio)
        found.append(level)
    return np.concatenate(found)


def close_up_boxes(rgb: np.ndarray) -> np.ndarray:
    """The box of what differs from a plain border, if the border is plain, then the whole frame.

    Empty when the frame holds several separate symbols on a plain border or on a light page: then it is no
    close-up, and the lit marks are the only proposals.
    """
    return close_ups(rgb)[0]


def close_ups(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """close_up_boxes(rgb), and the boxes of the separate symbols when the frame is a page of several (else
    none)."""
    h, w = rgb.shape[:2]
    out: list[np.ndarray] = []
    none = np.zeros((0, 4))
    if min(h, w) >= 16:
        border = np.concatenate([rgb[:2].reshape(-1, 3), rgb[-2:].reshape(-1, 3), rgb[:, :2].reshape(-1, 3),
                                 rgb[:, -2:].reshape(-1, 3)]).astype(np.int16)  # fmt: skip
        bg = np.median(border, axis=0)
        plain = bool(np.percentile(np.abs(border - bg).max(axis=1), 90) <= _BORDER_SPREAD)
        marks = _foreground_marks(rgb, bg) if plain else np.zeros((0, 5), dtype=np.int64)
        if len(symbols := separate_symbols(marks, (h, w))) >= _MANY_SYMBOLS:
            return none, symbols
        # A page photographed on a desk or in a hand: most of the frame is paper, but the border is not, or is
        # the desk. Its ink is judged against the paper; the desk touches the frame's edge and is never counted.
        page = np.median(rgb[::4, ::4].reshape(-1, 3), axis=0)
        if (not plain or np.abs(page - bg).max() > _BORDER_SPREAD) and _is_page(page):
            symbols = separate_symbols(_foreground_marks(rgb, page), (h, w))
            if len(symbols) >= _MANY_SYMBOLS:
                return none, symbols
        if len(marks):
            marks = marks[marks[:, 4] >= 0.02 * marks[0, 4]]
            x0, y0 = marks[:, 0].min() * 2, marks[:, 1].min() * 2
            x1, y1 = min(marks[:, 2].max() * 2, w), min(marks[:, 3].max() * 2, h)
            if max(x1 - x0, y1 - y0) >= 0.15 * max(w, h):
                out.append(np.array([x0, y0, x1, y1], dtype=np.float64))
    out.append(np.array([0.0, 0.0, w, h]))
    return np.stack(out), none


def _foreground_marks(rgb: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Marks (on the 2 x 2 pooled grid) of the pixels far from the background colour bg, largest first."""
    diff = np.abs(rgb.astype(np.int16) - bg.astype(np.int16)).max(axis=2) >= _FOREGROUND_DELTA
    marks = mark_boxes(_or_pool(diff))
    return marks[marks[:, 4] >= 4]


def _is_page(colour: np.ndarray) -> bool:
    """Whether a frame's median colour is paper: light and grey."""
    value = float(colour.max())
    return value >= _PAPER_VALUE * 255 and (value - float(colour.min())) <= _PAPER_SATURATION * value


def separate_symbols(marks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The boxes (working pixels) of the separate, comparably sized symbols that a frame's foreground marks
    (pooled grid) make.

    Specks, lines (table rules, a page's edge: marks long and thin, or filling little of their box) and marks
    touching the frame's edge (a desk around a page, a symbol cut by the frame) are left out; the rest are
    grouped as parts of one symbol when close, and the groups at least half the size of the largest one are
    returned.
    """
    none = np.zeros((0, 4))
    if len(marks) < _MANY_SYMBOLS:
        return none
    ph, pw = -(-shape[0] // 2), -(-shape[1] // 2)
    x0, y0, x1, y1, pixels = marks.T
    bw, bh = x1 - x0, y1 - y0
    keep = (
        ~((pixels < _MIN_FILL * bw * bh) & (np.maximum(bw, bh) > 6))
        & (np.maximum(bw, bh) <= _MAX_ASPECT * np.maximum(np.minimum(bw, bh), 1))
        & (x0 > 0)
        & (y0 > 0)
        & (x1 < pw)
        & (y1 < ph)
    )
    # Specks are judged against the largest mark left, not against a desk that was just set aside.
    keep &= pixels >= 0.02 * (pixels[keep].max() if keep.any() else 0)
    if keep.sum() < _MANY_SYMBOLS:
        return none
    # Grouped until nothing more joins, each round against the groups' own sizes: letters make a word, a word
    # is then long enough to take in the next word or line of a word lamp, while icons spaced apart stay apart.
    groups = marks[keep][:_MAX_PAGE_MARKS, :4].astype(np.float64)  # the largest: grouping is quadratic
    while len(groups) > 1:
        joined = _merge(groups, _PAGE_MERGE)
        if len(joined) == len(groups):
            break
        groups = joined
    side = np.maximum(groups[:, 2] - groups[:, 0], groups[:, 3] - groups[:, 1])
    peers = (side >= _PEER_SIDE * side.max()) & (side >= _PEER_MIN * max(ph, pw))
    return groups[peers] * 2


def ring_stats(rgb: np.ndarray, box: Box) -> tuple[float, float] | None:
    """Median brightness and saturation (0-1) of the ring around box, or None when the frame holds no ring."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)

    def grown(k: float) -> tuple[int, int, int, int]:
        d = k * side
        return (max(0, int(x0 - d)), max(0, int(y0 - d)), min(w, int(np.ceil(x1 + d))), min(h, int(np.ceil(y1 + d))))

    ox0, oy0, ox1, oy1 = grown(_RING_OUTER)
    ix0, iy0, ix1, iy1 = grown(_RING_INNER)
    region = rgb[oy0:oy1, ox0:ox1]
    ring = np.ones(region.shape[:2], dtype=bool)
    ring[iy0 - oy0 : iy1 - oy0, ix0 - ox0 : ix1 - ox0] = False
    pixels = region[ring].astype(np.int16)
    # A box against the frame's edges may have almost no ring left: then nothing is known about its context.
    bw, bh = x1 - x0, y1 - y0
    full = (bw + 2 * _RING_OUTER * side) * (bh + 2 * _RING_OUTER * side) - (bw + 2 * _RING_INNER * side) * (
        bh + 2 * _RING_INNER * side
    )
    if len(pixels) < max(16, 0.3 * full):
        return None
    value = pixels.max(axis=1)
    spread = value - pixels.min(axis=1)
    saturation = np.where(value > 0, spread / np.maximum(value, 1), 0.0)
    return float(np.median(value)) / 255, float(np.median(saturation))


def on_paper(rgb: np.ndarray, box: Box) -> bool:
    """Whether a small box lies on a bright, grey surround (paper, a wall, a screen), where no lamp is lit.

    Boxes that fill much of the frame are close-ups and are never judged: a symbol photographed on a plain light
    background is still a symbol.
    """
    h, w = rgb.shape[:2]
    if (box[2] - box[0]) * (box[3] - box[1]) >= CONTEXT_MAX_AREA * w * h:
        return False
    stats = ring_stats(rgb, box)
    if stats is None:
        return False
    value, saturation = stats
    return value >= _PAPER_VALUE and saturation <= _PAPER_SATURATION


def _keep_symbol_sized(boxes: np.ndarray, work: Image.Image) -> np.ndarray:
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    keep = (
        (side >= _MIN_SIDE)
        & (np.maximum(w, h) <= _MAX_ASPECT * np.maximum(np.minimum(w, h), 1))
        & ~((w >= 0.98 * work.width) & (h >= 0.98 * work.height))
    )
    return boxes[keep]


def crop_square(source: Image.Image, box: Box, size: int, margin: float) -> Image.Image:
    """A size x size crop centred on box, square so the symbol keeps its proportions, padded with black."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = cx - side / 2, cy - side / 2
    if not _inside(source, left, top, side):
        return _padded_crop(source, left, top, side, size)
    return source.resize((size, size), Image.Resampling.BILINEAR, box=(left, top, left + side, top + side))


def _inside(source: Image.Image, left: float, top: float, side: float) -> bool:
    return left >= 0 and top >= 0 and left + side <= source.width and top + side <= source.height


def _padded_crop(source: Image.Image, left: float, top: float, side: float, size: int) -> Image.Image:
    il, it = int(np.floor(left)), int(np.floor(top))
    ir, ib = int(np.ceil(left + side)), int(np.ceil(top + side))
    region = source.crop((il, it, ir, ib))  # Pillow fills outside the image with black
    return region.resize(
        (size, size), Image.Resampling.BILINEAR, box=(left - il, top - it, left - il + side, top - it + side)
    )


def crops_for(
    image: Image.Image, work: Image.Image, scale: float, boxes: np.ndarray, size: int, margin: float
) -> list[Image.Image]:
    """Classifier inputs for boxes found on the working copy: small symbols come from the full image."""
    out = []
    for box in boxes:
        side = max(box[2] - box[0], box[3] - box[1]) * (1 + 2 * margin)
        if scale > 1 and side < 1.5 * size:
            out.append(crop_square(image, tuple(box * scale), size, margin))
        else:
            out.append(crop_square(work, tuple(box), size, margin))
    return out
