"""Small SVG charts drawn on the server for the staff console: no JavaScript, no CDN, no new dependency.

Each function returns a ``SafeString`` holding one ``<svg>`` element. Every text that comes from data is
escaped here, so templates can output the result as is. Hover details are SVG ``<title>`` elements, which
browsers show as native tooltips without any script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours chosen to read on the admin's light and dark themes alike.
BAR_COLOUR = "#417690"
MUTED = "#888888"
PALETTE = ("#417690", "#e0823d", "#5b9a5b", "#b8474a", "#8a6bb8", "#c7a13a", "#4aa3a8", "#7a7a7a")
CHAR_WIDTH_PX = 6.6  # average width of a 11px sans-serif character, to size label columns


def _svg(width: float, height: float, body: str, label: str) -> SafeString:
    return mark_safe(  # noqa: S308 (every data-derived text in ``body`` was escaped by the caller)
        f'<svg class="console-chart" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _label_width(labels: Sequence[str], *, minimum: float = 40, maximum: float = 220) -> float:
    longest = max((len(label) for label in labels), default=0)
    return min(maximum, max(minimum, longest * CHAR_WIDTH_PX + 8))


def _truncate(label: str, width_px: float) -> str:
    fits = max(3, int(width_px / CHAR_WIDTH_PX))
    return label if len(label) <= fits else label[: fits - 1] + "…"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    label: str,
    width: int = 420,
    bar_height: int = 18,
    value_format: str = "{:g}",
    maximum: float | None = None,
) -> SafeString:
    """Horizontal bars, one per ``(name, value)``, longest for the largest value (or ``maximum``)."""
    if not items:
        return _svg(width, 24, f'<text x="0" y="16" font-size="12" fill="{MUTED}">No data yet.</text>', label)
    names = [name for name, _ in items]
    name_width = _label_width(names, maximum=width * 0.55)
    value_width = 56
    plot = max(40.0, width - name_width - value_width)
    top = maximum if maximum is not None else max(value for _, value in items)
    gap = 4
    parts = []
    for row, (name, value) in enumerate(items):
        y = row * (bar_height + gap)
        length = plot * (value / top) if top > 0 else 0
        shown = value_format.format(value)
        parts.append(
            f"<g><title>{escape(name)}: {escape(shown)}</title>"
            f'<text x="{name_width - 6:.1f}" y="{y + bar_height * 0.72:.1f}" font-size="11" text-anchor="end" '
            f'fill="currentColor">{escape(_truncate(name, name_width - 8))}</text>'
            f'<rect x="{name_width:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{bar_height}" '
            f'fill="{BAR_COLOUR}"/>'
            f'<text x="{name_width + max(length, 1) + 4:.1f}" y="{y + bar_height * 0.72:.1f}" font-size="11" '
            f'fill="currentColor">{escape(shown)}</text></g>'
        )
    height = len(items) * (bar_height + gap) - gap
    return _svg(width, height, "".join(parts), label)


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a stacked bar."""

    name: str
    value: float
    colour: str


def stacked_bar(segments: Sequence[Segment], *, label: str, width: int = 420, height: int = 22) -> SafeString:
    """One bar split into parts by value, with a legend under it; empty parts are left out."""
    shown = [s for s in segments if s.value > 0]
    total = sum(s.value for s in shown)
    legend_y = height + 16
    if total <= 0:
        body = f'<text x="0" y="16" font-size="12" fill="{MUTED}">None yet.</text>'
        return _svg(width, 24, body, label)
    parts = []
    x = 0.0
    for segment in shown:
        length = width * segment.value / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="{height}" fill="{segment.colour}">'
            f"<title>{escape(segment.name)}: {segment.value:g} ({segment.value / total:.0%})</title></rect>"
        )
        x += length
    legend_x = 0.0
    row = 0
    for segment in shown:
        text = f"{segment.name} {segment.value:g}"
        item_width = 16 + len(text) * CHAR_WIDTH_PX + 12
        if legend_x + item_width > width and legend_x > 0:
            legend_x, row = 0.0, row + 1
        y = legend_y + row * 16
        parts.append(
            f'<rect x="{legend_x:.1f}" y="{y - 9}" width="10" height="10" fill="{segment.colour}"/>'
            f'<text x="{legend_x + 14:.1f}" y="{y}" font-size="11" fill="currentColor">{escape(text)}</text>'
        )
        legend_x += item_width
    return _svg(width, legend_y + row * 16 + 4, "".join(parts), label)


def _heat_colour(share: float) -> str:
    # White (nothing) to the admin's blue (everything). The square root lifts the small shares, so that a
    # 5% confusion is visible next to a 95% diagonal.
    low, high = (255, 255, 255), (32, 76, 112)
    level = min(max(share, 0.0), 1.0) ** 0.5
    r, g, b = (round(lo + (hi - lo) * level) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(labels: Sequence[str], matrix: Sequence[Sequence[float]], *, label: str, cell: int = 14) -> SafeString:
    """A confusion matrix, each row normalized to the share of its true class, with class labels.

    Rows are the true classes and columns the predicted ones; the diagonal is what the model got right.
    """
    count = len(labels)
    name_width = _label_width(labels, maximum=160)
    top = name_width  # column labels are drawn rotated, so they need as much room as the row labels
    size = count * cell
    parts = []
    for i, true_label in enumerate(labels):
        row = matrix[i]
        total = sum(row)
        y = top + i * cell
        parts.append(
            f'<text x="{name_width - 4:.1f}" y="{y + cell * 0.75:.1f}" font-size="10" text-anchor="end" '
            f'fill="currentColor">{escape(_truncate(true_label, name_width - 6))}</text>'
        )
        for j, value in enumerate(row):
            share = value / total if total else 0.0
            outline = ' stroke="#b8474a" stroke-width="0.5"' if i == j else ""
            parts.append(
                f'<rect class="cell" x="{name_width + j * cell:.1f}" y="{y:.1f}" width="{cell}" height="{cell}" '
                f'fill="{_heat_colour(share)}"{outline}><title>true {escape(true_label)}, predicted '
                f"{escape(labels[j])}: {value:g} of {total:g} ({share:.0%})</title></rect>"
            )
    for j, predicted in enumerate(labels):
        x = name_width + j * cell + cell * 0.7
        parts.append(
            f'<text x="{x:.1f}" y="{top - 4:.1f}" font-size="10" transform="rotate(-60 {x:.1f} {top - 4:.1f})" '
            f'fill="currentColor">{escape(_truncate(predicted, name_width - 6))}</text>'
        )
    parts.append(
        f'<text x="{name_width + size / 2:.1f}" y="{top + size + 16:.1f}" font-size="11" text-anchor="middle" '
        f'fill="currentColor">predicted class → (rows: true class, each row sums to 100%)</text>'
    )
    legend_y = top + size + 28
    for step, share in enumerate((0.0, 0.05, 0.25, 0.5, 1.0)):
        x = name_width + step * 56
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y}" width="12" height="12" fill="{_heat_colour(share)}" '
            f'stroke="{MUTED}" stroke-width="0.5"/><text x="{x + 16:.1f}" y="{legend_y + 10}" font-size="10" '
            f'fill="currentColor">{share:.0%}</text>'
        )
    # Rotated column labels lean right, past the last column.
    right = max(8.0, (name_width - 6) * 0.5)
    return _svg(name_width + size + right, legend_y + 18, "".join(parts), label)


@dataclass(frozen=True, slots=True)
class Box:
    """A labelled rectangle in image pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    label: str


def boxes_over_image(image_url: str, *, width: int, height: int, boxes: Sequence[Box], label: str) -> SafeString:
    """The image with each box outlined and labelled, in the image's own pixel coordinates."""
    stroke = max(2.0, min(width, height) / 200)
    font = max(12.0, min(width, height) / 48)
    parts = [f'<image href="{escape(image_url)}" x="0" y="0" width="{width}" height="{height}"/>']
    for index, box in enumerate(boxes):
        colour = PALETTE[index % len(PALETTE)]
        box_w, box_h = box.x1 - box.x0, box.y1 - box.y0
        tag_w = len(box.label) * font * 0.6 + 8
        # The tag sits above the box, or inside it when the box touches the top edge.
        tag_y = box.y0 - font - 4 if box.y0 >= font + 4 else box.y0
        parts.append(
            f"<g><title>{escape(box.label)}</title>"
            f'<rect x="{box.x0:.0f}" y="{box.y0:.0f}" width="{box_w:.0f}" height="{box_h:.0f}" fill="none" '
            f'stroke="{colour}" stroke-width="{stroke:.1f}"/>'
            f'<rect x="{box.x0:.0f}" y="{tag_y:.0f}" width="{tag_w:.0f}" height="{font + 4:.0f}" fill="{colour}"/>'
            f'<text x="{box.x0 + 4:.0f}" y="{tag_y + font:.0f}" font-size="{font:.0f}" fill="#ffffff">'
            f"{escape(box.label)}</text></g>"
        )
    return _svg(width, height, "".join(parts), label)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of a recording: one analysis window, or where a finding was heard."""

    start_s: float
    end_s: float
    name: str
    confidence: float


def timeline(duration_s: float, windows: Sequence[Span], *, label: str, width: int = 720) -> SafeString:
    """The recording's analysis windows on a time axis, one lane per distinct code, shaded by confidence."""
    duration = max(duration_s, max((w.end_s for w in windows), default=0.0), 0.001)
    names = list(dict.fromkeys(w.name for w in windows))
    name_width = _label_width(names, minimum=60)
    plot = width - name_width - 8
    lane = 16
    axis_y = len(names) * lane + 4
    parts = []
    for row, name in enumerate(names):
        colour = PALETTE[row % len(PALETTE)]
        y = row * lane
        parts.append(
            f'<text x="{name_width - 6:.1f}" y="{y + 12}" font-size="11" text-anchor="end" fill="currentColor">'
            f"{escape(_truncate(name, name_width - 8))}</text>"
        )
        for window in (w for w in windows if w.name == name):
            x = name_width + plot * window.start_s / duration
            length = max(1.0, plot * (window.end_s - window.start_s) / duration)
            opacity = 0.25 + 0.75 * min(max(window.confidence, 0.0), 1.0)
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{length:.1f}" height="{lane - 4}" fill="{colour}" '
                f'fill-opacity="{opacity:.2f}"><title>{escape(name)} {window.start_s:.2f}–{window.end_s:.2f} s: '
                f"{window.confidence:.2f}</title></rect>"
            )
    parts.append(f'<line x1="{name_width}" y1="{axis_y}" x2="{name_width + plot}" y2="{axis_y}" stroke="{MUTED}"/>')
    ticks = 5
    for tick in range(ticks + 1):
        seconds = duration * tick / ticks
        x = name_width + plot * tick / ticks
        anchor = "start" if tick == 0 else "end" if tick == ticks else "middle"
        parts.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="{MUTED}"/>'
            f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="10" text-anchor="{anchor}" fill="currentColor">'
            f"{seconds:.1f} s</text>"
        )
    return _svg(width, axis_y + 22, "".join(parts), label)
