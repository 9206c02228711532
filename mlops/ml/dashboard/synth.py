"""Synthetic training scenes: lit tell-tales on procedurally drawn instrument clusters, and non-dashboards.

We have a few dozen clean icons and no labelled photos, so the recogniser learns from scenes drawn here: our
own vector drawings in every style (plus the real icons of a data_dir as extra templates), composited in
their usual colours onto dark panels with gauges, digits and needles around them, then degraded the way
phone photos are (glow, glare, perspective, blur, noise, JPEG). Every scene is a pure function of its seed.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from catalog.symbols import (
    COLOUR_RGB,
    CORE_CODES,
    STANDARD_COLOURS,
    WARNING_LIGHT_CODES,
    render_mask,
    render_text_mask,
    style_count,
)

TEMPLATE_SIDE = 128

# Colours a code is plausibly lit in, with weights. Clusters disagree on red vs amber and many use white,
# but blue is reserved for the high beam and the cold-coolant light, which differ from their neighbours
# (headlights, hot coolant) mainly by colour.
_WARNING = {"red": 0.55, "amber": 0.3, "white": 0.15}
_CAUTION = {"amber": 0.6, "red": 0.2, "white": 0.2}
_INFO = {"green": 0.6, "white": 0.3, "amber": 0.1}
_PALETTES: dict[str, dict[str, float]] = {
    code: {
        "red": _WARNING,
        "amber": _CAUTION,
        "green": _INFO,
        "white": {"white": 0.6, "amber": 0.3, "green": 0.1},
    }.get(STANDARD_COLOURS[code], {"blue": 1.0})
    for code in WARNING_LIGHT_CODES
}
_PALETTES["high_beam"] = {"blue": 1.0}
_PALETTES["coolant_cold"] = {"blue": 0.85, "green": 0.15}
_PALETTES["low_outside_temp"] = {"white": 0.5, "amber": 0.35, "blue": 0.15}
# The fuel pump, thermometer and battery also sit, unlit or white, beside the fuel, temperature and voltage
# gauges. Those are not warnings, so a white one is a decoy (background), never a lit tell-tale.
GAUGE_ICON_CODES = ("low_fuel", "coolant_temp", "battery", "oil_pressure")
for _code in GAUGE_ICON_CODES:
    _PALETTES[_code] = {k: v for k, v in _PALETTES[_code].items() if k != "white"} or {"red": 1.0}

# Lamps that are words. Each phrase is one tell-tale (lines stacked), named by the code it stands for.
WORD_LAMPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "brake": (("BRAKE",), ("BRAKE", "PARK")),
    "tpms": (("TPMS",), ("TIRE", "PRESSURE")),
    "check_engine": (("CHECK", "ENGINE"), ("CHECK ENGINE",), ("SERVICE", "ENGINE", "SOON"), ("SERVICE ENGINE SOON",)),
    "traction_control": (("VSA",), ("ESP",), ("ESC",)),
    "traction_control_off": (("VSA", "OFF"), ("ESP OFF",), ("TCS OFF",)),
    "abs": (("ABS",),),
    "airbag": (("SRS",), ("AIRBAG",)),
    "oil_pressure": (("OIL",),),
    "power_steering": (("EPS",),),
    "service_due": (("SERVICE",),),
    "parking_brake": (("PARK",),),
}
SOURCES = ("chr", "sign", "skafos", "gen")  # the real icon sets, by file-name prefix

_CLUTTER_TEXT = (
    "0", "20", "40", "60", "80", "100", "120", "140", "160", "180", "220", "1", "2", "3", "4", "5", "6", "7",
    "8", "KM/H", "MPH", "X1000", "ODO", "TRIP", "P", "R", "N", "D", "PRND", "12:45", "08:30", "22°", "-4°",
    "15.3", "124568", "37.5", "E", "F", "H", "C", "1/2", "KM", "L/100",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Template:
    """One way a code can look: RGBA, tightly cropped, longest side TEMPLATE_SIDE."""

    code: str
    image: Image.Image
    source: str
    recolour: bool  # drawings are white masks to be tinted; real icons keep their own colour by default


@dataclass(slots=True)
class Scene:
    image: Image.Image
    boxes: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    ignore: list[tuple[int, int, int, int]] = field(default_factory=list)  # symbols cut by the frame
    decoys: list[tuple[int, int, int, int]] = field(default_factory=list)  # white gauge icons: background


def drawn_templates() -> list[Template]:
    out = []
    for code in WARNING_LIGHT_CODES:
        for style in range(style_count(code)):
            mask = render_mask(code, size=TEMPLATE_SIDE, style=style)
            mask = mask.crop(mask.getbbox())
            image = Image.new("RGBA", mask.size, (255, 255, 255, 0))
            image.putalpha(mask)
            out.append(Template(code, _fit(image), f"drawing:{code}:{style}", recolour=True))
    return out


def word_templates() -> list[Template]:
    """The word lamps, in the stroke font and in a sans, at two weights each."""
    out = []
    for code, phrases in WORD_LAMPS.items():
        for lines in phrases:
            for sans in (False, True):
                for weight in (0.8, 1.4):
                    masks = [render_text_mask(line, height=40, weight=weight, sans=sans) for line in lines]
                    gap = 10
                    width = max(m.width for m in masks)
                    stack = Image.new("L", (width, sum(m.height for m in masks) + gap * (len(masks) - 1)), 0)
                    y = 0
                    for m in masks:
                        stack.paste(m, ((width - m.width) // 2, y))
                        y += m.height + gap
                    image = Image.new("RGBA", stack.size, (255, 255, 255, 0))
                    image.putalpha(stack)
                    name = " / ".join(lines)
                    out.append(Template(code, _fit(image), f"word:{code}:{name}:{sans}:{weight}", recolour=True))
    return out


def decoy_templates() -> list[Template]:
    """Gauge icons (fuel pump, thermometer, battery, oil can) that a white-lit gauge shows beside its scale."""
    return [t for t in drawn_templates() if t.code in GAUGE_ICON_CODES]


def icon_folders(data_dir: Path) -> list[Path]:
    """Where a data folder keeps its real icons: dashboard/ and dashboard_more/, or its own <code>/ folders."""
    found = [data_dir / name for name in ("dashboard", "dashboard_more") if (data_dir / name).is_dir()]
    return found or [data_dir]


def icon_source(path: Path) -> str:
    """The source of a real icon: its file-name prefix (chr_abs.png comes from chr)."""
    return path.name.split("_", 1)[0]


def icon_paths(data_dir: Path, *, exclude: frozenset[str] = frozenset()) -> list[Path]:
    paths = [p for root in icon_folders(data_dir) for p in sorted(root.glob("*/*.png"))]
    return [p for p in paths if p.parent.name in STANDARD_COLOURS and icon_source(p) not in exclude]


def real_templates(data_dir: Path, *, exclude: frozenset[str] = frozenset()) -> list[Template]:
    """The real icons of data_dir for codes we know, leaving out the sources in exclude."""
    return [
        Template(p.parent.name, _fit(icon_rgba(p)), f"real:{p.parent.name}/{p.name}", recolour=False)
        for p in icon_paths(data_dir, exclude=exclude)
    ]


def real_backgrounds(data_dir: Path) -> list[np.ndarray]:
    """Photos of clusters with nothing lit (data_dir/dashboard_backgrounds), as float RGB arrays."""
    folder = data_dir / "dashboard_backgrounds"
    out = []
    for path in sorted(folder.glob("*.png")) if folder.is_dir() else []:
        with Image.open(path) as raw:
            rgba = raw.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        flat.alpha_composite(rgba)
        out.append(np.asarray(flat.convert("RGB")).astype(np.float32) / 255)
    return out


@dataclass(frozen=True, slots=True)
class Library:
    """Everything scenes are drawn from."""

    templates: list[Template]
    decoys: list[Template] = field(default_factory=list)
    backgrounds: list[np.ndarray] = field(default_factory=list)


def icon_rgba(path: Path) -> Image.Image:
    """A real icon as a lit symbol on transparency, whatever its background, cropped to the symbol."""
    with Image.open(path) as raw:
        rgba = np.asarray(raw.convert("RGBA")).astype(np.float32) / 255
    rgb, alpha = rgba[..., :3], rgba[..., 3]
    if alpha.min() > 0.99:
        # An opaque image: work out what is background from its border.
        border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
        bg = np.median(border, axis=0)
        value, sat = bg.max(), (bg.max() - bg.min()) / (bg.max() + 1e-3)
        if value > 0.75 and sat < 0.2:  # printed on white: the ink is whatever is far from white
            alpha = np.clip((np.abs(rgb - bg).max(axis=2) - 0.08) / 0.35, 0, 1)
        elif value < 0.25:  # already on black: light is the symbol
            alpha = np.clip((rgb.max(axis=2) - value - 0.05) / 0.3, 0, 1)
        # Otherwise a lit badge with the symbol cut out in black: the whole square is the tell-tale.
    a8 = (alpha * 255).astype(np.uint8)
    out = Image.fromarray(np.dstack([(rgb * 255).astype(np.uint8), a8]), "RGBA")
    box = Image.fromarray(a8).point(lambda v: 255 if v > 40 else 0).getbbox()
    return out.crop(box) if box else out


def _fit(image: Image.Image) -> Image.Image:
    k = TEMPLATE_SIDE / max(image.size)
    size = (max(1, round(image.width * k)), max(1, round(image.height * k)))
    return image.resize(size, Image.Resampling.LANCZOS)


# ---- colours ----
def _pick_colour(rng: np.random.Generator, code: str | None) -> np.ndarray:
    palette = _PALETTES[code] if code else {"red": 0.3, "amber": 0.25, "green": 0.1, "blue": 0.1, "white": 0.25}
    names = list(palette)
    name = names[rng.choice(len(names), p=np.array(list(palette.values())) / sum(palette.values()))]
    return _jitter_colour(rng, np.array(COLOUR_RGB[name], dtype=np.float32) / 255)


def _jitter_colour(rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    # Camera white balance and LED bins both move colours a little; over-exposure pushes them to white.
    rgb = np.clip(rgb * rng.uniform(0.85, 1.15, 3), 0, 1)
    rgb = rgb + (1 - rgb) * rng.uniform(0, 0.25)
    return (rgb / max(rgb.max(), 1e-3)).astype(np.float32)


# ---- backgrounds ----
def _smooth_noise(rng: np.random.Generator, w: int, h: int, cells: int, channels: int = 1) -> np.ndarray:
    gw, gh = max(2, cells), max(2, round(cells * h / w))
    grid = (rng.random((gh, gw, channels)) * 255).astype(np.uint8)
    mode = "L" if channels == 1 else "RGB"
    img = Image.fromarray(grid[..., 0] if channels == 1 else grid, mode).resize((w, h), Image.Resampling.BICUBIC)
    arr = np.asarray(img).astype(np.float32) / 255
    return arr[..., None] if channels == 1 else arr


def _panel(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    tint = rng.uniform(0.6, 1.0, 3)
    level = rng.choice([rng.uniform(0.0, 0.06), rng.uniform(0.04, 0.14), rng.uniform(0.12, 0.26)], p=[0.5, 0.35, 0.15])
    base = np.full((h, w, 3), level, dtype=np.float32) * tint
    base += (_smooth_noise(rng, w, h, int(rng.integers(2, 8))) - 0.5) * rng.uniform(0, 0.08)
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
    xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    r = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    base *= (1 - rng.uniform(0, 0.6) * np.clip(r, 0, 1))[..., None]
    if rng.random() < 0.3:  # fine texture of grained plastic or carbon trim
        base += (rng.random((h, w, 1)).astype(np.float32) - 0.5) * rng.uniform(0.01, 0.05)
    return np.clip(base, 0, 1)


def _clutter(rng: np.random.Generator, canvas: np.ndarray, count: int) -> np.ndarray:
    """Lit things on a cluster that are not tell-tales: gauge rings, ticks, numbers, needles, bars, displays.

    Returns where they are, so symbols can be placed clear of them as on a real cluster.
    """
    h, w = canvas.shape[:2]
    s = min(w, h)
    # One RGBA layer for all items: transparent pixels stay black, so after blurring its RGB is premultiplied.
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for _ in range(count):
        kind = rng.choice(["ring", "text", "needle", "bars", "display", "dots", "strip", "shape"])
        ink = (*(int(c) for c in _pick_colour(rng, None) * rng.uniform(0.5, 1.0) * 255), 255)
        if kind == "ring":
            r = rng.uniform(0.2, 0.7) * s
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            a0 = rng.uniform(0, 360)
            width = max(1, int(rng.uniform(0.004, 0.02) * s))
            draw.arc((cx - r, cy - r, cx + r, cy + r), a0, a0 + rng.uniform(60, 300), fill=ink, width=width)
            for t in np.arange(a0, a0 + 240, rng.uniform(8, 30)):
                u, v = math.cos(math.radians(t)), math.sin(math.radians(t))
                k = rng.uniform(0.85, 0.93)
                draw.line((cx + r * u, cy + r * v, cx + k * r * u, cy + k * r * v), fill=ink, width=width)
        elif kind == "text":
            text = _CLUTTER_TEXT[rng.integers(len(_CLUTTER_TEXT))]
            height = max(6, int(rng.uniform(0.03, 0.14) * s))
            mask = render_text_mask(text, height=height, weight=rng.uniform(0.6, 1.6), sans=bool(rng.random() < 0.5))
            if mask.width < w and mask.height < h:
                at = (int(rng.integers(0, w - mask.width)), int(rng.integers(0, h - mask.height)))
                layer.paste(ink, (*at, at[0] + mask.width, at[1] + mask.height), mask)
        elif kind == "needle":
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            t = rng.uniform(0, 2 * math.pi)
            length = rng.uniform(0.1, 0.45) * s
            width = max(2, int(rng.uniform(0.008, 0.03) * s))
            draw.line((cx, cy, cx + length * math.cos(t), cy + length * math.sin(t)), fill=ink, width=width)
        elif kind == "bars":
            x, y = rng.uniform(0, 0.8 * w), rng.uniform(0, 0.9 * h)
            bw, bh, n = rng.uniform(0.01, 0.04) * s, rng.uniform(0.01, 0.05) * s, int(rng.integers(3, 10))
            vertical = rng.random() < 0.5
            for i in range(n):
                if vertical:
                    draw.rectangle((x, y - i * bh * 1.6, x + bw * 3, y - i * bh * 1.6 + bh), fill=ink)
                else:
                    draw.rectangle((x + i * bw * 1.6, y, x + i * bw * 1.6 + bw, y + bh * 3), fill=ink)
        elif kind == "display":
            x0, y0 = int(rng.uniform(0, 0.7 * w)), int(rng.uniform(0, 0.7 * h))
            x1, y1 = x0 + int(rng.uniform(0.15, 0.4) * w), y0 + int(rng.uniform(0.1, 0.3) * h)
            canvas[y0:y1, x0:x1] += rng.uniform(0.05, 0.2) * _jitter_colour(rng, np.ones(3, np.float32))
            for row in range(int(rng.integers(1, 4))):
                text = _CLUTTER_TEXT[rng.integers(len(_CLUTTER_TEXT))]
                height = max(6, int((y1 - y0) * rng.uniform(0.15, 0.3)))
                mask = render_text_mask(text, height=height, sans=bool(rng.random() < 0.5))
                px, py = x0 + 4, int(y0 + 4 + row * mask.height * 1.4)
                if px + mask.width < w and py + mask.height < h:
                    layer.paste(ink, (px, py, px + mask.width, py + mask.height), mask)
        elif kind == "dots":
            for _ in range(int(rng.integers(1, 6))):
                x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.004, 0.02) * s
                draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)
        elif kind == "strip":
            y = rng.uniform(0, h)
            width = max(1, int(rng.uniform(0.003, 0.012) * s))
            draw.line((0, y, w, y + rng.uniform(-0.2, 0.2) * h), fill=ink, width=width)
        else:
            x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.02, 0.1) * s
            box = (x - r, y - r * rng.uniform(0.3, 1), x + r, y + r)
            if rng.random() < 0.5:
                draw.rectangle(box, outline=ink, width=max(1, int(r / 5)))
            else:
                draw.ellipse(box, outline=ink, width=max(1, int(r / 5)))
    arr = np.asarray(layer.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))).astype(np.float32) / 255
    canvas[:] = canvas * (1 - arr[..., 3:]) + arr[..., :3]
    return arr[..., 3] > 0.1


# ---- placing symbols ----
def _symbol_layer(rng: np.random.Generator, template: Template, height: float) -> tuple[np.ndarray, np.ndarray]:
    """The template scaled, slightly distorted and coloured: (rgb, alpha) arrays."""
    img = template.image
    roll = rng.random()
    # Stroke weight varies continuously between manufacturers, beyond the few weights the drawings come in.
    if roll < 0.3:
        img = img.filter(ImageFilter.MaxFilter(3 if roll < 0.2 else 5))
    elif roll < 0.4:
        img = img.filter(ImageFilter.MinFilter(3))
    if rng.random() < 0.5:
        img = _mesh_warp(rng, img, rng.uniform(0.02, 0.06))
    if template.recolour and rng.random() < 0.08:
        img = _negative(rng, img)
    aspect = img.width / img.height * rng.uniform(0.85, 1.15)
    h = max(4, round(height))
    w = max(4, round(h * aspect))
    img = img.resize((w, h), Image.Resampling.LANCZOS if max(w, h) < TEMPLATE_SIDE else Image.Resampling.BICUBIC)
    if rng.random() < 0.4:
        img = img.rotate(rng.uniform(-7, 7), Image.Resampling.BICUBIC, expand=True)
    arr = np.asarray(img).astype(np.float32) / 255
    alpha = arr[..., 3]
    if template.recolour or rng.random() < 0.35:
        colour = _pick_colour(rng, template.code)
        shade = arr[..., :3].max(axis=2, keepdims=True) if not template.recolour else 1.0
        rgb = np.broadcast_to(colour * shade, arr[..., :3].shape).copy()
    else:
        rgb = _jitter_colour(rng, np.ones(3, np.float32)) * arr[..., :3]
    return rgb, alpha


def _negative(rng: np.random.Generator, img: Image.Image) -> Image.Image:
    """The symbol cut out of a lit badge, as some clusters draw slip, ECO or AUTO lights."""
    pad = round(max(img.size) * rng.uniform(0.08, 0.2))
    badge = Image.new("L", (img.width + 2 * pad, img.height + 2 * pad), 0)
    radius = round(min(badge.size) * rng.uniform(0, 0.25))
    ImageDraw.Draw(badge).rounded_rectangle((0, 0, badge.width - 1, badge.height - 1), radius=radius, fill=255)
    badge.paste(0, (pad, pad), img.getchannel("A"))
    out = Image.new("RGBA", badge.size, (255, 255, 255, 0))
    out.putalpha(badge)
    return out


def _mesh_warp(rng: np.random.Generator, img: Image.Image, amount: float) -> Image.Image:
    """A smooth random distortion on a 3 x 3 mesh: no two manufacturers draw a symbol with the same geometry."""
    pad = round(max(img.size) * (amount + 0.02))
    canvas = Image.new("RGBA", (img.width + 2 * pad, img.height + 2 * pad), (0, 0, 0, 0))
    canvas.paste(img, (pad, pad))
    w, h = canvas.size
    n = 3
    xs, ys = np.linspace(0, w, n + 1), np.linspace(0, h, n + 1)
    jx = rng.uniform(-amount, amount, (n + 1, n + 1)) * w
    jy = rng.uniform(-amount, amount, (n + 1, n + 1)) * h
    jx[:, [0, -1]] = jy[[0, -1], :] = 0  # the frame stays put, so nothing is pushed out of it

    def src(i: int, j: int) -> tuple[float, float]:
        return (float(xs[j] + jx[i, j]), float(ys[i] + jy[i, j]))

    mesh = []
    for i in range(n):
        for j in range(n):
            box = (round(xs[j]), round(ys[i]), round(xs[j + 1]), round(ys[i + 1]))
            quad = (*src(i, j), *src(i + 1, j), *src(i + 1, j + 1), *src(i, j + 1))
            mesh.append((box, quad))
    warped = canvas.transform(canvas.size, Image.Transform.MESH, mesh, Image.Resampling.BILINEAR)
    box = warped.getchannel("A").getbbox()
    return warped.crop(box) if box else img


def _place_symbols(
    rng: np.random.Generator,
    canvas: np.ndarray,
    labels: np.ndarray,
    busy: np.ndarray,
    templates: list[Template],
    count: int,
    close_up: bool,
) -> list[str]:
    h, w = canvas.shape[:2]
    s = min(w, h)
    placed: list[tuple[float, float, float, float]] = []
    codes: list[str] = []
    for _ in range(count):
        template = templates[rng.integers(len(templates))]
        if close_up:
            size = rng.uniform(0.25, 0.85) * s
        else:
            size = math.exp(rng.uniform(math.log(12), math.log(max(13.0, 0.3 * s))))
        rgb, alpha = _symbol_layer(rng, template, size * rng.uniform(0.55, 1.0))
        sh, sw = alpha.shape
        if sw >= w - 2 or sh >= h - 2:
            continue
        gap = rng.uniform(0.08, 0.9) * max(sw, sh)
        # Mostly clear of gauges and text, as on real clusters; sometimes not, so overlaps are seen too.
        clear_of_clutter = rng.random() < 0.9
        for _attempt in range(12):
            x, y = int(rng.integers(0, w - sw)), int(rng.integers(0, h - sh))
            apart = all(x + sw + gap < a or a2 + gap < x or y + sh + gap < b or b2 + gap < y for a, b, a2, b2 in placed)
            if apart and (not clear_of_clutter or not busy[y : y + sh, x : x + sw].any()):
                break
        else:
            continue
        placed.append((x, y, x + sw, y + sh))
        intensity = rng.uniform(0.7, 1.0)
        lit = rgb * intensity
        if rng.random() < 0.35:  # over-exposed LED cores go white on phone cameras
            lit = lit + (1 - lit) * alpha[..., None] ** 2 * rng.uniform(0.2, 0.7)
        glow = rng.uniform(0, 0.7)
        if glow > 0.1:
            _add_glow(canvas, alpha, rgb, (x, y), rng.uniform(1, 1 + sh / 8), glow * intensity)
        region = canvas[y : y + sh, x : x + sw]
        a = alpha[..., None]
        region[:] = region * (1 - a) + lit * a
        index = len(codes) + 1
        labels[y : y + sh, x : x + sw][alpha > 0.35] = index
        codes.append(template.code)
    return codes


def _add_glow(
    canvas: np.ndarray,
    alpha: np.ndarray,
    rgb: np.ndarray,
    at: tuple[int, int],
    radius: float,
    strength: float,
) -> None:
    """Light scattered by the cluster glass: a blurred halo around the symbol, in its colour."""
    h, w = canvas.shape[:2]
    sh, sw = alpha.shape
    pad = int(3 * radius) + 1
    x0, y0 = max(0, at[0] - pad), max(0, at[1] - pad)
    x1, y1 = min(w, at[0] + sw + pad), min(h, at[1] + sh + pad)
    halo = Image.new("L", (x1 - x0, y1 - y0), 0)
    halo.paste(Image.fromarray((alpha * 255).astype(np.uint8)), (at[0] - x0, at[1] - y0))
    g = np.asarray(halo.filter(ImageFilter.GaussianBlur(radius))).astype(np.float32)[..., None] / 255
    tone = (rgb * alpha[..., None]).sum(axis=(0, 1)) / max(float(alpha.sum()), 1e-3)
    canvas[y0:y1, x0:x1] += g * strength * tone


# ---- degradations ----
def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE coefficients mapping output points dst to input points src."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def _warp(rng: np.random.Generator, image: Image.Image, labels: Image.Image) -> tuple[Image.Image, Image.Image]:
    w, h = image.size
    j = rng.uniform(0.02, 0.1)
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    moved = [(x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h) for x, y in corners]
    coeffs = _perspective_coeffs(moved, corners)
    return (
        image.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR),
        labels.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.NEAREST),
    )


def _glare(rng: np.random.Generator, canvas: np.ndarray) -> None:
    h, w = canvas.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    rx, ry = rng.uniform(0.1, 0.6) * w, rng.uniform(0.05, 0.4) * h
    t = rng.uniform(0, math.pi)
    u = ((xx - cx) * math.cos(t) + (yy - cy) * math.sin(t)) / rx
    v = (-(xx - cx) * math.sin(t) + (yy - cy) * math.cos(t)) / ry
    blob = np.exp(-(u**2 + v**2) * 2)
    canvas += blob[..., None] * rng.uniform(0.05, 0.45) * _jitter_colour(rng, np.ones(3, np.float32))


def _degrade(rng: np.random.Generator, canvas: np.ndarray) -> Image.Image:
    """Photometric camera effects on the float canvas, returning the 8-bit photo."""
    if rng.random() < 0.35:
        _glare(rng, canvas)
    canvas *= rng.uniform(0.85, 1.25)
    if rng.random() < 0.8:
        canvas += rng.standard_normal(canvas.shape, dtype=np.float32) * rng.uniform(0.003, 0.035)
    np.clip(canvas, 0, 1, out=canvas)
    image = Image.fromarray((canvas * 255).astype(np.uint8), "RGB")
    gamma = rng.uniform(0.75, 1.3)
    return image.point([round(255 * (i / 255) ** gamma) for i in range(256)] * 3)


def _blur_and_compress(rng: np.random.Generator, image: Image.Image) -> Image.Image:
    roll = rng.random()
    if roll < 0.35:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.8)))
    elif roll < 0.5:
        image = image.filter(ImageFilter.BoxBlur(rng.uniform(0.5, 2.0)))
    if rng.random() < 0.25:  # a low-resolution camera or a zoomed crop
        w, h = image.size
        k = rng.uniform(0.35, 0.8)
        image = image.resize((max(8, int(w * k)), max(8, int(h * k))), Image.Resampling.BILINEAR).resize(
            (w, h), Image.Resampling.BILINEAR
        )
    if rng.random() < 0.75:
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=int(rng.integers(25, 95)))
        image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return image


# ---- scenes ----
def _scene_size(rng: np.random.Generator) -> tuple[int, int]:
    long = int(math.exp(rng.uniform(math.log(240), math.log(760))))
    aspect = rng.choice([4 / 3, 16 / 9, 1.0, 3 / 2])
    short = int(long / aspect)
    return (long, short) if rng.random() < 0.8 else (short, long)


def _real_panel(rng: np.random.Generator, backgrounds: list[np.ndarray], w: int, h: int) -> np.ndarray:
    """A random view of a real cluster photo with nothing lit, scaled to w x h and re-exposed."""
    source = backgrounds[rng.integers(len(backgrounds))]
    sh, sw = source.shape[:2]
    k = rng.uniform(0.45, 1.0)
    cw, ch = max(8, int(sw * k)), max(8, int(sw * k * h / w))
    if ch > sh:
        ch, cw = sh, max(8, int(sh * w / h))
    x, y = int(rng.integers(0, sw - cw + 1)), int(rng.integers(0, sh - ch + 1))
    view = Image.fromarray((source[y : y + ch, x : x + cw] * 255).astype(np.uint8), "RGB")
    if rng.random() < 0.5:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    arr = np.asarray(view.resize((w, h), Image.Resampling.BILINEAR)).astype(np.float32) / 255
    return np.clip(arr * rng.uniform(0.5, 1.2) * rng.uniform(0.9, 1.1, 3).astype(np.float32), 0, 1)


def _place_decoys(
    rng: np.random.Generator, canvas: np.ndarray, decoys: list[Template], count: int
) -> list[tuple[int, int, int, int]]:
    """White or pale gauge icons beside where a gauge would be: not warnings, so never labelled."""
    h, w = canvas.shape[:2]
    boxes = []
    for _ in range(count):
        t = decoys[rng.integers(len(decoys))]
        size = math.exp(rng.uniform(math.log(12), math.log(max(13.0, 0.16 * min(w, h)))))
        img = t.image.resize(
            (max(4, round(size * t.image.width / t.image.height)), max(4, round(size))), Image.Resampling.LANCZOS
        )
        alpha = np.asarray(img.getchannel("A")).astype(np.float32) / 255
        sh, sw = alpha.shape
        if sw >= w - 2 or sh >= h - 2:
            continue
        x, y = int(rng.integers(0, w - sw)), int(rng.integers(0, h - sh))
        pale = np.array([1.0, 1.0, 1.0], np.float32) * rng.uniform(0.55, 1.0)
        if rng.random() < 0.3:  # gauges lit in the cluster's backlight tint
            pale = pale * rng.uniform(0.75, 1.0, 3).astype(np.float32)
        region = canvas[y : y + sh, x : x + sw]
        region[:] = region * (1 - alpha[..., None]) + pale * alpha[..., None]
        boxes.append((x, y, x + sw, y + sh))
    return boxes


def dashboard_scene(rng: np.random.Generator, library: Library) -> Scene:
    w, h = _scene_size(rng)
    real = bool(library.backgrounds) and rng.random() < 0.35
    canvas = _real_panel(rng, library.backgrounds, w, h) if real else _panel(rng, w, h)
    clutter = int(rng.integers(0, 4 if real else 9))
    busy = _clutter(rng, canvas, clutter) if rng.random() < 0.85 else np.zeros((h, w), bool)
    labels = np.zeros((h, w), np.uint8)
    close_up = rng.random() < 0.3
    count = int(rng.integers(1, 4)) if close_up else int(rng.integers(0, 9))
    decoys: list[tuple[int, int, int, int]] = []
    if library.decoys and not close_up and rng.random() < 0.4:
        decoys = _place_decoys(rng, canvas, library.decoys, int(rng.integers(1, 4)))
        for x0, y0, x1, y1 in decoys:
            busy[y0:y1, x0:x1] = True
    codes = _place_symbols(rng, canvas, labels, busy, library.templates, count, close_up)
    image = _degrade(rng, canvas)
    label_img = Image.fromarray(labels, "L")
    warped = rng.random() < 0.5
    if warped:
        image, label_img = _warp(rng, image, label_img)
    image = _blur_and_compress(rng, image)
    scene = _scene_with_boxes(image, np.asarray(label_img), codes, labels)
    if not warped:  # after a warp their boxes are not known exactly: they only ever appear unwarped
        scene.decoys = decoys
    return scene


def plain_close_up(rng: np.random.Generator, library: Library) -> Scene:
    """One symbol filling most of the frame on a plain dark or light background, as drivers zoom in."""
    w, h = _scene_size(rng)
    light = rng.random() < 0.4
    if light:
        base = rng.uniform(0.7, 1.0) * rng.uniform(0.9, 1.0, 3)
    else:
        base = rng.uniform(0.0, 0.2) * rng.uniform(0.7, 1.0, 3)
    canvas = np.full((h, w, 3), base, np.float32)
    canvas += (_smooth_noise(rng, w, h, int(rng.integers(2, 6))) - 0.5) * rng.uniform(0, 0.1)
    template = library.templates[rng.integers(len(library.templates))]
    s = min(w, h)
    rgb, alpha = _symbol_layer(rng, template, rng.uniform(0.45, 0.92) * s)
    if light and rng.random() < 0.25:  # printed in dark ink
        rgb = np.broadcast_to(np.float32(rng.uniform(0.05, 0.3)), rgb.shape).copy()
    sh, sw = alpha.shape
    if sw > w - 2 or sh > h - 2:
        k = min((w - 2) / sw, (h - 2) / sh)
        layer = Image.fromarray(np.dstack([rgb * 255, alpha * 255]).astype(np.uint8), "RGBA")
        layer = layer.resize((max(4, int(sw * k)), max(4, int(sh * k))), Image.Resampling.BILINEAR)
        arr = np.asarray(layer).astype(np.float32) / 255
        rgb, alpha = arr[..., :3], arr[..., 3]
        sh, sw = alpha.shape
    x = int(rng.integers(0, w - sw + 1))
    y = int(rng.integers(0, h - sh + 1))
    if not light and rng.random() < 0.6:
        _add_glow(canvas, alpha, rgb, (x, y), rng.uniform(1, 1 + sh / 10), rng.uniform(0.2, 0.6))
    region = canvas[y : y + sh, x : x + sw]
    region[:] = region * (1 - alpha[..., None]) + rgb * alpha[..., None]
    labels = np.zeros((h, w), np.uint8)
    labels[y : y + sh, x : x + sw][alpha > 0.35] = 1
    image = _degrade(rng, np.clip(canvas, 0, 1))
    label_img = Image.fromarray(labels, "L")
    if rng.random() < 0.4:
        image, label_img = _warp(rng, image, label_img)
    image = _blur_and_compress(rng, image)
    return _scene_with_boxes(image, np.asarray(label_img), [template.code], labels)


def _scene_with_boxes(image: Image.Image, warped: np.ndarray, codes: list[str], original: np.ndarray) -> Scene:
    scene = Scene(image)
    for i, code in enumerate(codes, start=1):
        ys, xs = np.nonzero(warped == i)
        if xs.size == 0:
            continue
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        visible = xs.size / max(1, int((original == i).sum()))
        if visible < 0.85 or max(box[2] - box[0], box[3] - box[1]) < 6:
            scene.ignore.append(box)
        else:
            scene.boxes.append((code, box))
    return scene


def negative_scene(rng: np.random.Generator) -> Scene:
    """Something that is not a lit dashboard: textures, gradients, photo-like shapes, bright scenes."""
    w, h = _scene_size(rng)
    kind = rng.choice(["gradient", "texture", "shapes", "stripes", "dark_shapes", "blank"])
    if kind == "gradient":
        a, b = rng.random(3), rng.random(3)
        t = np.linspace(0, 1, w if rng.random() < 0.5 else h, dtype=np.float32)
        ramp = a + (b - a) * t[:, None]
        canvas = np.broadcast_to(ramp[None, :, :] if ramp.shape[0] == w else ramp[:, None, :], (h, w, 3)).copy()
        if rng.random() < 0.5:
            canvas = canvas * (0.5 + _smooth_noise(rng, w, h, 3))
    elif kind == "texture":
        canvas = np.zeros((h, w, 3), np.float32)
        for octave in range(int(rng.integers(1, 5))):
            canvas += (_smooth_noise(rng, w, h, int(3 * 2**octave) + 1, 3) - 0.5) / (octave + 1)
        canvas = canvas * rng.uniform(0.5, 1.5) + rng.uniform(0.1, 0.7)
        if rng.random() < 0.5:
            canvas += rng.random((h, w, 1)).astype(np.float32) * rng.uniform(0.05, 0.5)
    elif kind == "stripes":
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = rng.uniform(0, math.pi)
        period = rng.uniform(4, 60)
        wave = np.sin((xx * math.cos(t) + yy * math.sin(t)) * 2 * math.pi / period) > rng.uniform(-0.5, 0.5)
        canvas = np.where(wave[..., None], rng.random(3), rng.random(3)).astype(np.float32)
    elif kind in ("shapes", "dark_shapes"):
        dark = kind == "dark_shapes"
        base = rng.random(3) * (0.12 if dark else 1.0)
        img = Image.new("RGB", (w, h), tuple(int(c * 255) for c in base))
        draw = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(3, 40))):
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            r = rng.uniform(0.01, 0.3) * min(w, h)
            shape = rng.integers(4)
            if shape == 0:
                draw.ellipse((x - r, y - r, x + r, y + r * rng.uniform(0.3, 1.5)), fill=colour)
            elif shape == 1:
                draw.rectangle((x - r, y - r * rng.uniform(0.2, 1), x + r, y + r), fill=colour)
            elif shape == 2:
                pts = [(x + rng.uniform(-r, r), y + rng.uniform(-r, r)) for _ in range(int(rng.integers(3, 7)))]
                draw.polygon(pts, fill=colour)
            else:
                draw.line(
                    (x, y, x + rng.uniform(-2 * r, 2 * r), y + rng.uniform(-2 * r, 2 * r)),
                    fill=colour,
                    width=max(1, int(r / 4)),
                )
        canvas = np.asarray(img.filter(ImageFilter.GaussianBlur(rng.uniform(0, 2)))).astype(np.float32) / 255
        if not dark:
            canvas = canvas * 0.6 + _smooth_noise(rng, w, h, 4, 3) * 0.4
    else:
        canvas = np.full((h, w, 3), rng.uniform(0, 0.15), np.float32) * rng.uniform(0.7, 1.0, 3).astype(np.float32)
    canvas = np.clip(canvas.astype(np.float32), 0, 1)
    image = _blur_and_compress(rng, _degrade(rng, canvas))
    return Scene(image)


def unlit_cluster(rng: np.random.Generator, library: Library) -> Scene:
    """A real cluster with nothing lit but its gauges, digits and perhaps white gauge icons: no detection."""
    w, h = _scene_size(rng)
    canvas = _real_panel(rng, library.backgrounds, w, h)
    decoys = _place_decoys(rng, canvas, library.decoys, int(rng.integers(0, 3))) if library.decoys else []
    image = _blur_and_compress(rng, _degrade(rng, canvas))
    return Scene(image, decoys=decoys)


def make_scene(seed: tuple[int, ...], library: Library, negative_share: float = 0.15) -> Scene:
    rng = np.random.default_rng(seed)
    roll = rng.random()
    if roll < negative_share:
        if library.backgrounds and rng.random() < 0.4:
            return unlit_cluster(rng, library)
        return negative_scene(rng)
    if roll < negative_share + 0.12:
        return plain_close_up(rng, library)
    return dashboard_scene(rng, library)


def core_weighted(templates: list[Template]) -> list[Template]:
    """Templates repeated so that every code is drawn about equally often, core codes twice as often."""
    by_code: dict[str, list[Template]] = {}
    for t in templates:
        by_code.setdefault(t.code, []).append(t)
    most = max(len(v) for v in by_code.values())
    out: list[Template] = []
    for code, group in by_code.items():
        target = most * (2 if code in CORE_CODES else 1)
        out += [group[i % len(group)] for i in range(target)]
    return out
