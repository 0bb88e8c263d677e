"""The daily report: KPIs, plots (inline SVG) and the figures behind them; pure rendering."""

import html
import io
from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class RenderedReport:
    html: str
    files: dict[str, bytes]  # name -> content, written beside report.html


def kpis(user_metrics: pl.DataFrame, event_summary: pl.DataFrame, rolling: pl.DataFrame) -> pl.DataFrame:
    values = {
        "events": int(event_summary["events"].sum()),
        "active_users": user_metrics.height,
        "sessions": int(user_metrics["sessions"].sum()),
        "purchases": int(user_metrics["purchases"].sum()),
        "revenue_usd": round(float(user_metrics["revenue_usd"].sum()), 2),
        "revenue_usd_7d": round(float(rolling["revenue_usd_7d"].sum()), 2),
        "active_users_7d": int(rolling["active_users_7d"].sum()),
    }
    return pl.DataFrame({"metric": list(values), "value": [float(v) for v in values.values()]})


def render_report(
    partition_key: str, user_metrics: pl.DataFrame, event_summary: pl.DataFrame, rolling: pl.DataFrame
) -> RenderedReport:
    figures = kpis(user_metrics, event_summary, rolling)
    top_users = user_metrics.sort("revenue_usd", "user_id", descending=[True, False]).head(10)
    plots = [
        _bar_chart("Events by type", event_summary["event_type"], event_summary["events"], "events"),
        _bar_chart("Revenue by type (USD)", event_summary["event_type"], event_summary["revenue_usd"], "USD"),
        _histogram("Events per active user", user_metrics["events"]),
    ]
    kpi_cells = "".join(
        f'<div class="kpi"><span>{html.escape(m)}</span><b>{v:,.2f}</b></div>'
        if m.startswith("revenue") else f'<div class="kpi"><span>{html.escape(m)}</span><b>{v:,.0f}</b></div>'
        for m, v in figures.iter_rows()
    )  # fmt: skip
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Daily report {partition_key}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}.kpis{{display:flex;flex-wrap:wrap;gap:1rem}}
.kpi{{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}}.kpi span{{display:block;color:#666;font-size:.8rem}}
.plots{{display:flex;flex-wrap:wrap;gap:1rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ddd;padding:.2rem .6rem;text-align:right}}</style>
</head><body>
<h1>Product events, {partition_key} (UTC)</h1>
<section class="kpis">{kpi_cells}</section>
<h2>Activity</h2><section class="plots">{"".join(plots)}</section>
<h2>Event types</h2>{_html_table(event_summary.drop("date"))}
<h2>Top users by revenue</h2>{_html_table(top_users.select("user_id", "events", "sessions", "purchases", "revenue_usd"))}
<p>Figures: <a href="kpis.csv">kpis.csv</a>, <a href="event_summary.csv">event_summary.csv</a>.</p>
</body></html>
"""
    return RenderedReport(
        html=page,
        files={"kpis.csv": _csv(figures), "event_summary.csv": _csv(event_summary)},
    )


def _csv(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode()


def _html_table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _figure():
    import matplotlib

    matplotlib.use("Agg")  # no display here or in production containers
    # Text as SVG text, not glyph outlines; fixed margins instead of a layout engine, which draws
    # every chart twice. Together a chart renders in a third of the time (one a day adds up).
    matplotlib.rcParams["svg.fonttype"] = "none"
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 3), dpi=100)
    figure.subplots_adjust(left=0.16, right=0.97, top=0.88, bottom=0.27)
    return figure


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _bar_chart(title: str, labels: pl.Series, values: pl.Series, unit: str) -> str:
    figure = _figure()
    axes = figure.subplots()
    axes.bar(labels.to_list(), values.to_list(), color="#4C78A8")
    axes.set_title(title)
    axes.set_ylabel(unit)
    axes.tick_params(axis="x", labelrotation=30)
    return _svg(figure)


def _histogram(title: str, values: pl.Series) -> str:
    figure = _figure()
    axes = figure.subplots()
    axes.hist(values.to_list(), bins=min(30, max(1, values.n_unique())), color="#F58518")
    axes.set_title(title)
    axes.set_ylabel("users")
    return _svg(figure)
