"""render_report: an HTML page with inline SVG plots and KPIs, and the CSV figures behind it."""

import re
from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipeline_assets.report import RenderedReport, render_report
from pipeline_assets.transforms.aggregates import (
    DAILY_EVENT_SUMMARY_COLUMNS,
    DAILY_USER_METRICS_COLUMNS,
    ROLLING_REVENUE_COLUMNS,
)

DAY = date(2024, 3, 1)
ODD_TYPE = '<b>click & "go"</b>'  # not a real event type: here only to prove the page escapes text


def frame(columns: dict, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=schema)


USER_METRICS = frame(
    {"date": [DAY] * 3, "user_id": [1, 2, 3], "events": [3, 1, 2], "sessions": [2, 1, 1], "purchases": [1, 0, 1],
     "revenue_usd": [1234.5, 0.0, 10.25], "first_event_ts": [datetime(2024, 3, 1, 1, tzinfo=UTC)] * 3,
     "last_event_ts": [datetime(2024, 3, 1, 2, tzinfo=UTC)] * 3},
    DAILY_USER_METRICS_COLUMNS,
)  # fmt: skip
EVENT_SUMMARY = frame(
    {"date": [DAY] * 3, "event_type": [ODD_TYPE, "purchase", "view"], "events": [1, 2, 3], "users": [1, 2, 2],
     "revenue_usd": [0.0, 1244.75, 0.0]},
    DAILY_EVENT_SUMMARY_COLUMNS,
)  # fmt: skip
ROLLING = frame(
    {"date": [DAY], "revenue_usd_7d": [5000.126], "active_users_7d": [12], "window_start": [date(2024, 2, 24)],
     "days_in_window": [7]},
    ROLLING_REVENUE_COLUMNS,
)  # fmt: skip


@pytest.fixture(scope="module")
def report() -> RenderedReport:
    return render_report("2024-03-01", USER_METRICS, EVENT_SUMMARY, ROLLING)


def without_svg(page: str) -> str:
    return re.sub(r"<svg\b.*?</svg>", "<svg/>", page, flags=re.DOTALL)


def test_page_holds_three_inline_svg_plots(report):
    assert report.html.startswith("<!doctype html>")
    assert report.html.count("<svg") == 3 and report.html.count("</svg>") == 3
    assert "<?xml" not in report.html  # inline, not a standalone document
    assert '<section class="plots"><svg/>\n<svg/>\n<svg/>\n</section>' in without_svg(report.html)


def test_page_shows_the_kpis(report):
    kpis = re.findall(r'<div class="kpi"><span>([^<]*)</span><b>([^<]*)</b></div>', report.html)
    assert kpis == [
        ("events", "6"),
        ("active_users", "3"),
        ("sessions", "4"),
        ("purchases", "2"),
        ("revenue_usd", "1,244.75"),
        ("revenue_usd_7d", "5,000.13"),
        ("active_users_7d", "12"),
    ]
    assert "<title>Daily report 2024-03-01</title>" in report.html


def test_page_tables(report):
    page = without_svg(report.html)
    assert "<tr><td>purchase</td><td>2</td><td>2</td><td>1,244.75</td></tr>" in page
    top_users = re.findall(r"<tr><td>(\d+)</td><td>\d+</td><td>\d+</td><td>\d+</td><td>([\d,.]+)</td></tr>", page)
    assert top_users == [("1", "1,234.50"), ("3", "10.25"), ("2", "0.00")]
    assert '<a href="kpis.csv">kpis.csv</a>' in page and '<a href="event_summary.csv">event_summary.csv</a>' in page


def test_special_characters_are_escaped(report):
    assert "<td>&lt;b&gt;click &amp; &quot;go&quot;&lt;/b&gt;</td>" in report.html
    assert ODD_TYPE not in report.html
    assert "<b>click" not in report.html


def test_csv_figures(report):
    assert set(report.files) == {"kpis.csv", "event_summary.csv"}
    assert report.files["kpis.csv"].decode() == (
        "metric,value\nevents,6.0\nactive_users,3.0\nsessions,4.0\npurchases,2.0\n"
        "revenue_usd,1244.75\nrevenue_usd_7d,5000.13\nactive_users_7d,12.0\n"
    )
    assert report.files["event_summary.csv"].decode() == (
        "date,event_type,events,users,revenue_usd\n"
        '2024-03-01,"<b>click & ""go""</b>",1,1,0.0\n'
        "2024-03-01,purchase,2,2,1244.75\n"
        "2024-03-01,view,3,2,0.0\n"
    )
