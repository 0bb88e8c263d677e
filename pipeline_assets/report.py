"""The daily report: KPIs, plots (inline SVG) and the figures behind them; pure rendering."""

import html
from dataclasses import dataclass

import polars as pl

from pipeline_assets.charts import bar_chart, histogram


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
    types, per_user = event_summary["event_type"].to_list(), user_metrics["events"]
    plots = [
        bar_chart("Events by type", types, event_summary["events"].to_list(), "events"),
        bar_chart("Revenue by type (USD)", types, event_summary["revenue_usd"].to_list(), "USD"),
        histogram("Events per active user", per_user.to_list(), min(30, max(1, per_user.n_unique())), "users"),
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
