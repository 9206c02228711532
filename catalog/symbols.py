"""Vector drawings of the dashboard tell-tales of the CarDoc taxonomy, in the spirit of ISO 2575.

Pillow only: the catalog shows these as icons, and the dashboard model trains on them. Every symbol is drawn
in a unit square (x right, y down) on a supersampled canvas, then cropped to its ink and fitted into the
requested size, so each drawing can use whatever proportions look right without fiddling with margins.

Manufacturers draw the same tell-tale differently, so each code has several variants (outline or filled,
different proportions, text instead of a pictogram) and each variant comes in several stroke weights.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFont, features

WARNING_LIGHT_CODES: tuple[str, ...] = (
    "abs",
    "airbag",
    "battery",
    "brake",
    "check_engine",
    "coolant_temp",
    "door_open",
    "fog_light_front",
    "high_beam",
    "immobilizer",
    "lane_departure",
    "low_fuel",
    "oil_pressure",
    "power_steering",
    "seatbelt",
    "tpms",
    "traction_control",
    "transmission_temp",
    "washer_fluid",
    "auto_high_beam",
    "auto_hold",
    "blind_spot_off",
    "coolant_cold",
    "cruise_control",
    "eco_mode",
    "headlights_on",
    "low_outside_temp",
    "parking_brake",
    "position_lights",
    "pre_collision_off",
    "rcta_off",
    "traction_control_off",
    "glow_plug",
    "dpf",
    "service_due",
    "fog_light_rear",
    "key_not_detected",
    "brake_pad_wear",
    "adblue",
)
CORE_CODES: tuple[str, ...] = WARNING_LIGHT_CODES[:19]

STANDARD_COLOURS: dict[str, str] = {
    "abs": "amber",
    "airbag": "red",
    "battery": "red",
    "brake": "red",
    "check_engine": "amber",
    "coolant_temp": "red",
    "door_open": "red",
    "fog_light_front": "green",
    "high_beam": "blue",
    "immobilizer": "amber",
    "lane_departure": "amber",
    "low_fuel": "amber",
    "oil_pressure": "red",
    "power_steering": "red",
    "seatbelt": "red",
    "tpms": "amber",
    "traction_control": "amber",
    "transmission_temp": "amber",
    "washer_fluid": "amber",
    "auto_high_beam": "green",
    "auto_hold": "green",
    "blind_spot_off": "amber",
    "coolant_cold": "blue",
    "cruise_control": "green",
    "eco_mode": "green",
    "headlights_on": "green",
    "low_outside_temp": "white",
    "parking_brake": "red",
    "position_lights": "green",
    "pre_collision_off": "amber",
    "rcta_off": "amber",
    "traction_control_off": "amber",
    "glow_plug": "amber",
    "dpf": "amber",
    "service_due": "amber",
    "fog_light_rear": "amber",
    "key_not_detected": "amber",
    "brake_pad_wear": "amber",
    "adblue": "amber",
}

# Typical LED colours behind a tinted cluster glass, as seen by a phone camera.
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (235, 40, 30),
    "amber": (255, 190, 20),
    "green": (60, 215, 70),
    "blue": (40, 90, 255),
    "white": (235, 240, 245),
}

_CANVAS = 384  # supersampled working canvas; the unit square maps onto its central part
_PAD = 64
_MARGIN = 0.06  # share of the output kept free on each side
_STROKE = 0.075  # the default stroke width, in units of the symbol box

# Stroke weights applied to every variant: core codes get a thin one too, as some clusters use hairlines.
_CORE_WEIGHTS = (1.0, 1.35, 0.72)
_OTHER_WEIGHTS = (1.0, 1.35)

Point = tuple[float, float]

# Pillow's embedded sans (Aileron) needs FreeType, which Pillow's wheels ship; without it we keep to our font.
_HAS_SANS = features.check("freetype2")
_SANS_CAP_HEIGHT = 0.7  # Aileron's cap height, as a share of its font size


class _Pen:
    """Draws on an L-mode canvas in unit coordinates; ink 0 erases, for cut-outs in filled shapes."""

    def __init__(self, weight: float, *, sans: bool = False) -> None:
        self.weight = weight
        self.sans = sans and _HAS_SANS
        self.scale = _CANVAS - 2 * _PAD
        self.image = Image.new("L", (_CANVAS, _CANVAS), 0)
        self.draw = ImageDraw.Draw(self.image)

    def _xy(self, pt: Point) -> Point:
        return (_PAD + pt[0] * self.scale, _PAD + pt[1] * self.scale)

    def stroke(self, w: float | None = None) -> float:
        return (_STROKE if w is None else w) * self.weight

    def line(self, pts: Sequence[Point], w: float | None = None, *, ink: int = 255, closed: bool = False) -> None:
        width = self.stroke(w) * self.scale
        xy = [self._xy(p) for p in pts]
        if closed:
            xy.append(xy[0])
        self.draw.line(xy, fill=ink, width=max(1, round(width)), joint="curve")
        # Round caps and joints: Pillow's own caps are square and its joints leave notches on tight bends.
        r = width / 2
        for x, y in xy:
            self.draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)

    def arc(
        self,
        c: Point,
        r: float | Point,
        t0: float,
        t1: float,
        w: float | None = None,
        *,
        ink: int = 255,
    ) -> None:
        self.line(arc_points(c, r, t0, t1), w, ink=ink)

    def polygon(self, pts: Sequence[Point], *, ink: int = 255) -> None:
        self.draw.polygon([self._xy(p) for p in pts], fill=ink)

    def ellipse(
        self, c: Point, r: float | Point, w: float | None = None, *, fill: bool = False, ink: int = 255
    ) -> None:
        rx, ry = (r, r) if isinstance(r, float | int) else r
        if fill:
            x0, y0 = self._xy((c[0] - rx, c[1] - ry))
            x1, y1 = self._xy((c[0] + rx, c[1] + ry))
            self.draw.ellipse((x0, y0, x1, y1), fill=ink)
        else:
            self.arc(c, (rx, ry), 0, 360, w, ink=ink)

    def rect(
        self,
        box: tuple[float, float, float, float],
        w: float | None = None,
        *,
        fill: bool = False,
        ink: int = 255,
        radius: float = 0.0,
    ) -> None:
        x0, y0 = self._xy(box[:2])
        x1, y1 = self._xy(box[2:])
        rad = radius * self.scale
        if fill:
            self.draw.rounded_rectangle((x0, y0, x1, y1), radius=rad, fill=ink)
        else:
            width = max(1, round(self.stroke(w) * self.scale))
            half = width / 2
            self.draw.rounded_rectangle(
                (x0 - half, y0 - half, x1 + half, y1 + half), radius=rad + half, outline=ink, width=width
            )

    def dot(self, c: Point, r: float, *, ink: int = 255) -> None:
        self.ellipse(c, r * self.weight**0.5, fill=True, ink=ink)

    def text(
        self,
        s: str,
        c: Point,
        height: float,
        w: float | None = None,
        *,
        condense: float = 1.0,
        track: float = 0.22,
        ink: int = 255,
    ) -> None:
        """Writes s centred on c, in the stroke font below or in a sans; height is the cap height."""
        # Bold styles thicken text less than pictograms, or the counters of letters fill in.
        w = (_STROKE if w is None else w) / self.weight**0.5
        if self.sans:
            self._sans_text(s, c, height, w * self.weight, condense, ink)
            return
        advance = [(_GLYPHS[ch][0] * condense + track) * height for ch in s]
        total = sum(advance) - track * height
        x = c[0] - total / 2
        top = c[1] - height / 2
        for ch, adv in zip(s, advance, strict=True):
            for stroke in _GLYPHS[ch][1]:
                pts = [(x + px * condense * height, top + py * height) for px, py in stroke]
                self.line(pts, w, ink=ink)
            x += adv

    def _sans_text(self, s: str, c: Point, height: float, w: float, condense: float, ink: int) -> None:
        """Clusters mostly letter their lights in a bold, often condensed sans: Aileron, thickened to w."""
        cap = height * self.scale
        size = max(8, round(cap / _SANS_CAP_HEIGHT))
        font = ImageFont.load_default(size=size)
        stroke = max(0, round((w * self.scale - 0.1 * size) / 2))
        scratch = Image.new("L", (size * (len(s) + 1) + 4 * stroke, 2 * size + 4 * stroke), 0)
        ImageDraw.Draw(scratch).text(
            (2 * stroke, 2 * stroke), s, font=font, fill=255, stroke_width=stroke, stroke_fill=255
        )
        box = scratch.getbbox()
        if box is None:
            return
        glyphs = scratch.crop(box)
        glyphs = glyphs.resize((max(1, round(glyphs.width * condense * 0.9)), glyphs.height), Image.Resampling.BILINEAR)
        x, y = self._xy(c)
        self.image.paste(ink, (round(x - glyphs.width / 2), round(y - glyphs.height / 2)), glyphs)

    def finish(self, size: int) -> Image.Image:
        """Crops the ink and fits it, centred, into a size x size mask."""
        box = self.image.getbbox()
        out = Image.new("L", (size, size), 0)
        if box is None:
            return out
        ink = self.image.crop(box)
        room = size * (1 - 2 * _MARGIN)
        k = room / max(ink.width, ink.height)
        tw, th = max(1, round(ink.width * k)), max(1, round(ink.height * k))
        ink = ink.resize((tw, th), Image.Resampling.LANCZOS, reducing_gap=3.0)
        out.paste(ink, ((size - tw) // 2, (size - th) // 2))
        return out


def arc_points(c: Point, r: float | Point, t0: float, t1: float, step: float = 6.0) -> list[Point]:
    """Points along an ellipse from angle t0 to t1 in degrees, counter-clockwise as seen (y grows down)."""
    rx, ry = (r, r) if isinstance(r, float | int) else r
    n = max(2, math.ceil(abs(t1 - t0) / step) + 1)
    pts = []
    for i in range(n):
        t = math.radians(t0 + (t1 - t0) * i / (n - 1))
        pts.append((c[0] + rx * math.cos(t), c[1] - ry * math.sin(t)))
    return pts


def _wave(x0: float, x1: float, y: float, amp: float, periods: float, step: int = 40) -> list[Point]:
    return [(x0 + (x1 - x0) * i / step, y + amp * math.sin(2 * math.pi * periods * i / step)) for i in range(step + 1)]


# ---- the stroke font: just enough capitals, digits and marks for tell-tales and dashboard clutter ----
# Each glyph is (advance width, strokes); strokes are polylines in a box with cap height 1, y down.
def _g(width: float, *strokes: list[Point]) -> tuple[float, list[list[Point]]]:
    return (width, list(strokes))


_GLYPHS: dict[str, tuple[float, list[list[Point]]]] = {
    " ": _g(0.35),
    "A": _g(0.64, [(0, 1), (0.32, 0), (0.64, 1)], [(0.13, 0.64), (0.51, 0.64)]),
    "B": _g(
        0.56,
        [(0.26, 0.48), (0, 0.48), (0, 0), (0.26, 0), *arc_points((0.26, 0.24), 0.24, 90, -90)],
        [(0, 0.48), (0, 1), (0.3, 1), *arc_points((0.3, 0.74), 0.26, -90, 90), (0, 0.48)],
    ),
    "C": _g(0.58, arc_points((0.31, 0.5), (0.31, 0.5), 50, 310)),
    "D": _g(0.6, [(0.22, 0), (0, 0), (0, 1), (0.22, 1), *arc_points((0.22, 0.5), (0.38, 0.5), -90, 90)]),
    "E": _g(0.5, [(0.5, 0), (0, 0), (0, 1), (0.5, 1)], [(0, 0.5), (0.42, 0.5)]),
    "F": _g(0.5, [(0.5, 0), (0, 0), (0, 1)], [(0, 0.5), (0.42, 0.5)]),
    "G": _g(0.62, [*arc_points((0.31, 0.5), (0.31, 0.5), 50, 360), (0.62, 0.56), (0.38, 0.56)]),
    "H": _g(0.58, [(0, 0), (0, 1)], [(0.58, 0), (0.58, 1)], [(0, 0.5), (0.58, 0.5)]),
    "I": _g(0.0, [(0, 0), (0, 1)]),
    "K": _g(0.56, [(0, 0), (0, 1)], [(0.56, 0), (0, 0.62)], [(0.18, 0.46), (0.58, 1)]),
    "L": _g(0.48, [(0, 0), (0, 1), (0.48, 1)]),
    "M": _g(0.74, [(0, 1), (0, 0), (0.37, 0.7), (0.74, 0), (0.74, 1)]),
    "N": _g(0.6, [(0, 1), (0, 0), (0.6, 1), (0.6, 0)]),
    "O": _g(0.66, arc_points((0.33, 0.5), (0.33, 0.5), 0, 360)),
    "P": _g(0.54, [(0, 1), (0, 0), (0.28, 0), *arc_points((0.28, 0.26), 0.26, 90, -90), (0, 0.52)]),
    "R": _g(
        0.56,
        [(0, 1), (0, 0), (0.28, 0), *arc_points((0.28, 0.26), 0.26, 90, -90), (0, 0.52)],
        [(0.26, 0.52), (0.56, 1)],
    ),
    "S": _g(
        0.56,
        arc_points((0.28, 0.255), (0.27, 0.255), 15, 270) + arc_points((0.28, 0.755), (0.28, 0.245), 90, -165),
    ),
    "T": _g(0.6, [(0, 0), (0.6, 0)], [(0.3, 0), (0.3, 1)]),
    "U": _g(0.58, [(0, 0), (0, 0.68), *arc_points((0.29, 0.68), (0.29, 0.32), 180, 360), (0.58, 0)]),
    "V": _g(0.62, [(0, 0), (0.31, 1), (0.62, 0)]),
    "W": _g(0.86, [(0, 0), (0.2, 1), (0.43, 0.25), (0.66, 1), (0.86, 0)]),
    "X": _g(0.6, [(0, 0), (0.6, 1)], [(0.6, 0), (0, 1)]),
    "Y": _g(0.62, [(0, 0), (0.31, 0.52), (0.62, 0)], [(0.31, 0.52), (0.31, 1)]),
    "Z": _g(0.56, [(0, 0), (0.56, 0), (0, 1), (0.56, 1)]),
    "0": _g(0.56, arc_points((0.28, 0.5), (0.28, 0.5), 0, 360)),
    "1": _g(0.3, [(0, 0.2), (0.3, 0), (0.3, 1)]),
    "2": _g(0.54, [*arc_points((0.27, 0.27), 0.27, 160, -40), (0, 1), (0.56, 1)]),
    "3": _g(0.54, arc_points((0.26, 0.25), 0.25, 150, -90) + arc_points((0.26, 0.74), 0.26, 90, -150)),
    "4": _g(0.58, [(0.44, 1), (0.44, 0), (0, 0.68), (0.6, 0.68)]),
    "5": _g(0.54, [(0.52, 0), (0.06, 0), (0.02, 0.44), *arc_points((0.27, 0.69), (0.27, 0.31), 130, -150)]),
    "6": _g(0.56, arc_points((0.28, 0.7), (0.28, 0.3), 0, 360), arc_points((0.56, 0.7), (0.56, 0.7), 180, 100)),
    "7": _g(0.54, [(0, 0), (0.54, 0), (0.18, 1)]),
    "8": _g(0.56, arc_points((0.28, 0.24), 0.24, -90, 270), arc_points((0.28, 0.74), (0.28, 0.26), 90, 450)),
    "9": _g(0.56, arc_points((0.28, 0.3), (0.28, 0.3), 0, 360) + arc_points((0.0, 0.3), (0.56, 0.7), 0, -80)),
    "!": _g(0.0, [(0, 0), (0, 0.64)], [(0, 0.97), (0, 0.98)]),
    "/": _g(0.4, [(0.4, 0), (0, 1)]),
    ":": _g(0.0, [(0, 0.3), (0, 0.31)], [(0, 0.9), (0, 0.91)]),
    ".": _g(0.0, [(0, 0.98), (0, 0.99)]),
    "-": _g(0.4, [(0, 0.55), (0.4, 0.55)]),
    "°": _g(0.3, arc_points((0.15, 0.15), 0.15, 0, 360)),
}


# ---- shared parts ----
def _side_arcs(p: _Pen, c: Point, r: float, w: float | None = None, span: float = 50) -> None:
    """The two brackets '(' ')' around brake-family symbols."""
    p.arc(c, r, 180 - span, 180 + span, w)
    p.arc(c, r, -span, span, w)


def _dashed_side_arcs(p: _Pen, c: Point, r: float, w: float | None = None) -> None:
    for t in (-40, -8, 24):
        p.arc(c, r, t, t + 18, w)
        p.arc(c, r, 180 - t - 18, 180 - t, w)


def _exclamation(p: _Pen, x: float, top: float, bottom: float, w: float | None = None) -> None:
    h = bottom - top
    p.line([(x, top), (x, top + 0.66 * h)], w)
    p.dot((x, bottom - 0.06 * h), p.stroke(w) * 0.62)


def _car_front(p: _Pen, c: Point, width: float, *, filled: bool, w: float | None = None, ink: int = 255) -> None:
    """A car seen from the front or back: roof, glasshouse, body, lamps and wheels; ink 0 cuts it out."""
    hole = 255 - ink
    cx, cy = c
    h = width * 0.62
    top, mid, low = cy - h / 2, cy - h * 0.05, cy + h * 0.32
    roof = [(cx - width * 0.28, top), (cx + width * 0.28, top)]
    glass = [(cx + width * 0.38, mid), (cx - width * 0.38, mid)]
    body = (cx - width / 2, mid, cx + width / 2, low)
    if filled:
        p.polygon([roof[0], roof[1], (cx + width * 0.4, mid + 0.02), (cx - width * 0.4, mid + 0.02)], ink=ink)
        p.rect(body, fill=True, radius=width * 0.06, ink=ink)
        inset = width * 0.08
        p.polygon(
            [
                (cx - width * 0.24, top + inset * 0.6),
                (cx + width * 0.24, top + inset * 0.6),
                (cx + width * 0.31, mid - inset * 0.2),
                (cx - width * 0.31, mid - inset * 0.2),
            ],
            ink=hole,
        )
        for s in (-1, 1):
            p.ellipse((cx + s * width * 0.33, (mid + low) / 2), (width * 0.07, width * 0.045), fill=True, ink=hole)
    else:
        p.line([glass[1], roof[0], roof[1], glass[0]], w)
        p.rect(body, w, radius=width * 0.06)
        for s in (-1, 1):
            p.ellipse((cx + s * width * 0.33, (mid + low) / 2), width * 0.04, fill=True)
    for s in (-1, 1):
        x = cx + s * width * 0.36
        p.rect((x - width * 0.08, low, x + width * 0.08, low + h * 0.2), fill=True, radius=width * 0.02, ink=ink)
    p.line([(cx - width * 0.56, mid - h * 0.06), (cx - width * 0.46, mid)], w, ink=ink)
    p.line([(cx + width * 0.56, mid - h * 0.06), (cx + width * 0.46, mid)], w, ink=ink)


def _car_side(p: _Pen, x0: float, y0: float, length: float, *, filled: bool, w: float | None = None) -> None:
    """A saloon seen from the side, nose to the right; (x0, y0) is the rear of the roofline."""
    L = length
    pts = [
        (x0, y0 + 0.26 * L),
        (x0 + 0.02 * L, y0 + 0.14 * L),
        (x0 + 0.2 * L, y0 + 0.12 * L),
        (x0 + 0.32 * L, y0),
        (x0 + 0.62 * L, y0),
        (x0 + 0.76 * L, y0 + 0.13 * L),
        (x0 + 0.96 * L, y0 + 0.16 * L),
        (x0 + L, y0 + 0.26 * L),
    ]
    wheels = [(x0 + 0.22 * L, y0 + 0.27 * L), (x0 + 0.78 * L, y0 + 0.27 * L)]
    if filled:
        p.polygon(pts)
        p.polygon(
            [
                (x0 + 0.36 * L, y0 + 0.04 * L),
                (x0 + 0.6 * L, y0 + 0.04 * L),
                (x0 + 0.7 * L, y0 + 0.12 * L),
                (x0 + 0.28 * L, y0 + 0.12 * L),
            ],
            ink=0,
        )
        for wc in wheels:
            p.ellipse(wc, 0.11 * L, fill=True, ink=0)
            p.ellipse(wc, 0.08 * L, fill=True)
    else:
        p.line([*pts, (x0 + 0.9 * L, y0 + 0.26 * L)], w)
        p.line([(x0 + 0.34 * L, y0 + 0.26 * L), (x0 + 0.66 * L, y0 + 0.26 * L)], w)
        p.line([(x0 + 0.0 * L, y0 + 0.26 * L), (x0 + 0.1 * L, y0 + 0.26 * L)], w)
        for wc in wheels:
            p.arc(wc, 0.1 * L, 0, 180, w)
            p.ellipse((wc[0], wc[1] + 0.02 * L), 0.06 * L, fill=True)


def _car_top(
    p: _Pen,
    c: Point,
    length: float,
    angle: float,
    w: float | None = None,
    *,
    doors: bool = False,
    glass: bool = False,
) -> None:
    """A car seen from above, nose up, rotated by angle degrees (clockwise as seen)."""
    a = math.radians(angle)

    def rot(x: float, y: float) -> Point:
        return (c[0] + x * math.cos(a) - y * math.sin(a), c[1] + x * math.sin(a) + y * math.cos(a))

    hw, hl = length * (0.2 if glass else 0.24), length / 2
    outline = [
        (-hw, -hl + 0.1 * length),
        (-hw * 0.7, -hl),
        (hw * 0.7, -hl),
        (hw, -hl + 0.1 * length),
        (hw, hl - 0.06 * length),
        (hw * 0.8, hl),
        (-hw * 0.8, hl),
        (-hw, hl - 0.06 * length),
    ]
    p.line([rot(x, y) for x, y in outline], w, closed=True)
    if glass:
        front = [
            (-hw * 0.7, -hl * 0.3),
            (hw * 0.7, -hl * 0.3),
            (hw * 0.55, -hl * 0.55),
            (-hw * 0.55, -hl * 0.55),
        ]
        rear = [
            (-hw * 0.7, hl * 0.55),
            (hw * 0.7, hl * 0.55),
            (hw * 0.55, hl * 0.75),
            (-hw * 0.55, hl * 0.75),
        ]
        p.polygon([rot(x, y) for x, y in front])
        p.polygon([rot(x, y) for x, y in rear])
        return
    # Windscreen and rear window as curved bars: they are what makes a box read as a car.
    p.line(
        [
            rot(x, -hl * 0.42 + 0.05 * length * (1 - (x / hw) ** 2))
            for x in (-hw * 0.6, -hw * 0.3, 0, hw * 0.3, hw * 0.6)
        ],
        w,
    )
    p.line(
        [rot(x, hl * 0.5 - 0.04 * length * (1 - (x / hw) ** 2)) for x in (-hw * 0.6, -hw * 0.3, 0, hw * 0.3, hw * 0.6)],
        w,
    )
    if doors:
        for s in (-1, 1):
            p.line([rot(s * hw, -0.12 * length), rot(s * (hw + 0.22 * length), -0.02 * length)], w)
            p.line([rot(s * hw, 0.14 * length), rot(s * (hw + 0.22 * length), 0.24 * length)], w)


def _lamp(
    p: _Pen,
    flat_x: float,
    cy: float,
    h: float,
    depth: float,
    *,
    facing: int,
    fill: bool = False,
    w: float | None = None,
) -> None:
    """A headlamp 'D': a flat edge at flat_x and a bulge of the given depth; facing -1 bulges left."""
    t0, t1 = (-90, 90) if facing > 0 else (90, 270)
    pts = arc_points((flat_x, cy), (depth, h / 2), t0, t1)
    if fill:
        p.polygon(pts)
    else:
        p.line(pts, w, closed=True)


def _thermometer(
    p: _Pen,
    x: float,
    top: float,
    bulb_y: float,
    w: float | None,
    *,
    ticks: int = 3,
    both_sides: bool = False,
    hollow: bool = False,
) -> None:
    if hollow:
        r = 0.045
        p.line([(x - r, bulb_y - 0.06), *arc_points((x, top + r), r, 180, 0), (x + r, bulb_y - 0.06)], w)
        p.ellipse((x, bulb_y), 0.085, w)
        p.ellipse((x, bulb_y), 0.035, fill=True)
    else:
        p.line([(x, top), (x, bulb_y)], w)
        p.dot((x, bulb_y), 0.085)
    span = bulb_y - top - 0.12
    for i in range(ticks):
        y = top + 0.04 + span * i / max(1, ticks - 1) * 0.85
        p.line([(x + 0.05, y), (x + 0.17, y)], (w or _STROKE) * 0.8)
        if both_sides:
            p.line([(x - 0.05, y), (x - 0.17, y)], (w or _STROKE) * 0.8)


def _off(p: _Pen, c: Point, h: float, w: float | None = None) -> None:
    p.text("OFF", c, h, w, condense=0.9)


def _skid(
    p: _Pen,
    x: float,
    y0: float,
    y1: float,
    sign: int,
    w: float | None = None,
    *,
    ink: int = 255,
    spread: float = 0.08,
) -> None:
    """A skid trace: an S-bend wandering outwards by `spread` as it comes down."""
    pts = []
    for i in range(25):
        t = i / 24
        pts.append((x + sign * (spread * t + 0.06 * math.sin(t * 2 * math.pi)), y0 + (y1 - y0) * t))
    p.line(pts, w, ink=ink)


def _key(p: _Pen, c: Point, length: float, angle: float, w: float | None = None, *, ink: int = 255) -> None:
    a = math.radians(angle)

    def rot(x: float, y: float) -> Point:
        return (c[0] + x * math.cos(a) - y * math.sin(a), c[1] + x * math.sin(a) + y * math.cos(a))

    r = length * 0.2
    head = (-length / 2 + r, 0.0)
    p.line(
        [rot(head[0] + r * math.cos(t), r * math.sin(t)) for t in (i * math.pi / 12 for i in range(25))],
        w,
        ink=ink,
    )
    p.line([rot(head[0] + r, 0), rot(length / 2, 0)], w, ink=ink)
    for x in (length * 0.3, length * 0.45):
        p.line([rot(x, 0), rot(x, length * 0.14)], w, ink=ink)


# ---- the symbols: one function per code, taking the pen and a variant number ----
def _abs(p: _Pen, v: int) -> None:
    if v == 0:
        p.ellipse((0.5, 0.5), 0.3)
        _side_arcs(p, (0.5, 0.5), 0.44)
        p.text("ABS", (0.5, 0.5), 0.17, 0.05)
    elif v == 1:
        p.text("ABS", (0.5, 0.5), 0.36, 0.1, condense=1.05)
    elif v == 2:
        p.ellipse((0.5, 0.5), 0.34)
        p.text("ABS", (0.5, 0.5), 0.2, 0.06)
    else:
        _side_arcs(p, (0.5, 0.5), 0.4, span=55)
        p.text("ABS", (0.5, 0.5), 0.22, 0.07, condense=0.85)


def _airbag(p: _Pen, v: int) -> None:
    if v == 2:
        p.text("AIR", (0.5, 0.32), 0.26, 0.07)
        p.text("BAG", (0.5, 0.7), 0.26, 0.07)
        return
    # A seated passenger facing left with the inflated bag in front of the face.
    if v == 0:
        p.dot((0.8, 0.22), 0.12)
        p.dot((0.3, 0.27), 0.23)
        p.line([(0.8, 0.44), (0.44, 0.64)], 0.17)
        p.line([(0.44, 0.64), (0.1, 0.9)], 0.13)
        p.line([(0.58, 0.52), (0.86, 0.94)], 0.13, ink=0)
        p.line([(0.6, 0.56), (0.84, 0.92)], 0.07)
        return
    p.dot((0.77, 0.2), 0.08)
    p.line([(0.72, 0.42), (0.5, 0.7), (0.12, 0.74), (0.08, 0.95)], 0.1)
    p.line([(0.6, 0.42), (0.48, 0.3)], 0.08)
    p.ellipse((0.28, 0.26), 0.16)
    p.line([(0.86, 0.36), (0.58, 0.82)], 0.06, ink=0)
    p.line([(0.9, 0.34), (0.6, 0.82)], 0.035)


def _battery(p: _Pen, v: int) -> None:
    top = 0.3 if v != 2 else 0.36
    if v == 1:
        p.rect((0.08, top, 0.92, 0.86), fill=True, radius=0.03)
        p.line([(0.2, 0.56), (0.36, 0.56)], 0.06, ink=0)
        p.line([(0.64, 0.56), (0.8, 0.56)], 0.06, ink=0)
        p.line([(0.72, 0.48), (0.72, 0.64)], 0.06, ink=0)
    else:
        p.rect((0.08, top, 0.92, 0.86))
        p.line([(0.2, 0.56), (0.36, 0.56)])
        p.line([(0.64, 0.56), (0.8, 0.56)])
        p.line([(0.72, 0.48), (0.72, 0.64)])
    tw = 0.12 if v != 2 else 0.18
    for x in (0.25, 0.75):
        p.rect((x - tw / 2, top - 0.1, x + tw / 2, top), fill=True)


def _brake(p: _Pen, v: int) -> None:
    if v == 2:
        p.text("BRAKE", (0.5, 0.5), 0.3, 0.09, condense=0.72, track=0.16)
        return
    r = 0.3 if v != 3 else 0.26
    p.ellipse((0.5, 0.5), r, 0.085 if v == 1 else None)
    _exclamation(p, 0.5, 0.5 - r * 0.62, 0.5 + r * 0.62, 0.085 if v == 1 else None)
    if v == 3:
        _side_arcs(p, (0.5, 0.5), 0.38)
        _side_arcs(p, (0.5, 0.5), 0.48, 0.05, span=35)
    else:
        _side_arcs(p, (0.5, 0.5), 0.44, 0.085 if v == 1 else None)


def _engine_outline(tall: float) -> list[Point]:
    return [
        (0.26, 0.36), (0.7, 0.36), (0.76, 0.46), (0.84, 0.46), (0.84, 0.38), (0.92, 0.32),
        (0.92, 0.36 + tall + 0.06), (0.84, 0.36 + tall), (0.84, 0.3 + tall), (0.76, 0.3 + tall),
        (0.68, 0.4 + tall), (0.38, 0.4 + tall), (0.26, 0.3 + tall),
    ]  # fmt: skip


def _engine_block(p: _Pen) -> None:
    """The squarer engine many Japanese clusters use: wide filler cap, stepped fan housing on the right."""
    body = [
        (0.22, 0.38), (0.7, 0.38), (0.76, 0.44), (0.84, 0.44), (0.84, 0.49), (0.92, 0.49), (0.92, 0.63),
        (0.84, 0.63), (0.84, 0.68), (0.74, 0.68), (0.66, 0.76), (0.3, 0.76), (0.22, 0.68),
    ]  # fmt: skip
    p.line(body, 0.05, closed=True)
    p.line([(0.46, 0.38), (0.46, 0.29)], 0.06)
    p.line([(0.32, 0.27), (0.6, 0.27)], 0.08)
    p.line([(0.22, 0.56), (0.1, 0.56)], 0.05)
    p.line([(0.1, 0.47), (0.1, 0.65)], 0.05)


def _check_engine(p: _Pen, v: int) -> None:
    if v == 4:
        _engine_block(p)
        return
    tall = 0.4 if v != 3 else 0.5
    body = _engine_outline(tall)
    if v == 1:
        p.polygon(body)
        p.line(body, 0.04, closed=True)
    else:
        p.line(body, closed=True)
    p.line([(0.48, 0.36), (0.48, 0.26)])
    p.line([(0.36, 0.24), (0.6, 0.24)] if v != 3 else [(0.4, 0.24), (0.56, 0.24)])
    mid = 0.36 + tall / 2
    p.line([(0.26, mid), (0.12, mid)])
    p.line([(0.12, mid - 0.13), (0.12, mid + 0.13)])
    if v == 2:
        p.text("CHECK", (0.52, 0.36 + tall + 0.22), 0.14, 0.045)


def _coolant_temp(p: _Pen, v: int) -> None:
    both = v == 3
    _thermometer(
        p,
        0.5,
        0.05,
        0.64,
        0.075 if v != 1 else 0.09,
        ticks=3 if v != 1 else 4,
        both_sides=both,
        hollow=v == 2,
    )
    p.line(_wave(0.1, 0.38, 0.7, 0.03, 1.5), 0.06)
    p.line(_wave(0.62, 0.9, 0.7, 0.03, 1.5), 0.06)
    p.line(_wave(0.1, 0.9, 0.86, 0.03, 4), 0.06)
    if v == 1:
        p.line(_wave(0.16, 0.84, 0.98, 0.03, 3.5), 0.06)


def _door_open(p: _Pen, v: int) -> None:
    if v == 0:
        _car_top(p, (0.5, 0.5), 0.86, 0, doors=True)
    elif v == 1:
        _car_side(p, 0.06, 0.3, 0.88, filled=False)
        # An open driver's door swung towards the viewer.
        p.line([(0.42, 0.35), (0.3, 0.7), (0.46, 0.74), (0.56, 0.38)], 0.06)
    else:
        _car_top(p, (0.5, 0.5), 0.86, 0, 0.1, doors=True)


def _fog_front(p: _Pen, v: int) -> None:
    _lamp(p, 0.58, 0.5, 0.58, 0.3, facing=1, fill=v == 2)
    slant = 0.06 if v != 1 else 0.0
    for y in (0.3, 0.5, 0.7):
        p.line([(0.47, y), (0.1, y + slant)])
    p.line([(0.3 + 0.05 * math.sin(i / 20 * 2 * math.pi), 0.16 + 0.68 * i / 20) for i in range(21)])


def _high_beam(p: _Pen, v: int) -> None:
    rays = 4 if v != 1 else 5
    h = 0.6 if v != 2 else 0.72
    _lamp(p, 0.48, 0.5, h, 0.36, facing=1, fill=v == 1)
    for i in range(rays):
        y = 0.5 - h * 0.4 + h * 0.8 * i / (rays - 1)
        p.line([(0.37, y), (0.05 if v != 2 else 0.16, y)])


def _immobilizer(p: _Pen, v: int) -> None:
    if v == 1:
        # Key over a padlock.
        p.rect((0.42, 0.48, 0.92, 0.92), fill=True, radius=0.04)
        p.arc((0.67, 0.48), 0.14, 0, 180, 0.07)
        p.dot((0.67, 0.68), 0.05)
        _key(p, (0.3, 0.3), 0.5, 40, 0.06)
        return
    _car_side(p, 0.03, 0.18, 0.94, filled=v == 2)
    _key(p, (0.5, 0.62), 0.42, 0, 0.05, ink=255)


def _lane_departure(p: _Pen, v: int) -> None:
    if v == 3:
        # A long car crossing the line, its glass drawn solid, between heavy lane marks.
        for i in range(6):
            p.rect((0.04, 0.02 + i * 0.17, 0.1, 0.1 + i * 0.17), fill=True)
        p.line([(0.84, 0.02), (0.84, 0.98)], 0.06)
        _car_top(p, (0.5, 0.52), 0.78, 28, 0.045, glass=True)
        return
    if v == 1:
        _car_front(p, (0.5, 0.38), 0.4, filled=True)
        for s in (-1, 1):
            x0 = 0.5 + s * 0.3
            for i in range(3):
                t0, t1 = 0.5 + i * 0.17, 0.6 + i * 0.17
                p.line([(x0 + s * 0.18 * (t0 - 0.5), t0), (x0 + s * 0.18 * (t1 - 0.5), t1)], 0.06)
        return
    for i in range(5):
        p.line([(0.12, 0.06 + i * 0.2), (0.12, 0.15 + i * 0.2)], 0.07)
    if v == 2:
        for i in range(5):
            p.line([(0.88, 0.06 + i * 0.2), (0.88, 0.15 + i * 0.2)], 0.07)
    else:
        p.line([(0.88, 0.04), (0.88, 0.96)], 0.07)
    _car_top(p, (0.52, 0.55), 0.62, 25, 0.06)


def _low_fuel(p: _Pen, v: int) -> None:
    flip = v == 2
    body = (0.18, 0.12, 0.6, 0.9)
    hose = [(0.6, 0.58), (0.74, 0.58), (0.74, 0.82), (0.8, 0.88), (0.86, 0.82), (0.86, 0.36), (0.72, 0.16)]
    if flip:
        body = (0.4, 0.12, 0.82, 0.9)
        hose = [(1 - x, y) for x, y in hose]
    if v == 1:
        p.rect(body)
        p.rect((body[0] + 0.08, 0.22, body[2] - 0.08, 0.42))
    else:
        p.rect(body, fill=True, radius=0.03)
        p.rect((body[0] + 0.08, 0.2, body[2] - 0.08, 0.4), fill=True, ink=0, radius=0.01)
    p.line([(body[0] - 0.06, 0.92), (body[2] + 0.06, 0.92)], 0.06)
    p.line(hose, 0.06 if v != 3 else 0.09)


def _oil_pressure(p: _Pen, v: int) -> None:
    can = [(0.22, 0.46), (0.6, 0.46), (0.72, 0.56), (0.94, 0.4), (0.68, 0.74), (0.22, 0.74)]
    if v == 1:
        p.polygon(can)
    else:
        p.line(can, 0.065, closed=True)
    p.line([(0.22, 0.52), (0.08, 0.44), (0.06, 0.58), (0.22, 0.66)], 0.06)
    p.line([(0.4, 0.46), (0.4, 0.38)], 0.07)
    p.line([(0.3, 0.36), (0.5, 0.36)], 0.07)
    drop = [(0.92, 0.52), *arc_points((0.92, 0.64), 0.05, 30, -210)]
    p.polygon(drop)
    if v == 2:
        p.line(_wave(0.12, 0.88, 0.88, 0.025, 3), 0.05)


def _power_steering(p: _Pen, v: int) -> None:
    if v == 2:
        p.text("EPS", (0.5, 0.5), 0.34, 0.09)
        return
    c, r = (0.4, 0.5), 0.34
    p.ellipse(c, r, 0.08)
    p.dot(c, 0.11 if v != 3 else 0.14)
    for t in (200, 340, 270):
        p.line([c, (c[0] + r * math.cos(math.radians(t)), c[1] - r * math.sin(math.radians(t)))], 0.07)
    _exclamation(p, 0.92, 0.16, 0.84, 0.11)


def _seatbelt(p: _Pen, v: int) -> None:
    head = 0.09
    p.dot((0.52, 0.13), head)
    torso = [(0.3, 0.3), (0.74, 0.3), (0.68, 0.7), (0.36, 0.7)]
    if v == 1:
        p.line(torso, 0.06, closed=True)
    else:
        p.polygon(torso)
    # Seat and legs below the torso.
    p.line([(0.36, 0.74), (0.32, 0.95)], 0.08)
    p.line([(0.68, 0.74), (0.72, 0.95)], 0.08)
    p.line([(0.28, 0.3), (0.22, 0.66)], 0.07)
    p.line([(0.76, 0.3), (0.82, 0.66)], 0.07)
    p.line([(0.7, 0.22), (0.34, 0.7)], 0.09, ink=0)
    p.line([(0.76, 0.18), (0.7, 0.24), (0.34, 0.7), (0.1, 0.7)] if v != 2 else [(0.7, 0.24), (0.34, 0.7)], 0.05)
    p.line([(0.5, 0.74), (0.92, 0.74)] if v != 2 else [(0.5, 0.74), (0.7, 0.74)], 0.05)


def _tpms(p: _Pen, v: int) -> None:
    c = (0.5, 0.44)
    p.arc(c, (0.38, 0.42), 115, 235, 0.08 if v != 1 else 0.1)
    p.arc(c, (0.38, 0.42), -55, 65, 0.08 if v != 1 else 0.1)
    p.line([(0.2, 0.78), (0.8, 0.78)], 0.08 if v != 1 else 0.1)
    if v != 1:
        for x in (0.26, 0.38, 0.5, 0.62, 0.74):
            p.line([(x, 0.8), (x, 0.9)], 0.05)
    _exclamation(p, 0.5, 0.2, 0.66, 0.09)


def _traction_control(p: _Pen, v: int) -> None:
    if v == 2:
        # Inverted: the lit square with the car and its skid marks cut out.
        p.rect((0.0, 0.0, 1.0, 1.0), fill=True, radius=0.04)
        _car_front(p, (0.5, 0.3), 0.74, filled=True, w=0.06, ink=0)
        for s in (-1, 1):
            _skid(p, 0.5 + s * 0.16, 0.62, 0.94, s, 0.08, ink=0, spread=0.14)
        return
    if v == 3:
        _car_side(p, 0.12, 0.12, 0.76, filled=True)
        _skid(p, 0.3, 0.5, 0.94, -1, 0.07)
        _skid(p, 0.7, 0.5, 0.94, 1, 0.07)
        return
    _car_front(p, (0.5, 0.28), 0.66, filled=v == 0)
    for s in (-1, 1):
        _skid(p, 0.5 + s * 0.2, 0.6, 0.95, s, 0.07, spread=0.08 if v == 0 else 0.16)


def _gear(p: _Pen, c: Point, r: float, *, fill: bool, w: float | None = None) -> None:
    pts: list[Point] = []
    teeth = 8
    for i in range(teeth * 4):
        t = 2 * math.pi * i / (teeth * 4)
        rr = r * (1.0 if (i // 2) % 2 == 0 else 0.8)
        pts.append((c[0] + rr * math.cos(t + math.pi / (teeth * 4)), c[1] + rr * math.sin(t + math.pi / (teeth * 4))))
    if fill:
        p.polygon(pts)
    else:
        p.line(pts, w, closed=True)


def _transmission_temp(p: _Pen, v: int) -> None:
    if v == 2:
        p.text("AT", (0.5, 0.32), 0.3, 0.08)
        _thermometer(p, 0.5, 0.56, 0.86, 0.06, ticks=2, both_sides=True)
        return
    _gear(p, (0.5, 0.5), 0.46, fill=v == 1, w=0.06)
    ink = 0 if v == 1 else 255
    p.line([(0.5, 0.22), (0.5, 0.62)], 0.06, ink=ink)
    p.ellipse((0.5, 0.66), 0.08, fill=True, ink=ink)
    for y in (0.3, 0.42):
        p.line([(0.55, y), (0.64, y)], 0.045, ink=ink)


def _washer_fluid(p: _Pen, v: int) -> None:
    # The windscreen: a wide band with a curved top and bottom.
    top = arc_points((0.5, 1.3), (0.62, 1.0), 128, 52, step=3)
    bottom = arc_points((0.5, 1.5), (0.5, 0.7), 60, 120, step=3)
    p.line(top + bottom, 0.06, closed=True)
    for t, length in ((115, 0.5), (90, 0.56), (65, 0.5)):
        a = math.radians(t)
        x0, y0 = 0.5, 0.86
        n = 4 if v != 1 else 1
        for i in range(n):
            s0 = 0.1 + i * length / n
            s1 = s0 + (length / n) * (0.5 if v != 1 else 1.0)
            p.line(
                [
                    (x0 + s0 * math.cos(a), y0 - s0 * math.sin(a)),
                    (x0 + s1 * math.cos(a), y0 - s1 * math.sin(a)),
                ],
                0.045,
            )
    if v == 2:
        p.line([(0.5, 0.9), (0.5, 0.98)], 0.07)
        p.line([(0.36, 0.98), (0.64, 0.98)], 0.06)


def _auto_high_beam(p: _Pen, v: int) -> None:
    if v == 0:
        _high_beam(p, 0)
        p.text("AUTO", (0.48, 0.98), 0.2, 0.055)
    else:
        _lamp(p, 0.5, 0.45, 0.62, 0.34, facing=1)
        for i in range(4):
            p.line([(0.38, 0.2 + i * 0.166), (0.08, 0.2 + i * 0.166)])
        p.text("A", (0.62, 0.45), 0.26, 0.06)


def _auto_hold(p: _Pen, v: int) -> None:
    if v == 0:
        p.text("HOLD", (0.5, 0.5), 0.3, 0.07)
    else:
        p.ellipse((0.5, 0.36), 0.22)
        _side_arcs(p, (0.5, 0.36), 0.32, span=45)
        p.text("HOLD", (0.5, 0.84), 0.18, 0.06)


def _blind_spot_off(p: _Pen, v: int) -> None:
    p.rect((0.1, 0.04, 0.3, 0.5), radius=0.06)
    p.line([(0.14, 0.16), (0.26, 0.16)], 0.05)
    p.line([(0.14, 0.38), (0.26, 0.38)], 0.05)
    for i, r in enumerate((0.14, 0.24)):
        p.arc((0.34, 0.27), r + 0.06 * i, -40, 40, 0.05)
    p.arc((0.78, 0.46), 0.1, 0, 180, 0.06)
    p.line([(0.68, 0.46), (0.68, 0.56)], 0.06)
    p.line([(0.88, 0.46), (0.88, 0.56)], 0.06)
    _off(p, (0.5, 0.8), 0.2, 0.07)


def _coolant_cold(p: _Pen, v: int) -> None:
    _thermometer(p, 0.5, 0.05, 0.64, 0.075, ticks=3, hollow=v == 1)
    p.line(_wave(0.1, 0.38, 0.7, 0.03, 1.5), 0.06)
    p.line(_wave(0.62, 0.9, 0.7, 0.03, 1.5), 0.06)
    p.line(_wave(0.1, 0.9, 0.86, 0.03, 4), 0.06)


def _gauge(p: _Pen, c: Point, r: float, w: float | None = None) -> None:
    p.arc(c, r, -10, 190, w)
    for t in range(0, 181, 45):
        a = math.radians(t)
        p.line(
            [
                (c[0] + r * 0.72 * math.cos(a), c[1] - r * 0.72 * math.sin(a)),
                (c[0] + r * 0.9 * math.cos(a), c[1] - r * 0.9 * math.sin(a)),
            ],
            w,
        )
    p.line([c, (c[0] - r * 0.45, c[1] - r * 0.6)], w)
    p.dot(c, r * 0.16)


def _cruise_control(p: _Pen, v: int) -> None:
    if v == 0:
        _gauge(p, (0.46, 0.66), 0.4, 0.06)
        p.line([(0.66, 0.12), (0.86, 0.32)], 0.06)
        p.polygon([(0.9, 0.36), (0.74, 0.34), (0.88, 0.2)])
    else:
        _car_front(p, (0.28, 0.22), 0.44, filled=True)
        _gauge(p, (0.6, 0.8), 0.34, 0.055)
        p.line([(0.8, 0.14), (0.92, 0.28)], 0.05)
        p.polygon([(0.96, 0.33), (0.82, 0.32), (0.93, 0.19)])


def _eco_mode(p: _Pen, v: int) -> None:
    if v == 0:
        p.text("ECO", (0.5, 0.5), 0.3, 0.08)
    else:
        # A leaf-shaped badge: rounded on two opposite corners, pointed on the other two.
        leaf = [(0.02, 0.86), *arc_points((0.22, 0.34), 0.2, 180, 90), (0.98, 0.14)]
        leaf += arc_points((0.78, 0.66), 0.2, 0, -90)
        p.polygon(leaf)
        p.text("ECO", (0.5, 0.5), 0.24, 0.06, ink=0)


def _headlights_on(p: _Pen, v: int) -> None:
    if v == 0:
        c = (0.5, 0.52)
        p.ellipse(c, 0.2, 0.07)
        p.rect((0.42, 0.22, 0.58, 0.3), 0.05)
        for t in (0, 45, 135, 180, 225, 270, 315):
            a = math.radians(t)
            p.line(
                [
                    (c[0] + 0.3 * math.cos(a), c[1] - 0.3 * math.sin(a)),
                    (c[0] + 0.44 * math.cos(a), c[1] - 0.44 * math.sin(a)),
                ],
                0.06,
            )
    else:
        _lamp(p, 0.52, 0.5, 0.6, 0.34, facing=1)
        for y in (0.28, 0.43, 0.58, 0.73):
            p.line([(0.42, y), (0.1, y + 0.14)])


def _low_outside_temp(p: _Pen, v: int) -> None:
    c = (0.5, 0.5)
    for k in range(6):
        a = math.radians(90 + 60 * k)
        ux, uy = math.cos(a), -math.sin(a)
        p.line([c, (c[0] + 0.45 * ux, c[1] + 0.45 * uy)], 0.06)
        for d, s in ((0.2, 0.1), (0.32, 0.08)) if v == 0 else ((0.28, 0.12),):
            bx, by = c[0] + d * ux, c[1] + d * uy
            for sign in (-1, 1):
                b = a + sign * math.radians(50)
                p.line([(bx, by), (bx + s * math.cos(b), by - s * math.sin(b))], 0.05)


def _parking_brake(p: _Pen, v: int) -> None:
    if v == 0:
        p.ellipse((0.5, 0.5), 0.3)
        _side_arcs(p, (0.5, 0.5), 0.44)
        p.text("P", (0.5, 0.5), 0.3, 0.075)
    else:
        p.text("PARK", (0.5, 0.5), 0.32, 0.085, condense=0.78, track=0.16)


def _position_lights(p: _Pen, v: int) -> None:
    _lamp(p, 0.3, 0.5, 0.4, 0.14, facing=1)
    _lamp(p, 0.7, 0.5, 0.4, 0.14, facing=-1)
    for y in (0.36, 0.5, 0.64):
        p.line([(0.22, y), (0.04, y)], 0.05)
        p.line([(0.78, y), (0.96, y)], 0.05)


def _pre_collision_off(p: _Pen, v: int) -> None:
    _car_side(p, 0.02, 0.28, 0.34, filled=False, w=0.04)
    _car_side(p, 0.4, 0.26, 0.56, filled=False, w=0.04)
    star = []
    for k in range(10):
        r = 0.1 if k % 2 == 0 else 0.04
        a = math.radians(90 + 36 * k)
        star.append((0.42 + r * math.cos(a), 0.14 - r * math.sin(a)))
    p.polygon(star)
    p.line([(0.72, 0.6), (0.52, 0.6)], 0.05)
    p.polygon([(0.46, 0.6), (0.54, 0.54), (0.54, 0.66)])
    _off(p, (0.6, 0.86), 0.16, 0.045)


def _rcta_off(p: _Pen, v: int) -> None:
    p.text("RCTA", (0.5, 0.3), 0.28, 0.07)
    _off(p, (0.5, 0.72), 0.24, 0.065)


def _traction_control_off(p: _Pen, v: int) -> None:
    _car_front(p, (0.5, 0.16), 0.52, filled=True)
    for s in (-1, 1):
        _skid(p, 0.5 + s * 0.16, 0.38, 0.62, s, 0.06)
    _off(p, (0.5, 0.86), 0.2, 0.07)


def _glow_plug(p: _Pen, v: int) -> None:
    # A coil drawn as a prolate cycloid: a row of loops with a lead at each end.
    pts = [(0.04, 0.5)]
    for i in range(121):
        t = i / 120 * 4 * 2 * math.pi
        pts.append((0.16 + 0.68 * i / 120 - 0.07 * math.sin(t), 0.5 - 0.2 * math.cos(t) + 0.0))
    pts.append((0.96, 0.3))
    p.line(pts, 0.055)


def _dpf(p: _Pen, v: int) -> None:
    p.rect((0.24, 0.26, 0.76, 0.74), radius=0.06)
    for i in range(3):
        for j in range(3):
            p.dot((0.36 + 0.14 * i, 0.38 + 0.12 * j), 0.035)
    p.line(_wave(0.02, 0.2, 0.5, 0.03, 1), 0.05)
    p.line(_wave(0.8, 0.98, 0.5, 0.03, 1), 0.05)


def _service_due(p: _Pen, v: int) -> None:
    if v == 1:
        p.text("SERVICE", (0.5, 0.5), 0.18, 0.05)
        return
    a = math.radians(-45)
    ux, uy = math.cos(a), -math.sin(a)
    p.line([(0.5 - 0.3 * ux, 0.5 - 0.3 * uy), (0.5 + 0.3 * ux, 0.5 + 0.3 * uy)], 0.1)
    for s in (-1, 1):
        c = (0.5 + s * 0.36 * ux, 0.5 + s * 0.36 * uy)
        t = math.degrees(a) + (0 if s > 0 else 180)
        p.arc(c, 0.12, t + 40, t + 320, 0.07)


def _fog_rear(p: _Pen, v: int) -> None:
    _lamp(p, 0.42, 0.5, 0.58, 0.3, facing=-1)
    for y in (0.3, 0.5, 0.7):
        p.line([(0.53, y), (0.92, y)])
    p.line([(0.72 + 0.05 * math.sin(i / 20 * 2 * math.pi), 0.16 + 0.68 * i / 20) for i in range(21)])


def _key_not_detected(p: _Pen, v: int) -> None:
    _key(p, (0.38, 0.5), 0.62, -30, 0.07)
    _exclamation(p, 0.86, 0.2, 0.8, 0.09)


def _brake_pad_wear(p: _Pen, v: int) -> None:
    p.ellipse((0.5, 0.5), 0.26)
    _side_arcs(p, (0.5, 0.5), 0.36, 0.06, span=45)
    _dashed_side_arcs(p, (0.5, 0.5), 0.47, 0.05)


def _adblue(p: _Pen, v: int) -> None:
    if v == 1:
        p.text("ADBLUE", (0.5, 0.5), 0.18, 0.05, condense=0.8)
        return
    # A nozzle dripping into a tank with a wavy fluid line.
    p.line([(0.18, 0.36), (0.18, 0.9), (0.82, 0.9), (0.82, 0.36)], 0.06)
    p.line(_wave(0.18, 0.82, 0.62, 0.03, 2), 0.05)
    p.line([(0.3, 0.08), (0.58, 0.08), (0.58, 0.2)], 0.07)
    p.polygon([(0.58, 0.28), *arc_points((0.58, 0.4), 0.06, 30, -210)])


_Drawer = Callable[[_Pen, int], None]
_SYMBOLS: dict[str, tuple[_Drawer, int]] = {
    "abs": (_abs, 4),
    "airbag": (_airbag, 3),
    "battery": (_battery, 3),
    "brake": (_brake, 4),
    "check_engine": (_check_engine, 5),
    "coolant_temp": (_coolant_temp, 4),
    "door_open": (_door_open, 3),
    "fog_light_front": (_fog_front, 3),
    "high_beam": (_high_beam, 3),
    "immobilizer": (_immobilizer, 3),
    "lane_departure": (_lane_departure, 4),
    "low_fuel": (_low_fuel, 4),
    "oil_pressure": (_oil_pressure, 3),
    "power_steering": (_power_steering, 4),
    "seatbelt": (_seatbelt, 3),
    "tpms": (_tpms, 3),
    "traction_control": (_traction_control, 4),
    "transmission_temp": (_transmission_temp, 3),
    "washer_fluid": (_washer_fluid, 3),
    "auto_high_beam": (_auto_high_beam, 2),
    "auto_hold": (_auto_hold, 2),
    "blind_spot_off": (_blind_spot_off, 1),
    "coolant_cold": (_coolant_cold, 2),
    "cruise_control": (_cruise_control, 2),
    "eco_mode": (_eco_mode, 2),
    "headlights_on": (_headlights_on, 2),
    "low_outside_temp": (_low_outside_temp, 2),
    "parking_brake": (_parking_brake, 2),
    "position_lights": (_position_lights, 1),
    "pre_collision_off": (_pre_collision_off, 1),
    "rcta_off": (_rcta_off, 1),
    "traction_control_off": (_traction_control_off, 1),
    "glow_plug": (_glow_plug, 1),
    "dpf": (_dpf, 1),
    "service_due": (_service_due, 2),
    "fog_light_rear": (_fog_rear, 1),
    "key_not_detected": (_key_not_detected, 1),
    "brake_pad_wear": (_brake_pad_wear, 1),
    "adblue": (_adblue, 2),
}


def _weights(code: str) -> tuple[float, ...]:
    return _CORE_WEIGHTS if code in CORE_CODES else _OTHER_WEIGHTS


# Codes with lettering in some variant: each of their styles also comes with the lettering in a sans.
_LETTERED = frozenset(
    {
        "abs", "airbag", "brake", "check_engine", "power_steering", "transmission_temp", "auto_high_beam",
        "auto_hold", "blind_spot_off", "eco_mode", "parking_brake", "pre_collision_off", "rcta_off",
        "traction_control_off", "service_due", "adblue",
    }
)  # fmt: skip


def style_count(code: str) -> int:
    """How many distinct drawings render_symbol can make of this code."""
    if code not in _SYMBOLS:
        raise KeyError(f"unknown warning-light code: {code!r}")
    return _SYMBOLS[code][1] * len(_weights(code)) * (2 if code in _LETTERED else 1)


def render_mask(code: str, *, size: int, style: int = 0) -> Image.Image:
    """The symbol's coverage as an L-mode image, 255 where it is lit."""
    count = style_count(code)
    if not 0 <= style < count:
        raise ValueError(f"{code!r} has styles 0..{count - 1}, not {style}")
    if size < 8:
        raise ValueError("size must be at least 8 pixels")
    drawer, variants = _SYMBOLS[code]
    font, rest = divmod(style, variants * len(_weights(code)))
    pen = _Pen(_weights(code)[rest // variants], sans=font == 1)
    drawer(pen, rest % variants)
    return pen.finish(size)


def render_text_mask(text: str, *, height: int, weight: float = 1.0, sans: bool = False) -> Image.Image:
    """Dashboard lettering (digits, units, gear letters) in the symbols' stroke font, as an L-mode mask.

    The dashboard model trains on it as clutter that must not be mistaken for a tell-tale.
    """
    unknown = set(text) - set(_GLYPHS)
    if unknown:
        raise ValueError(f"no glyph for {sorted(unknown)}")
    pen = _Pen(weight, sans=sans)
    pen.text(text, (0.5, 0.5), 0.12, 0.018)
    box = pen.image.getbbox()
    if box is None:
        return Image.new("L", (1, height), 0)
    ink = pen.image.crop(box)
    k = height / ink.height
    return ink.resize((max(1, round(ink.width * k)), height), Image.Resampling.LANCZOS)


def render_symbol(
    code: str, *, size: int, style: int = 0, colour: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """The symbol in one colour on a transparent size x size RGBA image."""
    mask = render_mask(code, size=size, style=style)
    out = Image.new("RGBA", (size, size), (*colour, 0))
    out.putalpha(mask)
    return out


def render_icon_png(code: str, *, size: int = 128) -> bytes:
    """The catalog icon: the symbol in its standard colour on a dark rounded tile, as PNG bytes."""
    tile = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(tile).rounded_rectangle((0, 0, size - 1, size - 1), radius=max(2, size // 8), fill=(22, 24, 28, 255))
    inner = round(size * 0.78)
    symbol = render_symbol(code, size=inner, colour=COLOUR_RGB[STANDARD_COLOURS[code]])
    offset = (size - inner) // 2
    tile.alpha_composite(symbol, (offset, offset))
    buf = io.BytesIO()
    tile.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
