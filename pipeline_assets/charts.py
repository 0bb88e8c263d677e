"""The report's charts as hand-written SVG: a bar chart and a histogram, nothing more.

A chart library was the report's largest cost: importing matplotlib took about 0.75 s per
process and its three charts about 0.2 s per day, which a 90-day range run paid 90 times. The
charts are simple enough to write directly: a title, a y axis with round ticks, one rectangle per
bar and a label per category or bin edge. Every text is escaped (labels are data).
"""

import html
import math
from collections.abc import Sequence

import numpy as np

WIDTH, HEIGHT = 500, 300
# The plot area inside the chart: room for the title above, tick labels left and below.
LEFT, RIGHT, TOP, BOTTOM = 70, 485, 36, 225
FONT = 'font-family="system-ui,sans-serif"'
AXIS_COLOR, GRID_COLOR, TEXT_COLOR = "#444", "#e5e5e5", "#222"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str, color: str = "#4C78A8") -> str:
    """One bar per label, in the given order, from zero; labels slanted below their bars."""
    ticks = _ticks(max([0.0, *values]), whole=all(float(v).is_integer() for v in values))
    top = ticks[-1]
    slot = (RIGHT - LEFT) / max(len(values), 1)
    parts = _frame(title, unit, ticks)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * (index + 0.1)
        parts.append(_bar(x, slot * 0.8, value / top, color, f"{label}: {_number(value)}"))
        centre = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{centre:.1f}" y="{BOTTOM + 14}" font-size="11" text-anchor="end" '
            f'transform="rotate(-30 {centre:.1f} {BOTTOM + 14})">{html.escape(str(label))}</text>'
        )
    return _svg(parts)


def histogram(title: str, values: Sequence[float], bins: int, unit: str, color: str = "#F58518") -> str:
    """Counts of ``values`` in ``bins`` equal-width bins over their range (NumPy's binning, the
    last bin closed), bars side by side, bin edges labelled below."""
    counts, edges = np.histogram(np.asarray(values, dtype=np.float64), bins=bins)
    ticks = _ticks(float(counts.max()) if counts.size else 0.0, whole=True)
    top = ticks[-1]
    slot = (RIGHT - LEFT) / len(counts)
    parts = _frame(title, unit, ticks)
    for index, count in enumerate(counts.tolist()):
        x = LEFT + slot * index
        span = f"{_number(edges[index])}–{_number(edges[index + 1])}: {count}"
        parts.append(_bar(x, slot, count / top, color, span))
    # At most about six edge labels, evenly spaced, so that they never overlap.
    step = max(1, math.ceil(len(edges) / 6))
    for index in range(0, len(edges), step):
        x = LEFT + slot * index
        label = _number(edges[index])
        parts.append(f'<text x="{x:.1f}" y="{BOTTOM + 16}" font-size="11" text-anchor="middle">{label}</text>')
    return _svg(parts)


def _frame(title: str, unit: str, ticks: list[float]) -> list[str]:
    """Title, y-axis label, horizontal grid lines with their tick labels, and the two axes."""
    parts = [
        f'<text x="{WIDTH / 2:.0f}" y="22" font-size="14" text-anchor="middle">{html.escape(title)}</text>',
        f'<text x="16" y="{(TOP + BOTTOM) / 2:.0f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 16 {(TOP + BOTTOM) / 2:.0f})">{html.escape(unit)}</text>',
    ]
    for tick in ticks:
        y = BOTTOM - (BOTTOM - TOP) * tick / ticks[-1]
        parts.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOR}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{_number(tick)}</text>')
    parts.append(f'<path d="M{LEFT} {TOP}V{BOTTOM}H{RIGHT}" fill="none" stroke="{AXIS_COLOR}"/>')
    return parts


def _bar(x: float, width: float, share: float, color: str, tooltip: str) -> str:
    height = (BOTTOM - TOP) * share
    return (
        f'<rect x="{x:.1f}" y="{BOTTOM - height:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{color}">'
        f"<title>{html.escape(tooltip)}</title></rect>"
    )


def _svg(parts: list[str]) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" {FONT} fill="{TEXT_COLOR}">\n{body}\n</svg>\n'
    )


def _ticks(largest: float, whole: bool = False) -> list[float]:
    """Round tick values from 0 up to at least ``largest`` (1, 2, 2.5 or 5 times a power of ten
    apart, about five of them; at least 1 apart for ``whole`` numbers such as counts); 0 to 1
    when there is nothing to show."""
    if not largest > 0 or not math.isfinite(largest):
        largest = 1.0
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    if whole:  # no tick between two whole numbers; 2.5 is the one round step that is not whole
        step = 2.0 if step == 2.5 else max(step, 1.0)
    count = math.ceil(largest / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _number(value: float) -> str:
    """A tick or value as people read it: 12,500 / 2.5 / 0.75."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
