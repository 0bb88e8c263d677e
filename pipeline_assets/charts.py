"""The report's charts, drawn by matplotlib: inline SVG for the page, PNG for the Dagster UI.

matplotlib is imported on first use, not with the code location (its import alone takes most of
a second, paid by every process that loads the definitions). Figures are built through the
object API (``Figure``, no pyplot), so no global state is shared between charts, and written
with a fixed hash salt and no date, so a day drawn twice gives the same bytes. Text stays text in
the SVG (searchable, and escaped by matplotlib's writer).
"""

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline_assets.number_format import count, money, percent

BAR, ACCENT, GRID = "#4C78A8", "#F58518", "#dddddd"
SIZE = (6.4, 3.4)  # inches; 100 dpi on screen


# Room around the plot (fractions of the figure) for ticks and labels: fixed, because matplotlib's
# automatic layouts measure every text first, which took most of the report's drawing time.
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.16, "top": 0.9}


def _figure(title: str, size: tuple[float, float] = SIZE, margins: dict[str, float] | None = None) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # never a GUI backend in a worker
    matplotlib.rcParams.update({"svg.hashsalt": "daily-report", "svg.fonttype": "none", "font.size": 9})
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    figure.subplots_adjust(**{**MARGINS, **(margins or {})})
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.grid(axis="y", color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def svg(figure: Any) -> str:
    """The figure as an ``<svg>`` element to place inline in HTML (no XML prolog or doctype)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png_data_uri(figure: Any) -> str:
    """The figure as a PNG data URI (what Dagster's Markdown renders as an image)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], xlabel: str, ylabel: str, horizontal: bool = False
) -> Any:
    """One bar per label in the given order (top to bottom when horizontal, for long labels)."""
    texts = [str(label) for label in labels]
    if horizontal:  # the labels' width sets the left margin (about 0.075 in per character at 9 pt)
        size = (SIZE[0] + 1.6, max(SIZE[1], 1.2 + 0.28 * len(labels)))
        longest = max((len(t) for t in texts), default=1)
        margins = {
            "left": min(0.6, 0.04 + 0.075 * longest / size[0]),
            "bottom": 0.7 / size[1],
            "top": 1 - 0.45 / size[1],
        }
    else:
        size, margins = SIZE, ({"bottom": 0.26} if len(labels) > 5 else {})
    figure, axes = _figure(title, size, margins)
    positions = np.arange(len(labels))
    numbers = _floats(values)
    if horizontal:
        axes.barh(positions, numbers, color=BAR)
        axes.set_yticks(positions, texts)
        axes.invert_yaxis()
        axes.grid(axis="y", visible=False)
        axes.grid(axis="x", color=GRID, linewidth=0.6)
    else:
        axes.bar(positions, numbers, color=BAR)
        slanted = len(labels) > 5
        axes.set_xticks(positions, texts, rotation=30 if slanted else 0, ha="right" if slanted else "center")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    _thousands(axes.xaxis if horizontal else axes.yaxis, whole=all(v.is_integer() for v in numbers))
    return figure


def hourly_chart(hours: Sequence[int], events: Sequence[int]) -> Any:
    figure, axes = _figure("Activity by hour of day")
    axes.bar(hours, events, color=BAR, width=0.85)
    axes.set_xticks(range(0, 24, 2))
    axes.set_xlim(-0.6, 23.6)
    axes.set_xlabel("Hour of day (UTC)")
    axes.set_ylabel("Events")
    _thousands(axes.yaxis, whole=True)
    return figure


def amount_histogram(amounts_usd: Sequence[float], low_fence: float | None, high_fence: float | None) -> Any:
    """Purchase amounts on a log axis (they spread over orders of magnitude), bins of equal width
    in log space chosen by the Freedman–Diaconis rule, the IQR fences as dashed lines."""
    figure, axes = _figure("Purchase amounts (USD)")
    values = np.asarray([v for v in amounts_usd if v > 0], dtype=np.float64)
    if values.size:
        logs = np.log10(values)
        edges = (
            np.histogram_bin_edges(logs, bins="fd") if np.ptp(logs) > 0 else np.array([logs[0] - 0.05, logs[0] + 0.05])
        )
        axes.hist(values, bins=10 ** edges, color=BAR, edgecolor="white", linewidth=0.4)  # fmt: skip
        axes.set_xscale("log")
        _log_ticks(axes.xaxis)
        for fence, name in ((low_fence, "low fence"), (high_fence, "high fence")):
            if fence is not None and fence > 0:
                axes.axvline(fence, color=ACCENT, linestyle="--", linewidth=1, label=f"IQR {name} {money(fence)}")
        if axes.get_legend_handles_labels()[0]:
            axes.legend(loc="upper right", frameon=False)
    axes.set_xlabel("Purchase amount (USD, log scale)")
    axes.set_ylabel("Purchases")
    _thousands(axes.yaxis, whole=True)
    return figure


def funnel_chart(steps: Sequence[str], sessions: Sequence[int], shares: Sequence[float]) -> Any:
    figure = bar_chart("Funnel (sessions reaching each step)", steps, sessions, "Sessions", "", horizontal=True)
    axes = figure.axes[0]
    for index, (value, fraction) in enumerate(zip(sessions, shares, strict=True)):
        axes.annotate(f" {percent(fraction)}", (value, index), va="center", fontsize=8)
    axes.set_xlim(0, max([1, *sessions]) * 1.15)
    return figure


def trend_chart(days: Sequence[str], revenue: Sequence[float], users: Sequence[int], label: str) -> Any:
    """Revenue per day as bars, active users as a line on a second axis, over the window."""
    figure, axes = _figure(f"Revenue and active users, 7-day window ({label})", margins={"right": 0.88, "bottom": 0.34})
    positions = np.arange(len(days))
    axes.bar(positions, _floats(revenue), color=BAR, width=0.6, label="Revenue (USD)")
    axes.set_xticks(positions, list(days), rotation=30, ha="right")
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)
    axes.set_xlabel("Date (UTC)")
    axes.set_ylabel("Revenue (USD)")
    _thousands(axes.yaxis)
    other = axes.twinx()
    other.plot(positions, list(users), color=ACCENT, marker="o", label="Active users")
    other.set_ylabel("Active users")
    other.set_ylim(0, max([1, *users]) * 1.2)
    _thousands(other.yaxis, whole=True)
    handles = axes.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    figure.legend(handles=handles, loc="lower center", ncols=2, frameon=False)
    return figure


def _floats(values: Sequence[Any]) -> list[float]:
    """Figures as floats, a missing one (money beyond what the report's decimal shows) as no bar."""
    return [math.nan if v is None else float(v) for v in values]


def _number(value: float, _position: object = None) -> str:
    """A tick in the report's number format: 12,345 or 2.50."""
    return count(round(value)) if math.isclose(value, round(value)) else money(value)


def _thousands(axis: Any, whole: bool = False) -> None:
    """Tick labels in the report's number format; only whole ticks for counts (``whole``)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if whole:
        axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(_number))


def _log_ticks(axis: Any) -> None:
    """Ticks at 1, 2 and 5 times each power of ten, written as plain numbers (5, 10, 200)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(_number))
    axis.set_minor_formatter(NullFormatter())
