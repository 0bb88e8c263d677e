"""The report's matplotlib charts: inline SVG that is well-formed, labelled, escaped and reproducible."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np

from pipeline_assets import charts

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> set[str]:
    return {"".join(element.itertext()) for element in ET.fromstring(svg).iter(f"{SVG}text")}


def bar_heights(svg: str) -> list[float]:
    """Heights of the filled bars (matplotlib writes each as a closed path in a patch group)."""
    root = ET.fromstring(svg)
    heights = []
    for group in root.iter(f"{SVG}g"):
        if (group.get("id") or "").startswith("patch_"):
            for path in group.iter(f"{SVG}path"):
                if charts.BAR.lower() in (path.get("style") or "").lower():
                    ys = [float(v) for v in path.get("d").replace("M", " ").replace("L", " ").replace("z", " ").split()[1::2]]  # fmt: skip
                    heights.append(round(max(ys) - min(ys), 3))
    return heights


def test_bar_chart_is_inline_svg_with_its_labels():
    svg = charts.svg(charts.bar_chart("Events by type", ["view", "click"], [300, 150], "Event type", "Events"))
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert {"Events by type", "Event type", "Events", "view", "click", "300"} <= texts(svg)
    view, click = bar_heights(svg)
    assert abs(view - 2 * click) < 0.01  # drawn to scale


def test_counts_have_whole_ticks_in_the_report_number_format():
    svg = charts.svg(charts.bar_chart("Rejected", ["a", "b"], [2, 1], "Records", "", horizontal=True))
    numbers = {t for t in texts(svg) if t.replace(",", "").replace(".", "").isdigit()}
    assert numbers and all("." not in t for t in numbers)
    big = charts.svg(charts.hourly_chart(list(range(24)), [12_000] * 24))
    assert "12,000" in texts(big) or "10,000" in texts(big)


def test_text_from_the_data_is_escaped():
    odd = '<b>click & "go"</b>'
    svg = charts.svg(charts.bar_chart(f"{odd} title", [odd], [1], "x", "y"))
    assert "<b>" not in svg
    assert odd in texts(svg)  # what a reader sees, unescaped


def test_same_figures_give_the_same_bytes():
    def draw() -> str:
        return charts.svg(charts.trend_chart(["2024-03-01", "2024-03-02"], [10.5, 20.25], [3, 4], "2 of 7 days"))

    first = draw()
    assert first == draw()
    assert "Revenue and active users, 7-day window (2 of 7 days)" in texts(first)
    assert {"Date (UTC)", "Revenue (USD)", "Active users"} <= texts(first)


def test_amount_histogram_bins_in_log_space_by_freedman_diaconis():
    rng = np.random.default_rng(1)
    amounts = np.exp(rng.normal(3.5, 0.9, 2_000)).round(2).tolist()
    svg = charts.svg(charts.amount_histogram(amounts, -40.0, 150.0))
    expected = len(np.histogram_bin_edges(np.log10(amounts), bins="fd")) - 1
    assert len(bar_heights(svg)) == expected
    assert {"Purchase amount (USD, log scale)", "Purchases", "IQR high fence 150.00"} <= texts(svg)
    assert "10" in texts(svg) and "100" in texts(svg)  # plain numbers on the log axis, not 10^2


def test_empty_and_single_value_charts_still_draw():
    assert texts(charts.svg(charts.amount_histogram([], None, None))) >= {"Purchases"}
    assert len(bar_heights(charts.svg(charts.amount_histogram([5.0, 5.0], 5.0, 5.0)))) == 1
    assert "Events" in texts(charts.svg(charts.bar_chart("Events by type", [], [], "Event type", "Events")))


def test_importing_the_report_does_not_import_matplotlib():
    code = "import sys, pipeline_assets.report, pipeline_assets.assets.reports; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
