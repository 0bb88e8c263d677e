"""The daily report as one self-contained HTML page (charts inline, viewable offline), the typed
CSVs of its figures, and the Markdown the Dagster UI shows for it.

Figures come from ``transforms.report_figures``; numbers are written by ``number_format`` only.
Another module can add sections: ``render_report(..., extra_sections=[Section("Title", html)])``
appends each after the built-in ones (its ``html`` is placed as given, so the caller escapes any
data in it; ``html.escape`` is enough for text).
"""

import html
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pipeline_assets import charts
from pipeline_assets.metadata import markdown_table
from pipeline_assets.number_format import frame_text, value_text
from pipeline_assets.transforms.report_figures import ReportFigures, window_label

OUTLIER_ROWS = 20  # on the page; the CSV holds them all
HEADLINE_LABELS = {
    "events": "Events",
    "users": "Users",
    "sessions": "Sessions",
    "purchases": "Purchases",
    "revenue_usd": "Revenue (USD)",
    "landed_records": "Landed records",
    "rejected_records": "Rejected records",
    "rejected_share": "Rejected share",
    "duplicates_removed": "Duplicates removed",
}


@dataclass(frozen=True)
class Section:
    title: str
    html: str  # trusted HTML: its author escapes the data in it


@dataclass(frozen=True)
class RenderedReport:
    html: str
    files: dict[str, bytes]  # name -> content, written beside report.html
    markdown: str  # for the asset's metadata: headline figures and the main chart


def render_report(figures: ReportFigures, extra_sections: Sequence[Section] = ()) -> RenderedReport:
    day = figures.day.isoformat()
    label = window_label(figures.days_in_window)
    hourly = charts.hourly_chart(figures.activity_by_hour["hour_utc"], figures.activity_by_hour["events"])
    sections = [
        Section("Events by type", _chart_and_table(_by_type_chart(figures), figures.events_by_type)),
        Section("Activity by hour (UTC)", _chart_and_table(charts.svg(hourly), figures.activity_by_hour)),
        Section("Funnel", _funnel(figures)),
        Section("Revenue by currency", _revenue(figures.revenue_by_currency, "currency")),
        Section("Revenue by country", _revenue(figures.revenue_by_country, "country")),
        Section("Top users by revenue", _table(figures.top_users)),
        Section("Purchase-amount outliers (IQR rule)", _outliers(figures)),
        Section("Rejected records by reason", _rejected(figures)),
        Section(f"7-day trend ({label})", _trend(figures, label)),
        *extra_sections,
    ]
    body = "\n".join(f'<section id="{_anchor(s.title)}"><h2>{html.escape(s.title)}</h2>\n{s.html}\n</section>' for s in sections)  # fmt: skip
    links = ", ".join(f'<a href="{name}.csv">{name}.csv</a>' for name in figures.tables())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Daily report {day}</title>
<style>{_STYLE}</style></head><body>
<h1>Product events, {day} (UTC)</h1>
<section id="headline" class="kpis">{_headline_cards(figures)}</section>
{body}
<p class="files">Figures as CSV: {links}.</p>
</body></html>
"""
    files = {f"{name}.csv": frame.write_csv().encode() for name, frame in figures.tables().items()}
    return RenderedReport(page, files, _markdown(figures, charts.png_data_uri(hourly)))


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:70rem}"
    ".kpis{display:flex;flex-wrap:wrap;gap:.8rem}.kpi{border:1px solid #ddd;border-radius:6px;padding:.5rem .9rem}"
    ".kpi span{display:block;color:#666;font-size:.8rem}.kpi b{font-size:1.2rem}"
    "section{margin-top:1.5rem}.chart svg{max-width:100%;height:auto}"
    "table{border-collapse:collapse;margin-top:.5rem}td,th{border:1px solid #ddd;padding:.2rem .6rem;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.note{color:#555}"
)


def _anchor(title: str) -> str:
    """A stable id for a section: its title without the parenthesis ("7-day trend (3 of 7 days)")."""
    return "".join(c if c.isalnum() else "-" for c in title.split(" (")[0].lower()).strip("-")


def _headline_cards(figures: ReportFigures) -> str:
    row = figures.headline.select(list(HEADLINE_LABELS))
    texts = frame_text(row)[0]
    return "".join(
        f'<div class="kpi"><span>{html.escape(label)}</span><b>{html.escape(text)}</b></div>'
        for label, text in zip(HEADLINE_LABELS.values(), texts, strict=True)
    )


def _table(frame: pl.DataFrame, limit: int | None = None) -> str:
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(t)}</td>" for t in texts) + "</tr>" for texts in frame_text(shown)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _chart_and_table(svg: str, frame: pl.DataFrame) -> str:
    return f'<div class="chart">{svg}</div>\n{_table(frame)}'


def _by_type_chart(figures: ReportFigures) -> str:
    by_type = figures.events_by_type
    return charts.svg(charts.bar_chart("Events by type", by_type["event_type"], by_type["events"], "Event type", "Events"))  # fmt: skip


def _funnel(figures: ReportFigures) -> str:
    f = figures.funnel
    chart = charts.funnel_chart(f["step"], f["sessions"], f["share_of_first"])
    note = '<p class="note">A step counts the sessions that also reached every step before it.</p>'
    return _chart_and_table(charts.svg(chart), f) + note


def _revenue(frame: pl.DataFrame, by: str) -> str:
    if frame.is_empty():
        return '<p class="note">No purchase this day.</p>'
    chart = charts.bar_chart(f"Revenue by {by} (USD)", frame[by], frame["revenue_usd"], by.capitalize(), "Revenue (USD)")  # fmt: skip
    return _chart_and_table(charts.svg(chart), frame)


def _outliers(figures: ReportFigures) -> str:
    fences, outliers = figures.amount_fences, figures.amount_outliers
    low, high = fences.row(0)[2:] if fences.height else (None, None)
    chart = charts.amount_histogram(figures.purchase_amounts_usd.to_list(), _float(low), _float(high))
    if low is None:
        return _chart_and_table(charts.svg(chart), fences)
    shown = (
        "" if outliers.height <= OUTLIER_ROWS else f" (the {OUTLIER_ROWS} largest shown; all in amount_outliers.csv)"
    )
    note = (
        f'<p class="note">Outside [{value_text(low)}, {value_text(high)}] USD, that is Q1 − 1.5 × IQR and '
        f"Q3 + 1.5 × IQR: {value_text(outliers.height)} purchases{shown}.</p>"
    )
    return _chart_and_table(charts.svg(chart), fences) + note + _table(outliers, OUTLIER_ROWS)


def _rejected(figures: ReportFigures) -> str:
    reasons = figures.rejected_by_reason
    if reasons.is_empty():
        return '<p class="note">No record was rejected this day.</p>'
    chart = charts.bar_chart("Rejected records by reason", reasons["reject_reason"].str.slice(0, 48), reasons["records"], "Records", "", horizontal=True)  # fmt: skip
    return _chart_and_table(charts.svg(chart), reasons)


def _trend(figures: ReportFigures, label: str) -> str:
    trend, totals = figures.window_trend, figures.headline
    chart = charts.trend_chart(
        [d.isoformat() for d in trend["date"]], trend["revenue_usd"].to_list(), trend["active_users"].to_list(), label
    )
    note = (
        f'<p class="note">The window holds {label}: revenue {value_text(totals["revenue_usd_7d"].item())} USD, '
        f"{value_text(totals['active_users_7d'].item())} distinct active users.</p>"
    )
    return note + _chart_and_table(charts.svg(chart), trend)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _markdown(figures: ReportFigures, chart_uri: str) -> str:
    """Headline figures as a Markdown table, then the hourly chart as an inline PNG."""
    row = figures.headline
    names = [*HEADLINE_LABELS, "revenue_usd_7d", "active_users_7d"]
    labels = [*HEADLINE_LABELS.values(), "Revenue, 7 days (USD)", "Active users, 7 days"]
    texts = frame_text(row.select(names))[0] + []
    table = pl.DataFrame({"figure": [*labels, "7-day window"], "value": [*texts, window_label(figures.days_in_window)]})
    return f"{markdown_table(table, limit=table.height)}\n\n![Activity by hour of day (UTC)]({chart_uri})\n"
