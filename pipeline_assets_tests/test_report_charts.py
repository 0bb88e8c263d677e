"""The report's hand-written SVG charts: well-formed, escaped, and drawing the numbers given."""

import math
import xml.etree.ElementTree as ET

import pytest

from pipeline_assets.charts import BOTTOM, TOP, _ticks, bar_chart, histogram

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[tuple[float, str]]:
    """(height, tooltip) of every bar, left to right."""
    root = ET.fromstring(svg)
    return [(float(rect.get("height")), rect.find(f"{SVG}title").text) for rect in root.iter(f"{SVG}rect")]


def texts(svg: str) -> list[str]:
    return [element.text for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_bar_chart_draws_each_value_to_scale_in_order():
    svg = bar_chart("Events by type", ["view", "click", "purchase"], [300, 150, 0], "events")
    drawn = bars(svg)
    assert [tooltip for _, tooltip in drawn] == ["view: 300", "click: 150", "purchase: 0"]
    view, click, purchase = (height for height, _ in drawn)
    assert view == pytest.approx(2 * click, abs=0.1) and purchase == 0
    assert view <= BOTTOM - TOP
    assert {"Events by type", "events", "view", "click", "purchase", "0", "300"} <= set(texts(svg))


def test_labels_and_titles_are_escaped():
    odd = '<b>click & "go"</b>'
    svg = bar_chart(f"{odd} title", [odd], [1.5], f"{odd} unit")
    assert odd not in svg and "<b>" not in svg
    assert odd in texts(svg) and f"{odd} title" in texts(svg)  # what a reader sees, unescaped


def test_histogram_counts_values_in_equal_bins_the_last_one_closed():
    values = [1, 1, 2, 3, 3, 3, 10]
    svg = histogram("Events per active user", values, bins=3, unit="users")
    # Bins of width 3 over [1, 10]: [1, 4) holds 6, [4, 7) none, [7, 10] the 10.
    assert [tooltip for _, tooltip in bars(svg)] == ["1–4: 6", "4–7: 0", "7–10: 1"]


@pytest.mark.parametrize("values", [[], [5, 5, 5]])
def test_histogram_of_nothing_or_of_one_value_still_draws(values):
    svg = histogram("Events per active user", values, bins=1, unit="users")
    assert [tooltip.rsplit(": ", 1)[1] for _, tooltip in bars(svg)] == [str(len(values))]


def test_empty_bar_chart_is_an_empty_plot():
    assert bars(bar_chart("Revenue by type (USD)", [], [], "USD")) == []


@pytest.mark.parametrize(
    "largest, whole, expected",
    [
        (0, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (1, False, [0, 0.2, 0.4, 0.6, 0.8, 1]),
        (1, True, [0, 1]),
        (7, False, [0, 2, 4, 6, 8]),
        (12, False, [0, 2.5, 5, 7.5, 10, 12.5]),
        (12, True, [0, 2, 4, 6, 8, 10, 12]),
        (985_000, True, None),
        (17_762_800.19, False, None),
    ],
)
def test_ticks_are_round_and_reach_the_largest_value(largest, whole, expected):
    ticks = _ticks(largest, whole)
    if expected is not None:
        assert ticks == pytest.approx(expected)
    assert ticks[0] == 0 and ticks[-1] >= largest and 2 <= len(ticks) <= 11
    steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1
    step = steps.pop()
    assert round(step / 10 ** math.floor(math.log10(step)), 9) in {1, 2, 2.5, 5}
