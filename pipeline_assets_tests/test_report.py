"""render_report: one self-contained page with every section, typed CSVs beside it, Markdown for the UI."""

import base64
import re
from datetime import UTC, date, datetime

import polars as pl
import pytest

from pipeline_assets.report import HEADLINE_LABELS, RenderedReport, Section, render_report
from pipeline_assets.transforms.report_figures import TABLES, DataQuality, Window, report_figures

DAY = date(2024, 3, 1)
ODD_TYPE = '<b>click & "go"</b>'  # not a real event type: here only to prove the page escapes text
SECTIONS = (
    "Events by type", "Activity by hour (UTC)", "Funnel", "Revenue by currency", "Revenue by country",
    "Top users by revenue", "Purchase-amount outliers (IQR rule)", "Rejected records by reason",
    "7-day trend (1 of 7 days)",
)  # fmt: skip


def clean_events() -> pl.DataFrame:
    rows = [("s1", 1, "view", None, None), ("s1", 1, "click", None, None), ("s1", 1, "add_to_cart", None, None),
            ("s1", 1, "purchase", 12.5, "EUR"), ("s2", 2, "view", None, None), ("s2", 2, ODD_TYPE, None, None),
            ("s3", 3, "purchase", 1000.0, "USD")] + [(f"p{i}", 4, "purchase", 10.0 + i, "USD") for i in range(6)]  # fmt: skip
    return pl.DataFrame(
        [{"event_id": f"e{i}", "session_id": s, "user_id": u, "event_type": t,
          "event_ts": datetime(2024, 3, 1, 8 + i % 3, tzinfo=UTC), "amount": a, "currency": c,
          "amount_usd": None if a is None else a * (1.08 if c == "EUR" else 1.0), "country": "DE" if c == "EUR" else None}
         for i, (s, u, t, a, c) in enumerate(rows)],
        schema_overrides={"amount": pl.Float64, "amount_usd": pl.Float64, "currency": pl.String, "country": pl.String},
    )  # fmt: skip


@pytest.fixture(scope="module")
def report() -> RenderedReport:
    clean = clean_events()
    user_metrics = clean.group_by("user_id").agg(
        pl.len().alias("events"), pl.col("session_id").n_unique().alias("sessions"),
        (pl.col("event_type") == "purchase").sum().alias("purchases"), pl.col("amount_usd").sum().alias("revenue_usd"),
    ).with_columns(pl.lit(DAY).alias("date"))  # fmt: skip
    summary = clean.group_by("event_type").agg(pl.len().alias("events"), pl.col("user_id").n_unique().alias("users"))
    rejected = pl.DataFrame({"reject_reason": ["user_id 'abc' is not an integer", "broken JSON"] * 2})
    quality, window = DataQuality(18, 4, 1), Window(1040.05, 4, 1)
    purchases = clean.filter(pl.col("event_type") == "purchase")
    figures = report_figures(
        DAY, clean, purchases, rejected, quality, summary, user_metrics, user_metrics, [DAY.isoformat()], window
    )
    return render_report(figures, extra_sections=[Section("Search themes", "<p>themes here</p>")])


def without_svg(page: str) -> str:
    return re.sub(r"<svg\b.*?</svg>", "<svg/>", page, flags=re.DOTALL)


def test_page_has_every_section_in_order_and_the_extra_one_last(report):
    titles = re.findall(r"<h2>([^<]*)</h2>", report.html)
    assert titles == [*(t.replace("&", "&amp;") for t in SECTIONS), "Search themes"]
    assert "<p>themes here</p>" in report.html
    assert report.html.index("Search themes") > report.html.index("7-day trend")
    assert '<section id="7-day-trend"><h2>' in report.html and '<section id="search-themes">' in report.html


def test_page_is_self_contained_with_inline_charts(report):
    assert report.html.startswith("<!doctype html>")
    assert report.html.count("<svg") == 8 and "<?xml" not in report.html and "<!DOCTYPE svg" not in report.html
    assert not re.search(r"""(src|href)=["'](https?:|//)""", report.html)  # nothing fetched: works offline
    assert "<script" not in report.html and "<link" not in report.html
    for label in ("Hour of day (UTC)", "Purchase amount (USD, log scale)", "Revenue (USD)", "Sessions", "Events"):
        assert label in report.html  # labelled axes


def test_headline_figures_are_formatted_one_way(report):
    cards = dict(re.findall(r'<div class="kpi"><span>([^<]*)</span><b>([^<]*)</b></div>', report.html))
    assert cards == {
        "Events": "13", "Users": "4", "Sessions": "9", "Purchases": "8", "Revenue (USD)": "1,088.50",
        "Landed records": "18", "Rejected records": "4", "Rejected share": "22.22 %", "Duplicates removed": "1",
    }  # fmt: skip
    assert list(cards) == list(HEADLINE_LABELS.values())
    assert "The window holds 1 of 7 days: revenue 1,040.05 USD, 4 distinct active users." in report.html


def test_outliers_are_listed_with_their_fences(report):
    page = without_svg(report.html)
    assert "<tr><td>e6</td><td>3</td><td>1,000.00</td><td>USD</td><td>1,000.00</td></tr>" in page
    assert "1 purchases" in page or "1 purchase" in page


def test_text_from_the_data_is_escaped(report):
    assert ODD_TYPE not in report.html and "<b>click" not in report.html
    assert "&lt;b&gt;click &amp; &quot;go&quot;&lt;/b&gt;" in without_svg(report.html)


def test_csvs_are_typed(report):
    assert set(report.files) == {f"{name}.csv" for name in TABLES}
    assert report.files["headline.csv"].decode() == (
        "events,users,sessions,purchases,revenue_usd,landed_records,rejected_records,rejected_share,"
        "duplicates_removed,revenue_usd_7d,active_users_7d,days_in_window\n"
        "13,4,9,8,1088.50,18,4,0.222222,1,1040.05,4,1\n"
    )
    funnel = report.files["funnel.csv"].decode().splitlines()
    assert funnel[:2] == ["step,sessions,share_of_first,share_of_previous", "view,2,1.000000,1.000000"]
    for name, content in report.files.items():
        header, *rows = content.decode().splitlines()
        assert not any(re.search(r"(^|,)\d+\.0(,|$)", row) for row in rows), name  # no count written as a float
    for name in report.files:
        assert f'<a href="{name}">{name}</a>' in report.html


def test_markdown_for_the_ui_has_the_headline_and_the_main_chart(report):
    md = report.markdown
    assert "| Revenue (USD) | 1,088.50 |" in md and "| Rejected share | 22.22 % |" in md
    assert "| 7-day window | 1 of 7 days |" in md
    uri = re.search(r"!\[Activity by hour of day \(UTC\)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", md)
    assert uri and base64.b64decode(uri[1]).startswith(b"\x89PNG")
