"""Reports layer: the analyst-facing HTML report of each day."""

from datetime import date

import dagster as dg
import polars as pl

from pipeline_assets.assets.aggregated import window_days
from pipeline_assets.assets.common import IO_RETRY, OWNERS, leased_days, step_errors, step_pool
from pipeline_assets.partitions import daily_partitions, single_run_backfill
from pipeline_assets.report import Section, render_report
from pipeline_assets.resources import Warehouse
from pipeline_assets.search.report_section import TITLE as SEARCH_TITLE
from pipeline_assets.search.report_section import themes_section_html
from pipeline_assets.transforms.report_figures import Window, data_quality, report_figures
from pipeline_assets.warehouse import scan_partitions

# What the figures read of clean_events, the day's largest table: these columns of every row, and
# the purchases' (an eighth of the rows) with the columns only their figures show.
CLEAN_COLUMNS = ("user_id", "session_id", "event_type", "event_ts", "amount_usd")
PURCHASE_COLUMNS = ("event_id", "user_id", "event_type", "amount", "currency", "amount_usd", "country")
LINE = ("_source_file", "_source_line")


@dg.asset(
    group_name="reports",
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    retry_policy=IO_RETRY,
    pool=step_pool("daily_report"),
    owners=OWNERS,
    kinds={"html", "csv"},
    ins={
        "raw_events": dg.AssetIn(),
        "clean_events": dg.AssetIn(),
        "rejected_events": dg.AssetIn(),
        "daily_event_summary": dg.AssetIn(),
        "daily_user_metrics": dg.AssetIn(),
        "rolling_revenue_7d": dg.AssetIn(),
        "search_themes": dg.AssetIn(),
    },
)
@step_errors()  # the published days are read by Polars' native reader
def daily_report(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    raw_events: dict[str, pl.LazyFrame],
    clean_events: dict[str, pl.LazyFrame],
    rejected_events: dict[str, pl.LazyFrame],
    daily_event_summary: dict[str, pl.LazyFrame],
    daily_user_metrics: dict[str, pl.LazyFrame],
    rolling_revenue_7d: dict[str, pl.LazyFrame],
    search_themes: dict[str, pl.LazyFrame],
) -> dg.MaterializeResult:
    """A self-contained HTML page per day: headline figures (events, users, sessions, purchases,
    revenue, landed, rejected and duplicate records), events by type, activity by hour, the funnel,
    revenue by currency and country, top users, purchase-amount outliers (IQR rule), rejected
    records by reason, the 7-day trend and what users searched for (the week's themes); written to ``daily_report/date=D/report.html`` beside
    its figures as typed CSV."""
    store = warehouse.store
    written, markdown = {}, {}
    with leased_days(context, warehouse):  # two runs of a day never interleave its files
        days = {key: window_days(key) for key in context.partition_keys}
        earlier = sorted({d for window in days.values() for d in window} - set(daily_user_metrics))
        metrics = {**daily_user_metrics, **scan_partitions(store, "daily_user_metrics", earlier)}
        for key, window in days.items():
            clean = clean_events[key].select(CLEAN_COLUMNS).collect()
            purchases = clean_events[key].filter(pl.col("event_type") == "purchase").select(PURCHASE_COLUMNS).collect()
            rejected = rejected_events[key].select("reject_reason", *LINE).collect()
            quality = data_quality(raw_events[key], clean.height, rejected)
            rolling = rolling_revenue_7d[key].collect().row(0, named=True)
            figures = report_figures(
                date.fromisoformat(key),
                clean,
                purchases,
                rejected,
                quality,
                daily_event_summary[key].collect(),
                metrics[key].collect(),
                pl.concat([metrics[d] for d in window]).select("date", "user_id", "revenue_usd").collect(),
                window,
                Window(rolling["revenue_usd_7d"], rolling["active_users_7d"], rolling["days_in_window"]),
            )
            del clean, purchases
            searches = Section(SEARCH_TITLE, themes_section_html(search_themes[key].collect()))
            report = render_report(figures, extra_sections=[searches])
            prefix = f"daily_report/date={key}"
            for name, content in report.files.items():
                store.write_bytes(f"{prefix}/{name}", content)
            # The page goes last: once it is visible, every file it links to is already there.
            store.write_bytes(f"{prefix}/report.html", report.html.encode())
            written[key] = store.uri(f"{prefix}/report.html")
            markdown[key] = report.markdown
    # Each day's own page and figures on its partition; a range run also lists every page.
    for key, uri in written.items():
        metadata = {"dagster/uri": dg.MetadataValue.path(uri), "report": dg.MetadataValue.md(markdown[key])}
        context.add_asset_metadata(metadata, partition_key=key)
    return dg.MaterializeResult(metadata={"reports": dg.MetadataValue.json(written)} if len(written) > 1 else {})
